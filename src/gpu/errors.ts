// Typed GPU errors with messages a person can act on. The UI shows `message`; `kind` drives what it offers.

export type GpuErrorKind =
  | 'no-webgpu' // navigator.gpu missing: browser without WebGPU or flag off
  | 'no-adapter' // requestAdapter() gave nothing
  | 'device-lost'
  | 'validation'
  | 'out-of-memory'
  | 'too-big' // a model or buffer larger than the adapter's limits
  | 'internal';

export class GpuError extends Error {
  constructor(readonly kind: GpuErrorKind, message: string) {
    super(message);
    this.name = 'GpuError';
  }
}

export const NO_WEBGPU_HELP =
  'WebGPU is not available in this browser. rnnlab needs Chrome or Edge 113+ (desktop) or another browser with WebGPU enabled. ' +
  'On Linux, start Chrome with --enable-unsafe-webgpu --enable-features=Vulkan (or enable chrome://flags/#enable-unsafe-webgpu and #enable-vulkan). ' +
  'Firefox 141+ and Safari 26+ have WebGPU on some platforms.';
