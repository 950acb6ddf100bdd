// Embedding (shaders/embedding.wgsl) against embeddingForward / embeddingBackward with repeated ids, as kernels
// and through the embedding op; the backward is deterministic (bit-identical across runs). Dropout
// (shaders/dropout.wgsl) against dropoutForward / dropoutBackward: the kept/dropped pattern must equal the
// reference hash element by element, for keep 0.5 and 0.35, seeds read from a u32 tensor, as kernels (offsets,
// accumulate) and through the dropout op. Also checks copyOut (the tests' exact copy) is exact.
import { describe, expect, it } from 'vitest';
import { Program, grid1d } from '../src/gpu/program.ts';
import { submitPrograms } from '../src/gpu/runner.ts';
import { Graph } from '../src/nn/graph.ts';
import { dropout, embedding } from '../src/nn/ops.ts';
import { dropoutBackward, dropoutForward, dropoutMask } from '../src/reference/dropout.ts';
import { embeddingBackward, embeddingForward } from '../src/reference/embedding.ts';
import { mulberry32, randInts } from '../src/reference/random.ts';
import { testDevice } from './gpu.ts';
import { TOL, copyOut, expectClose, expectEqualArrays, randF32, read, readU32, runProgram, seedGrads, tensorOf } from './gpu-helpers.ts';

describe('embedding', () => {
  it('gather / clear / link / scatter kernels with repeated ids (N=200, V=11, D=5), deterministic', async () => {
    const device = await testDevice();
    const rand = mulberry32(31);
    const N = 200, V = 11, D = 5, offOut = 3;
    const table = randF32(V * D, rand);
    const ids = randInts(N, rand, V - 2); // ids V-2 and V-1 never occur: their gradient rows must be cleared to 0
    ids[0] = ids[N - 1] = 4; // a chain from the first to the last row
    const dOut = randF32(N * D, rand);
    const out0 = randF32(offOut + N * D + 2, rand);
    const p = new Program(device, 'embedding kernels');
    const tableT = tensorOf(p, table, 'table'), idsT = tensorOf(p, ids, 'ids'), out = tensorOf(p, out0, 'out');
    const dOutT = tensorOf(p, dOut, 'dOut');
    const dTable = tensorOf(p, randF32(V * D, rand, 5, 6), 'dTable'); // garbage: clear must zero it
    const links = p.persistent([2, N], 'links', 'u32');
    const u = { N, V, D, offOut };
    p.dispatch('embedding_gather', u, { table: tableT, ids: idsT, out }, grid1d(N * D, 64));
    const ub = { ...u, offOut: 0 };
    p.dispatch('embedding_clear', ub, { dTable }, grid1d(V * D, 64));
    p.dispatch('embedding_link', ub, { ids: idsT, links }, grid1d(N, 64));
    p.dispatch('embedding_scatter', ub, { ids: idsT, dOut: dOutT, dTable, links }, grid1d(N * D, 64));
    const compiled = await p.compile();
    submitPrograms(device, [compiled]);

    const gotOut = await read(device, out);
    expectEqualArrays(gotOut.subarray(offOut, offOut + N * D), embeddingForward(table, ids, V, D), 'gather (a copy: exact)');
    expectEqualArrays(gotOut.subarray(0, offOut), out0.subarray(0, offOut), 'out before offOut untouched');
    expectEqualArrays(gotOut.subarray(offOut + N * D), out0.subarray(offOut + N * D), 'out after the rows untouched');

    // links: next occurrence of the same id (or N) and the first-occurrence flag
    const gotLinks = await readU32(device, links);
    const next = Array.from(ids, (id, n) => { const m = ids.indexOf(id, n + 1); return m < 0 ? N : m; });
    const owner = Array.from(ids, (id, n) => Number(ids.indexOf(id) === n));
    expectEqualArrays(gotLinks, [...next, ...owner], 'links (next, owner)');

    const want = embeddingBackward(dOut, ids, V, D);
    const first = await read(device, dTable);
    expectClose(first, want, TOL.kernel, 'dTable');
    expectEqualArrays(first.subarray((V - 2) * D), new Float64Array(2 * D), 'rows of unused ids are exactly 0');
    submitPrograms(device, [compiled]);
    expectEqualArrays(await read(device, dTable), first, 'dTable bit-identical on a second run (deterministic)');
  });

  it('the embedding op: forward rows and the table gradient (T=5, B=3, V=11, D=7)', async () => {
    const device = await testDevice();
    const rand = mulberry32(32);
    const N = 15, V = 11, D = 7;
    const table = randF32(V * D, rand);
    const ids = Uint32Array.from([3, 0, 3, 10, 3, 1, 0, 0, 7, 3, 10, 5, 5, 3, 2]); // repeats, first and last id
    const dOut = randF32(N * D, rand);
    const p = new Program(device, 'embedding op');
    const g = new Graph(p);
    const dTable = p.persistent([V, D], 'dTable');
    const tv = g.param(tensorOf(p, table, 'table', [V, D]), dTable);
    const iv = g.value(tensorOf(p, ids, 'ids', [N]));
    const [out] = g.apply(embedding, [iv, tv], { V, D });
    g.apply(seedGrads, [out!], { grads: [tensorOf(p, dOut, 'dOut', [N, D])] });
    g.backward();
    const outCopy = copyOut(p, out!.tensor, 'out', out!.offset, out!.size);
    await runProgram(p);
    expectEqualArrays(await read(device, outCopy), embeddingForward(table, ids, V, D), 'embedding op forward');
    expectClose(await read(device, dTable), embeddingBackward(dOut, ids, V, D), TOL.kernel, 'embedding op dTable');
  });
});

describe('dropout', () => {
  it('copyOut (dropout_forward with keep = 1) is an exact copy', async () => {
    const device = await testDevice();
    const rand = mulberry32(40);
    const x = randF32(300, rand, -1e3, 1e3);
    const p = new Program(device, 'copy');
    const xT = tensorOf(p, x, 'x');
    const c = copyOut(p, xT, 'copy', 17, 250);
    await runProgram(p);
    expectEqualArrays(await read(device, c), x.subarray(17, 267), 'copy');
  });

  const KERNEL_CASES = [
    { n: 105, keep: 0.5, seed: 0xdeadbeef, layer: 3, offX: 4, accumulate: false },
    { n: 1000, keep: 0.35, seed: 123456789, layer: 0, offX: 0, accumulate: true },
    { n: 1000, keep: 0.35, seed: 0xffffffff, layer: 7, offX: 9, accumulate: false },
  ];
  for (const c of KERNEL_CASES) {
    it(`forward/backward kernels: n=${c.n} keep=${c.keep} seed=${c.seed} layer=${c.layer} offX=${c.offX} accumulate=${c.accumulate}`, async () => {
      const device = await testDevice();
      const rand = mulberry32(c.n + c.layer);
      const { n, keep, offX } = c;
      // magnitudes in [0.5, 1.5) with random signs: never 0, so y != 0 exactly where the mask keeps
      const x = randF32(offX + n + 3, rand, 0.5, 1.5).map((v) => (rand() < 0.5 ? -v : v));
      const dy = randF32(n, rand);
      const dx0 = randF32(offX + n + 3, rand);
      const p = new Program(device, 'dropout kernels');
      const xT = tensorOf(p, x, 'x'), y = p.persistent([n], 'y'), dyT = tensorOf(p, dy, 'dy'), dx = tensorOf(p, dx0, 'dx');
      const seed = tensorOf(p, Uint32Array.of(c.seed), 'seed', [1]);
      const u = { n, layer: c.layer, offX, keep, accumulate: Number(c.accumulate) };
      p.dispatch('dropout_forward', u, { x: xT, y, stepSeed: seed }, grid1d(n, 64));
      p.dispatch('dropout_backward', u, { dy: dyT, dx, stepSeed: seed }, grid1d(n, 64));
      await runProgram(p);

      const mask = dropoutMask(n, keep, c.seed, c.layer);
      const kept = mask.reduce((a, m) => a + Number(m !== 0), 0);
      expect(kept).toBeGreaterThan(0);
      expect(kept).toBeLessThan(n);
      const gotY = await read(device, y);
      expectEqualArrays(Array.from(gotY, (v) => Number(v !== 0)), Array.from(mask, (m) => Number(m !== 0)), 'forward mask (kept/dropped)');
      expectClose(gotY, dropoutForward(x.subarray(offX, offX + n), keep, c.seed, c.layer), TOL.ulp, 'y');

      const gotDx = await read(device, dx);
      const wantDx = dropoutBackward(dy, keep, c.seed, c.layer);
      if (c.accumulate) for (let e = 0; e < n; e++) wantDx[e] += dx0[offX + e]!;
      else for (let e = 0; e < n; e++) expect(gotDx[offX + e] === 0, `dx[${e}] zero iff dropped`).toBe(mask[e] === 0);
      expectClose(gotDx.subarray(offX, offX + n), wantDx, TOL.ulp, 'dx');
      expectEqualArrays(gotDx.subarray(0, offX), dx0.subarray(0, offX), 'dx before offX untouched');
      expectEqualArrays(gotDx.subarray(offX + n), dx0.subarray(offX + n), 'dx after the range untouched');
    });
  }

  it('the dropout op, forward and backward (x [15][7], keep 0.35, layer 2; and on a slice at an offset)', async () => {
    const device = await testDevice();
    const rand = mulberry32(41);
    const rows = 15, cols = 7, n = rows * cols, keep = 0.35, layer = 2, seedValue = 2024;
    const x = randF32(n, rand, 0.5, 1.5);
    const dy = randF32(n, rand);
    const p = new Program(device, 'dropout op');
    const g = new Graph(p);
    const dx = p.persistent([rows, cols], 'dx');
    const xv = g.param(tensorOf(p, x, 'x', [rows, cols]), dx);
    const seed = tensorOf(p, Uint32Array.of(seedValue), 'seed', [1]);
    const [y] = g.apply(dropout, [xv], { keep, layer, seed });
    // the same op on a slice of a larger tensor (x read at its offset; forward only), as a layer's output in Hs
    const big = randF32(n + 2 * cols, rand, 0.5, 1.5);
    const [ySlice] = g.apply(dropout, [g.value(tensorOf(p, big, 'big'), [rows, cols], 2 * cols)], { keep, layer: layer + 1, seed });
    g.apply(seedGrads, [y!], { grads: [tensorOf(p, dy, 'dy', [rows, cols])] });
    g.backward();
    const yCopy = copyOut(p, y!.tensor, 'y', y!.offset, n);
    const ySliceCopy = copyOut(p, ySlice!.tensor, 'y of slice', ySlice!.offset, n);
    await runProgram(p);
    expectClose(await read(device, ySliceCopy), dropoutForward(big.subarray(2 * cols), keep, seedValue, layer + 1), TOL.ulp, 'op y of a slice');
    const mask = dropoutMask(n, keep, seedValue, layer);
    const gotY = await read(device, yCopy);
    expectEqualArrays(Array.from(gotY, (v) => Number(v !== 0)), Array.from(mask, (m) => Number(m !== 0)), 'op mask');
    expectClose(gotY, dropoutForward(x, keep, seedValue, layer), TOL.ulp, 'op y');
    expectClose(await read(device, dx), dropoutBackward(dy, keep, seedValue, layer), TOL.ulp, 'op dx');
  });
});
