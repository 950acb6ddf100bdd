// Shared by the GPU tests: one real WebGPU device per test file (Dawn in Node; SwiftShader without a GPU).
// There is no skip: no adapter is a failure with the reason in the message.
import { acquireNodeGpu } from '../src/gpu/node.ts';
import type { GpuContext } from '../src/gpu/device.ts';

let ctx: Promise<GpuContext> | undefined;

export function testGpu(): Promise<GpuContext> {
  ctx ??= acquireNodeGpu();
  return ctx;
}

export async function testDevice(): Promise<GPUDevice> {
  const { device } = await testGpu();
  device.onuncapturederror = (e) => {
    throw new Error(`uncaptured WebGPU error: ${e.error.message}`);
  };
  return device;
}

/** Max relative error with an absolute floor: |a-b| / max(floor, |b|). */
export function maxRelErr(got: ArrayLike<number>, want: ArrayLike<number>, floor = 1e-3): number {
  if (got.length !== want.length) throw new Error(`length ${got.length} != ${want.length}`);
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const g = got[i], w = want[i];
    if (!Number.isFinite(g)) return Infinity;
    worst = Math.max(worst, Math.abs(g - w) / Math.max(floor, Math.abs(w)));
  }
  return worst;
}
