import { describe, expect, it } from 'vitest';
import { KERNELS, type KernelName } from '../src/gpu/kernels.ts';
import { getPipeline } from '../src/gpu/program.ts';
import { testDevice } from './gpu.ts';

describe('kernel table', () => {
  it('every kernel compiles into a pipeline with its declared bindings', async () => {
    const device = await testDevice();
    const names = Object.keys(KERNELS) as KernelName[];
    expect(names.length).toBeGreaterThan(20);
    for (const name of names) {
      const { pipeline } = await getPipeline(device, name);
      expect(pipeline.label).toBe(name);
    }
  });
});
