// Placeholder replaced by the gradient check (see issue #2): kept minimal so the worker compiles.
import type { KernelCheck } from './protocol.ts';

export async function runGradientCheck(_device: GPUDevice): Promise<KernelCheck[]> {
  throw new Error('gradient check not implemented yet');
}
