// WebGPU in Node through Dawn (the `webgpu` npm package): the same engine runs headless for tests, training
// and benchmarks, on SwiftShader or on a real GPU's Vulkan driver. Only scripts and tests import this.
import { acquireGpu, type GpuContext } from './device.ts';
import { GpuError } from './errors.ts';

// Dawn's instance must outlive every device made from it: if the GPU object were garbage collected, the
// device's threads would run on freed memory (the process aborts at the next GC). So it is held here.
let instance: GPU | undefined;
let instanceRobust: boolean | undefined;

export interface NodeGpuOptions {
  /** Dawn's robustness transform: a bounds clamp on every buffer access, as browsers always apply (default on).
   *  The headless trainer turns it off: SwiftShader bounds-checks every access itself, and on a CPU adapter,
   *  where each load costs tens of cycles, the clamps make training about 1.4x slower (fable batch 1: 170 ->
   *  121 ms per iteration). Tests keep it on, as the page has it. */
  robust?: boolean;
}

export async function acquireNodeGpu(options: NodeGpuOptions = {}): Promise<GpuContext> {
  const robust = options.robust ?? true;
  const webgpu = await import('webgpu');
  Object.assign(globalThis, webgpu.globals);
  if (instance && instanceRobust !== robust) throw new Error('acquireNodeGpu: one process, one robustness setting');
  instanceRobust = robust;
  const gpu = (instance ??= webgpu.create(robust ? [] : ['enable-dawn-features=disable_robustness']));
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
