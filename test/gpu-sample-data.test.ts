// Generation and dataset kernels: sample_argmax (first maximum on ties, also across workgroup lanes, logits at an
// offset, V = 11 and V = 1000) against argmaxRows; sample_temperature with u chosen inside a known interval of the
// CPU softmax CDF (softmaxRows) so the expected index is exact; image_batch (fake 28x28 byte images packed 4 per
// u32, a permutation, a start written between submits) against a CPU gather into time-major [T][B][28];
// token_window against a CPU window of the [rows][len] id matrix.
import { describe, expect, it } from 'vitest';
import { Program, grid1d } from '../src/gpu/program.ts';
import { generateOnGpu, submitPrograms, upload } from '../src/gpu/runner.ts';
import { mulberry32, randInts } from '../src/reference/random.ts';
import { argmaxRows, softmaxRows, windowPush } from '../src/reference/softmax.ts';
import { testDevice } from './gpu.ts';
import { TOL, expectClose, expectEqualArrays, randF32, readU32, read, runProgram, tensorOf } from './gpu-helpers.ts';

describe('sample_argmax', () => {
  const cases = [
    { V: 11, N: 5, off: 3, ties: [[0, 3, 8], [1, 0, 10], [2, 9, 10]] },
    { V: 1000, N: 4, off: 5, ties: [[0, 300, 700], [1, 44, 300], [2, 999, 998]] }, // across lanes, within a lane
  ];
  for (const c of cases) {
    it(`V=${c.V}, N=${c.N}, offset ${c.off}, ties -> first maximum`, async () => {
      const device = await testDevice();
      const rand = mulberry32(c.V);
      const z = randF32(c.N * c.V, rand, -3, 3);
      for (const [row, i, j] of c.ties) z[row! * c.V + i!] = z[row! * c.V + j!] = 4.5;
      const p = new Program(device, 'argmax');
      const logits = tensorOf(p, [...new Float64Array(c.off).fill(100), ...z], 'logits');
      const out = p.persistent([c.N], 'out', 'u32');
      p.dispatch('sample_argmax', { N: c.N, V: c.V, offLogits: c.off, temperature: 1 }, { logits, out }, [c.N]);
      await runProgram(p);
      const want = argmaxRows(z, c.N, c.V);
      for (const [row, i, j] of c.ties) expect(want[row!]).toBe(Math.min(i!, j!));
      expectEqualArrays(await readU32(device, out), want, 'argmax');
    });
  }
});

describe('sample_temperature', () => {
  const cases = [
    { V: 11, N: 6, temperature: 0.7, off: 2 },
    { V: 1000, N: 3, temperature: 1.5, off: 0 },
  ];
  for (const c of cases) {
    it(`V=${c.V}, temperature ${c.temperature}: u inside the CDF interval of a chosen index`, async () => {
      const device = await testDevice();
      const rand = mulberry32(c.V + 1);
      const { V, N } = c;
      const z = randF32(N * V, rand, -3, 3);
      const probs = softmaxRows(z, N, V, c.temperature);
      const want = new Uint32Array(N);
      const u = new Float64Array(N);
      for (let n = 0; n < N; n++) {
        const row = probs.subarray(n * V, (n + 1) * V);
        // row 0: u = 0 gives index 0; other rows: a random index whose interval is not tiny, u at its middle
        let k = 0;
        if (n > 0) do k = Math.floor(rand() * V); while (row[k]! < 0.1 / V);
        let lo = 0;
        for (let v = 0; v < k; v++) lo += row[v]!;
        want[n] = k;
        u[n] = n === 0 ? 0 : lo + row[k]! / 2;
      }
      expect(new Set(want).size).toBeGreaterThan(2);
      const p = new Program(device, 'sample');
      const logits = tensorOf(p, [...new Float64Array(c.off), ...z], 'logits');
      const uT = tensorOf(p, u, 'u');
      const out = p.persistent([N], 'out', 'u32');
      p.dispatch('sample_temperature', { N, V, offLogits: c.off, temperature: c.temperature }, { logits, u: uT, out }, [N]);
      await runProgram(p);
      expectEqualArrays(await readU32(device, out), want, 'sampled indices');
    });
  }
});

describe('sample_push', () => {
  for (const asFloat of [0, 1]) {
    it(`T=5, ids as ${asFloat ? 'f32' : 'u32'}: the window shifts and takes the id last`, async () => {
      const device = await testDevice();
      const start = [11, 22, 33, 44, 55];
      const p = new Program(device, 'push');
      const window = asFloat ? tensorOf(p, start, 'window') : tensorOf(p, Uint32Array.from(start), 'window');
      const next = tensorOf(p, Uint32Array.from([777]), 'next');
      p.dispatch('sample_push', { T: 5, asFloat }, { next, window }, [1]);
      await runProgram(p);
      const want = windowPush(start, 777);
      expectEqualArrays(asFloat ? Array.from(await read(device, window)) : await readU32(device, window), want, 'window');
    });
  }

  it('a whole continuation in one submission: argmax + push chained on the GPU == the CPU loop', async () => {
    const device = await testDevice();
    // The logits here do not depend on the window (one fixed row): what is checked is the chaining itself, that
    // every run's id is collected and joins the window in order. The models' continuations against their CPU
    // decoders are checked in ptb-engine.test.ts and fable-shipped.test.ts.
    const V = 7;
    const rand = mulberry32(5);
    const table = randF32(V, rand, -2, 2);
    const p = new Program(device, 'chain');
    const window = tensorOf(p, Uint32Array.from([3, 1, 4]), 'window');
    const logitsAll = tensorOf(p, table, 'table');
    const next = p.persistent([1], 'next', 'u32');
    p.dispatch('sample_argmax', { N: 1, V, offLogits: 0, temperature: 1 }, { logits: logitsAll, out: next }, [1]);
    p.dispatch('sample_push', { T: 3, asFloat: 0 }, { next, window }, [1]);
    const program = await p.compile();
    const ids = await generateOnGpu(device, { label: 'chain', program, runs: 4, out: next, firstOut: 0 });
    const first = argmaxRows(Float64Array.from(table), 1, V)[0]!;
    expect(ids).toEqual([first, first, first, first]);
    let w = [3, 1, 4];
    for (const id of ids) w = windowPush(w, id);
    expectEqualArrays(await readU32(device, window), w, 'window after 4 words');
  });
});

describe('image_batch', () => {
  it('packed 28x28 bytes, a permutation and two start offsets -> X [28][B][28] and labels', async () => {
    const device = await testDevice();
    const rand = mulberry32(71);
    const count = 6, rowLen = 28, T = 28, B = 3, P = rowLen * T;
    const bytes = randInts(count * P, rand, 256);
    bytes[0] = 255; // the extremes
    bytes[1] = 0;
    const packed = new Uint32Array((count * P) / 4);
    for (let i = 0; i < bytes.length; i++) packed[i >> 2] = (packed[i >> 2]! | (bytes[i]! << ((i & 3) * 8))) >>> 0;
    const labels = Uint32Array.from({ length: count }, (_, i) => (7 * i + 3) % 10);
    const perm = Uint32Array.from([4, 0, 5, 2, 1, 3]);
    const p = new Program(device, 'image_batch');
    const pixels = tensorOf(p, packed, 'pixels'), lab = tensorOf(p, labels, 'labels'), permT = tensorOf(p, perm, 'perm');
    const step = tensorOf(p, Uint32Array.of(0), 'step');
    const X = p.persistent([T, B, rowLen], 'X'), labelsOut = p.persistent([B], 'labelsOut', 'u32');
    p.dispatch('image_batch', { B, T, rowLen, len: 0 }, { pixels, labels: lab, perm: permT, step, X, labelsOut }, grid1d(T * B * rowLen, 64));
    const compiled = await p.compile();
    for (const start of [1, count - B]) {
      upload(device, step, Uint32Array.of(start));
      submitPrograms(device, [compiled]);
      const want = new Float64Array(T * B * rowLen);
      for (let t = 0; t < T; t++)
        for (let b = 0; b < B; b++)
          for (let i = 0; i < rowLen; i++) want[(t * B + b) * rowLen + i] = bytes[perm[start + b]! * P + t * rowLen + i]! / 255;
      const got = await read(device, X);
      expectClose(got, want, TOL.ulp, `X (start ${start})`);
      expectEqualArrays(Array.from(got, (v) => Math.round(v * 255)), Array.from(want, (v) => Math.round(v * 255)), `pixel bytes (start ${start})`);
      expectEqualArrays(await readU32(device, labelsOut), Array.from({ length: B }, (_, b) => labels[perm[start + b]!]!), `labels (start ${start})`);
    }
  });
});

describe('token_window', () => {
  it('ids[t][b] = data[b][start + t], targets one to the right, two starts', async () => {
    const device = await testDevice();
    const rand = mulberry32(72);
    const rows = 3, len = 20, T = 5;
    const data = randInts(rows * len, rand, 10000);
    const p = new Program(device, 'token_window');
    const dataT = tensorOf(p, data, 'data'), step = tensorOf(p, Uint32Array.of(0), 'step');
    const ids = p.persistent([T, rows], 'ids', 'u32'), targets = p.persistent([T, rows], 'targets', 'u32');
    p.dispatch('token_window', { B: rows, T, rowLen: 0, len }, { step, data: dataT, ids, targets }, grid1d(T * rows, 64));
    const compiled = await p.compile();
    for (const start of [7, len - T - 1]) {
      upload(device, step, Uint32Array.of(start));
      submitPrograms(device, [compiled]);
      const wantIds: number[] = [], wantTargets: number[] = [];
      for (let t = 0; t < T; t++)
        for (let b = 0; b < rows; b++) {
          wantIds.push(data[b * len + start + t]!);
          wantTargets.push(data[b * len + start + t + 1]!);
        }
      expectEqualArrays(await readU32(device, ids), wantIds, `ids (start ${start})`);
      expectEqualArrays(await readU32(device, targets), wantTargets, `targets (start ${start})`);
    }
  });
});
