// Acquires a GPUDevice with the limits rnnlab needs and turns every way it can fail into a GpuError.
// Knows nothing of the DOM: `gpu` is navigator.gpu in a page or worker, or Dawn's GPU object in Node.
import { GpuError, NO_WEBGPU_HELP } from './errors.ts';

export interface GpuContext {
  readonly device: GPUDevice;
  readonly adapterInfo: AdapterSummary;
  /** Resolves when the device is lost (never resolves while it lives). */
  readonly lost: Promise<GpuError>;
}

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  features: string[];
  limits: Record<string, number>;
}

const WANTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
] as const;

export function summarizeAdapter(adapter: GPUAdapter): AdapterSummary {
  const info = adapter.info ?? ({} as GPUAdapterInfo);
  const limits: Record<string, number> = {};
  for (const key in adapter.limits) {
    const v = (adapter.limits as unknown as Record<string, unknown>)[key];
    if (typeof v === 'number') limits[key] = v;
  }
  for (const key of WANTED_LIMITS) limits[key] = adapter.limits[key];
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    isFallbackAdapter: Boolean((info as { isFallbackAdapter?: boolean }).isFallbackAdapter),
    features: [...adapter.features].map(String).sort(),
    limits,
  };
}

export async function acquireGpu(gpu: GPU | undefined = globalThis.navigator?.gpu): Promise<GpuContext> {
  if (!gpu) throw new GpuError('no-webgpu', NO_WEBGPU_HELP);
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    throw new GpuError('no-adapter', `requestAdapter() failed: ${(e as Error).message}. ${NO_WEBGPU_HELP}`);
  }
  if (!adapter) {
    throw new GpuError(
      'no-adapter',
      'WebGPU is present but no GPU adapter was found (requestAdapter() returned null). ' +
        'Your GPU may be blocklisted or its driver too old; on Linux, start Chrome with --enable-features=Vulkan. ' +
        NO_WEBGPU_HELP,
    );
  }
  const requiredLimits: Record<string, number> = {};
  for (const key of WANTED_LIMITS) requiredLimits[key] = adapter.limits[key];
  const requiredFeatures: GPUFeatureName[] = [];
  if (adapter.features.has('timestamp-query')) requiredFeatures.push('timestamp-query');
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ label: 'rnnlab', requiredLimits, requiredFeatures });
  } catch (e) {
    throw new GpuError('no-adapter', `requestDevice() failed: ${(e as Error).message}`);
  }
  const lost = device.lost.then(
    // what happened only: what to do about it is said where it is known (a new device, or a reload)
    (info) => new GpuError('device-lost', `The GPU device was lost (${info.reason}: ${(info.message || 'no details').replace(/\.+\s*$/, '')}).`),
  );
  return { device, adapterInfo: summarizeAdapter(adapter), lost };
}

/** Runs `fn` inside validation and out-of-memory error scopes and throws the first error as a GpuError. When `fn`
 *  throws or an error was caught, `onError` runs first (e.g. to free what was built before the error). */
export async function withErrorScopes<T>(device: GPUDevice, what: string, fn: () => T | Promise<T>, onError?: () => void): Promise<T> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  device.pushErrorScope('internal');
  let result: T;
  let failed = true;
  try {
    result = await fn();
    failed = false;
  } finally {
    const internal = await device.popErrorScope();
    const validation = await device.popErrorScope();
    const oom = await device.popErrorScope();
    if (failed || oom || validation || internal) onError?.();
    if (oom) throw new GpuError('out-of-memory', `${what}: the GPU ran out of memory (${oom.message}). Try a smaller model or batch.`);
    if (validation) throw new GpuError('validation', `${what}: ${validation.message}`);
    if (internal) throw new GpuError('internal', `${what}: ${internal.message}`);
  }
  return result;
}
