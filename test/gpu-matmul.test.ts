// matmul_nn / matmul_tn / matmul_nt and bias_grad (shaders/matmul.wgsl) against src/reference/matmul.ts:
// operands at nonzero element offsets, accumulate on and off, bias on and off, shapes that are not multiples of
// the 4x4 register block or the 32x32 workgroup tile, and one bigger product spanning several workgroups.
// Elements of C outside the written range must stay untouched (bit for bit).
import { describe, expect, it } from 'vitest';
import { Program } from '../src/gpu/program.ts';
import { Graph } from '../src/nn/graph.ts';
import { matmul as opMatmul, vec4Aligned } from '../src/nn/ops.ts';
import { addBias, colSum, matmul } from '../src/reference/matmul.ts';
import { mulberry32 } from '../src/reference/random.ts';
import { testDevice } from './gpu.ts';
import { TOL, expectClose, expectEqualArrays, randF32, read, runProgram, tensorOf } from './gpu-helpers.ts';

type Kind = 'nn' | 'tn' | 'nt';
interface Case { M: number; N: number; K: number; offA: number; offB: number; offC: number; accumulate: boolean; bias: boolean }

const CASES: Case[] = [
  { M: 37, N: 29, K: 13, offA: 5, offB: 3, offC: 7, accumulate: false, bias: false },
  { M: 37, N: 29, K: 13, offA: 0, offB: 11, offC: 1, accumulate: true, bias: true },
  { M: 3, N: 5, K: 1, offA: 2, offB: 1, offC: 0, accumulate: false, bias: true },
  { M: 1, N: 33, K: 7, offA: 9, offB: 0, offC: 3, accumulate: true, bias: false },
  { M: 70, N: 130, K: 65, offA: 13, offB: 17, offC: 19, accumulate: true, bias: true },
];

async function checkMatmul(kind: Kind, c: Case, seed: number, viaOp = false) {
  const device = await testDevice();
  const rand = mulberry32(seed);
  const { M, N, K, offA, offB, offC } = c;
  const transA = kind === 'tn', transB = kind === 'nt';
  const PAD = 6; // guard elements after the written range of C
  const a = randF32(offA + M * K + 3, rand);
  const b = randF32(offB + K * N + 2, rand);
  const bias = randF32(N, rand);
  const c0 = randF32(offC + M * N + PAD, rand, -2, 2);
  const p = new Program(device, `matmul_${kind}`);
  const A = tensorOf(p, a, 'A'), Bt = tensorOf(p, b, 'B'), bt = tensorOf(p, bias, 'bias'), C = tensorOf(p, c0, 'C');
  const dummy = tensorOf(p, [0, 0, 0, 0], 'dummy');
  if (viaOp) {
    // the op layer's choice of kernel (vec4 fast path when aligned) and its grid
    opMatmul(new Graph(p), kind, { tensor: A, offset: offA }, { tensor: Bt, offset: offB }, { tensor: C, offset: offC, accumulate: c.accumulate }, M, N, K, c.bias ? bt : undefined);
  } else {
    p.dispatch(
      `matmul_${kind}`,
      { M, N, K, offA, offB, offC, accumulate: Number(c.accumulate), hasBias: Number(c.bias) },
      { A, B: Bt, bias: c.bias ? bt : dummy, C },
      [Math.ceil(N / 32), Math.ceil(M / 32)],
    );
  }
  await runProgram(p);
  const got = await read(device, C);

  const want = matmul(a.subarray(offA), b.subarray(offB), M, K, N, transA, transB);
  if (c.bias) addBias(want, bias, M, N);
  if (c.accumulate) for (let i = 0; i < M * N; i++) want[i] += c0[offC + i]!;
  expectClose(got.subarray(offC, offC + M * N), want, TOL.kernel, `matmul_${kind} ${M}x${N}x${K}`);
  expectEqualArrays(got.subarray(0, offC), c0.subarray(0, offC), 'C before offC untouched');
  expectEqualArrays(got.subarray(offC + M * N), c0.subarray(offC + M * N), 'C after the product untouched');
}

// Shapes and offsets that satisfy the vec4 fast paths of shaders/matmul_v4.wgsl for some kinds: rows not a
// multiple of 4 (nn/nt clamp), N a multiple of 4 but not of 8 (the second column block skipped), K not a
// multiple of 4 (tn only), offsets that are multiples of 4 (nn and tn also need offC % 4 = 0: they store vec4s).
const V4_CASES: Case[] = [
  { M: 37, N: 36, K: 20, offA: 8, offB: 4, offC: 8, accumulate: false, bias: true },
  { M: 36, N: 44, K: 13, offA: 4, offB: 12, offC: 3, accumulate: true, bias: false },
  { M: 68, N: 132, K: 64, offA: 0, offB: 16, offC: 4, accumulate: true, bias: true },
  { M: 4, N: 8, K: 4, offA: 4, offB: 0, offC: 0, accumulate: false, bias: false },
  { M: 133, N: 260, K: 36, offA: 12, offB: 8, offC: 12, accumulate: false, bias: true },
  { M: 36, N: 40, K: 3, offA: 4, offB: 8, offC: 16, accumulate: true, bias: false },
];

describe('matmul through the op layer (vec4 fast paths where aligned) vs reference', () => {
  for (const kind of ['nn', 'tn', 'nt'] as const) {
    V4_CASES.forEach((c, i) => {
      const fast = vec4Aligned(kind, c.M, c.N, c.K, c.offA, c.offB, c.offC);
      it(`${fast ? 'matmul_' + kind + '_v4' : 'matmul_' + kind} ${c.M}x${c.N}x${c.K} acc=${+c.accumulate} bias=${+c.bias}`, () =>
        checkMatmul(kind, c, 700 + 10 * i + kind.charCodeAt(1), true));
    });
  }
  it('the fast path is taken for every kind on some of these shapes', () => {
    for (const kind of ['nn', 'tn', 'nt'] as const) {
      expect(V4_CASES.filter((c) => vec4Aligned(kind, c.M, c.N, c.K, c.offA, c.offB, c.offC)).length).toBeGreaterThanOrEqual(3);
    }
  });
});

describe('matmul kernels vs reference', () => {
  for (const kind of ['nn', 'tn', 'nt'] as const) {
    CASES.forEach((c, i) => {
      const name = `matmul_${kind} ${c.M}x${c.N}x${c.K} off(${c.offA},${c.offB},${c.offC}) acc=${+c.accumulate} bias=${+c.bias}`;
      it(name, () => checkMatmul(kind, c, 100 * i + kind.charCodeAt(1)));
    });
  }

  it('the three layouts differ (transposes are really applied)', async () => {
    // the same buffers read as nn and as tn give different products on a non-symmetric A
    const device = await testDevice();
    const rand = mulberry32(9);
    const a = randF32(16, rand), b = randF32(16, rand);
    const p = new Program(device, 'layouts');
    const A = tensorOf(p, a, 'A'), Bt = tensorOf(p, b, 'B');
    const outs = (['nn', 'tn', 'nt'] as const).map((k) => {
      const C = p.persistent([16], `C${k}`);
      p.dispatch(`matmul_${k}`, { M: 4, N: 4, K: 4, offA: 0, offB: 0, offC: 0, accumulate: 0, hasBias: 0 }, { A, B: Bt, bias: A, C }, [1, 1]);
      return C;
    });
    await runProgram(p);
    const [nn, tn, nt] = await Promise.all(outs.map((t) => read(device, t)));
    expectClose(nn!, matmul(a, b, 4, 4, 4), TOL.kernel, 'nn');
    expectClose(tn!, matmul(a, b, 4, 4, 4, true), TOL.kernel, 'tn');
    expectClose(nt!, matmul(a, b, 4, 4, 4, false, true), TOL.kernel, 'nt');
    expect(nn).not.toEqual(tn);
    expect(nn).not.toEqual(nt);
  });

  for (const accumulate of [false, true]) {
    it(`bias_grad 37x29 with offsets, accumulate=${accumulate}`, async () => {
      const device = await testDevice();
      const rand = mulberry32(accumulate ? 21 : 22);
      const M = 37, N = 29, offA = 9, offC = 5, PAD = 4;
      const dy = randF32(offA + M * N + 3, rand);
      const db0 = randF32(offC + N + PAD, rand);
      const p = new Program(device, 'bias_grad');
      const dY = tensorOf(p, dy, 'dY'), db = tensorOf(p, db0, 'db');
      p.dispatch('bias_grad', { M, N, K: 0, offA, offB: 0, offC, accumulate: Number(accumulate), hasBias: 0 }, { dY, db }, [1]);
      await runProgram(p);
      const got = await read(device, db);
      const want = colSum(dy.subarray(offA), M, N);
      if (accumulate) for (let n = 0; n < N; n++) want[n] += db0[offC + n]!;
      expectClose(got.subarray(offC, offC + N), want, TOL.kernel, 'bias_grad');
      expectEqualArrays(got.subarray(0, offC), db0.subarray(0, offC), 'db before offC untouched');
      expectEqualArrays(got.subarray(offC + N), db0.subarray(offC + N), 'db after N untouched');
    });
  }

  it('bias_grad with more columns than a workgroup (N = 130, M = 70)', async () => {
    const device = await testDevice();
    const rand = mulberry32(23);
    const M = 70, N = 130;
    const dy = randF32(M * N, rand);
    const p = new Program(device, 'bias_grad big');
    const dY = tensorOf(p, dy, 'dY'), db = p.persistent([N], 'db');
    p.dispatch('bias_grad', { M, N, K: 0, offA: 0, offB: 0, offC: 0, accumulate: 0, hasBias: 0 }, { dY, db }, [Math.ceil(N / 64)]);
    await runProgram(p);
    expectClose(await read(device, db), colSum(dy, M, N), TOL.kernel, 'bias_grad 70x130');
  });
});
