// WebGPU in Node through Dawn (the `webgpu` npm package): the same engine runs headless for tests, training
// and benchmarks, on SwiftShader or on a real GPU's Vulkan driver. Only scripts and tests import this.
import { acquireGpu, type GpuContext } from './device.ts';
import { GpuError } from './errors.ts';

// Dawn's instance must outlive every device made from it: if the GPU object were garbage collected, the
// device's threads would run on freed memory (the process aborts at the next GC). So it is held here.
let instance: GPU | undefined;

export async function acquireNodeGpu(): Promise<GpuContext> {
  const webgpu = await import('webgpu');
  Object.assign(globalThis, webgpu.globals);
  const gpu = (instance ??= webgpu.create([]));
  try {
    return await acquireGpu(gpu);
  } catch (e) {
    if (e instanceof GpuError && e.kind === 'no-adapter') {
      throw new GpuError(
        'no-adapter',
        `${e.message}\nIn Node, Dawn needs a Vulkan driver. Without a GPU run through scripts/gpu-env.mjs (npm test, npm run bench, npm run train do), ` +
          'which points VK_ICD_FILENAMES at the SwiftShader driver in /usr/lib/chromium (apt-get install chromium).',
      );
    }
    throw e;
  }
}
