import { describe, expect, it } from 'vitest';
import { testDevice } from './gpu.ts';
import { Program } from '../src/gpu/program.ts';
import { download, submitPrograms, upload } from '../src/gpu/runner.ts';

describe('matmul smoke', () => {
  it('computes a small product', async () => {
    const device = await testDevice();
    const p = new Program(device, 'smoke');
    const A = p.persistent([2, 3], 'A'), B = p.persistent([3, 2], 'B'), C = p.persistent([2, 2], 'C');
    upload(device, A, new Float32Array([1, 2, 3, 4, 5, 6]));
    upload(device, B, new Float32Array([1, 0, 0, 1, 1, 1]));
    p.dispatch('matmul_nn', { M: 2, N: 2, K: 3, offA: 0, offB: 0, offC: 0, accumulate: 0, hasBias: 0 }, { A, B, bias: B, C }, [1, 1]);
    submitPrograms(device, [await p.compile()]);
    expect([...(await download(device, C))]).toEqual([4, 5, 10, 11]);
  });
});
