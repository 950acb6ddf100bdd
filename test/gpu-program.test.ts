// The Program's lifetime planning: transients whose lifetimes do not overlap share a GPU buffer, overlapping
// ones never do, kept ones get their own; and a chain of ops through shared buffers still computes right.
import { describe, expect, it } from 'vitest';
import { Program } from '../src/gpu/program.ts';
import { download, downloadMany, submitPrograms, upload } from '../src/gpu/runner.ts';
import { createPersistent, FlatBuffer } from '../src/gpu/tensor.ts';
import { testDevice } from './gpu.ts';

const mm = (M: number, N: number, K: number) => ({ M, N, K, offA: 0, offB: 0, offC: 0, accumulate: 0, hasBias: 0 });

describe('program buffer planning', () => {
  it('shares buffers between transients that never live at the same time', async () => {
    const device = await testDevice();
    const p = new Program(device, 'plan');
    const n = 8;
    const X = p.persistent([n, n], 'X');
    const I = p.persistent([n, n], 'I');
    const out = p.persistent([n, n], 'out');
    const eye = new Float32Array(n * n);
    for (let i = 0; i < n; i++) eye[i * n + i] = 2; // 2·identity: each product doubles
    const x = Float32Array.from({ length: n * n }, (_, i) => i - 20);
    upload(device, X, x);
    upload(device, I, eye);
    // a chain X -> t1 -> t2 -> t3 -> t4 -> out: t1 and t3 (and t2 and t4) can share
    const t = [1, 2, 3, 4].map((i) => p.transient([n, n], `t${i}`));
    const kept = p.keep(p.transient([n, n], 'kept'));
    p.dispatch('matmul_nn', mm(n, n, n), { A: X, B: I, bias: I, C: t[0] }, [1, 1]);
    p.dispatch('matmul_nn', mm(n, n, n), { A: t[0], B: I, bias: I, C: t[1] }, [1, 1]);
    p.dispatch('matmul_nn', mm(n, n, n), { A: t[1], B: I, bias: I, C: t[2] }, [1, 1]);
    p.dispatch('matmul_nn', mm(n, n, n), { A: t[2], B: I, bias: I, C: t[3] }, [1, 1]);
    p.dispatch('matmul_nn', mm(n, n, n), { A: t[3], B: I, bias: I, C: kept }, [1, 1]);
    p.dispatch('matmul_nn', mm(n, n, n), { A: kept, B: I, bias: I, C: out }, [1, 1]);
    const c = await p.compile();
    submitPrograms(device, [c]);
    const got = await download(device, out);
    expect([...got]).toEqual([...x].map((v) => v * 64));
    // neighbours in the chain overlap (one writes what the next reads): distinct buffers
    for (let i = 0; i + 1 < t.length; i++) expect(t[i].buffer).not.toBe(t[i + 1].buffer);
    // t1 dies before t3 is born: they share; likewise t2 and t4
    expect(t[0].buffer).toBe(t[2].buffer);
    expect(t[1].buffer).toBe(t[3].buffer);
    for (const x of t) expect(kept.buffer).not.toBe(x.buffer);
    expect(c.transientBytes).toBe(3 * n * n * 4);
  });

  it('refuses a transient of another program and a missing binding', async () => {
    const device = await testDevice();
    const a = new Program(device, 'a');
    const b = new Program(device, 'b');
    const ta = a.transient([4], 'ta');
    const pb = b.persistent([4], 'pb');
    expect(() => b.dispatch('bias_grad', mm(1, 4, 0), { dY: ta, db: pb }, [1])).toThrow(/another program/);
    expect(() => b.dispatch('bias_grad', mm(1, 4, 0), { dY: pb }, [1])).toThrow(/binding db missing/);
  });
});

describe('reading state back', () => {
  it('downloadMany reads views of one buffer and whole tensors in one readback, as download reads each', async () => {
    const device = await testDevice();
    const flat = new FlatBuffer(device, 'state', [
      { name: 'a', shape: [3, 5] },
      { name: 'b', shape: [7] },
      { name: 'c', shape: [2, 2, 2] },
    ]);
    const whole = createPersistent(device, [33], 'whole');
    const values = [15, 7, 8].map((n, k) => Float32Array.from({ length: n }, (_, i) => k * 100 + i + 0.5));
    flat.views.forEach((v, i) => upload(device, v, values[i]!));
    upload(device, whole, Float32Array.from({ length: 33 }, (_, i) => -i));
    const tensors = [...flat.views, whole];
    const got = await downloadMany(device, tensors);
    expect(got.map((g) => Array.from(g))).toEqual(await Promise.all(tensors.map(async (t) => Array.from(await download(device, t)))));
    expect(Array.from(got[1]!)).toEqual(Array.from(values[1]!));
    expect(await downloadMany(device, [])).toEqual([]);
  });
});
