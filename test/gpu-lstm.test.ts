// The lstm and rnn ops (src/nn/ops.ts over shaders/lstm.wgsl, shaders/rnn.wgsl, matmul.wgsl) through Graph:
// forward (Hs, Cs, G) against lstmForward / rnnForward and backward (dX, dWx, dWh, db) against lstmBackward /
// rnnBackward, driven by arbitrary upstream gradients of every step's h (dHs), of the last h (dhT) or both,
// without and with carried state (T = 5: written by the last step; T = 1: by the carry kernel), and the state
// carried into a second run. Then the fused LSTM step against the same step composed from two matmuls and the
// lstm_pointwise kernel. The step-kernel variants chosen per device and shape (src/nn/kernelChoice.ts): each
// forced at batches of 4 and more against the reference, and the op recording the chosen one (tuner: tune.test.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { Program } from '../src/gpu/program.ts';
import { submitPrograms, upload } from '../src/gpu/runner.ts';
import type { Tensor } from '../src/gpu/tensor.ts';
import { Graph } from '../src/nn/graph.ts';
import { clearLstmKernels, setLstmKernels, type LstmKernels } from '../src/nn/kernelChoice.ts';
import { lstm, rnn } from '../src/nn/ops.ts';
import { lstmBackward, lstmForward } from '../src/reference/lstm.ts';
import { mulberry32 } from '../src/reference/random.ts';
import { rnnBackward, rnnForward } from '../src/reference/rnn.ts';
import { testDevice } from './gpu.ts';
import { TOL, capturing, copyOut, expectClose, randF32, read, runProgram, seedGrads, tensorOf } from './gpu-helpers.ts';

const B0 = 3, I = 4, H0 = 7;

interface Case {
  cell: 'lstm' | 'rnn';
  T: number;
  state: boolean;
  dHs: boolean;
  dhT: boolean;
  forgetBias: number;
  /** batch and hidden size when not B0 = 3, H0 = 7 (the step kernels tile 8 rows x 2 or 4 units per invocation and
   *  64 invocations per workgroup: B > 8 and H > 128 or 256 span several tiles and workgroups, partly filled;
   *  LSTM batches under 4, B0 included, take the one-row kernels) */
  B?: number;
  H?: number;
  /** LSTM step kernels forced for this shape (else the default: tiles from batch 4, rows under it) */
  kernels?: LstmKernels;
}

const CASES: Case[] = [
  { cell: 'lstm', T: 5, state: false, dHs: true, dhT: false, forgetBias: 1 },
  { cell: 'lstm', T: 5, state: false, dHs: false, dhT: true, forgetBias: 1 },
  { cell: 'lstm', T: 5, state: true, dHs: true, dhT: true, forgetBias: 0 },
  { cell: 'lstm', T: 5, state: true, dHs: false, dhT: true, forgetBias: 1 },
  { cell: 'lstm', T: 1, state: true, dHs: true, dhT: false, forgetBias: 1 },
  { cell: 'lstm', T: 1, state: true, dHs: false, dhT: true, forgetBias: 1 },
  { cell: 'lstm', T: 3, state: true, dHs: true, dhT: true, forgetBias: 1, B: 6, H: 9 },
  { cell: 'lstm', T: 3, state: false, dHs: true, dhT: true, forgetBias: 1, B: 11, H: 9 },
  { cell: 'lstm', T: 2, state: true, dHs: true, dhT: true, forgetBias: 0, B: 9, H: 259 },
  // H % 4 = 0 takes forward_step_v4 (h read as vec4s); H = 260: 3 workgroups of 2-unit tiles, the last partly filled
  { cell: 'lstm', T: 3, state: true, dHs: true, dhT: true, forgetBias: 1, B: 6, H: 12 },
  { cell: 'lstm', T: 2, state: false, dHs: true, dhT: true, forgetBias: 0, B: 11, H: 260 },
  // batches under 4 take the one-row kernels (4 units x 1 row): H = 259 spans 2 workgroups, the last partly filled
  { cell: 'lstm', T: 3, state: true, dHs: true, dhT: true, forgetBias: 1, B: 1, H: 259 },
  { cell: 'lstm', T: 2, state: false, dHs: true, dhT: false, forgetBias: 1, B: 2, H: 9 },
  // the one-row kernels forced at batches of 4 and more (as the tuner may choose on a GPU), alone or mixed with tiles
  { cell: 'lstm', T: 3, state: true, dHs: true, dhT: true, forgetBias: 1, B: 6, H: 9, kernels: { forwardRows: true, backwardRows: true } },
  { cell: 'lstm', T: 2, state: false, dHs: true, dhT: true, forgetBias: 0, B: 11, H: 260, kernels: { forwardRows: true, backwardRows: false } },
  { cell: 'lstm', T: 3, state: true, dHs: false, dhT: true, forgetBias: 1, B: 9, H: 12, kernels: { forwardRows: false, backwardRows: true } },
  { cell: 'rnn', T: 5, state: false, dHs: true, dhT: false, forgetBias: 0 },
  { cell: 'rnn', T: 5, state: false, dHs: false, dhT: true, forgetBias: 0 },
  { cell: 'rnn', T: 5, state: true, dHs: true, dhT: true, forgetBias: 0 },
  { cell: 'rnn', T: 1, state: true, dHs: false, dhT: true, forgetBias: 0 },
  { cell: 'rnn', T: 3, state: true, dHs: true, dhT: true, forgetBias: 0, B: 6, H: 9 },
  { cell: 'rnn', T: 3, state: false, dHs: true, dhT: true, forgetBias: 0, B: 11, H: 9 },
  { cell: 'rnn', T: 2, state: true, dHs: true, dhT: true, forgetBias: 0, B: 17, H: 259 },
  // H % 4 = 0 takes rnn forward_step_v4 (XW, Wh, h as vec4s); H = 260: 2 workgroups of 4-unit tiles
  { cell: 'rnn', T: 3, state: true, dHs: true, dhT: true, forgetBias: 0, B: 6, H: 12 },
  { cell: 'rnn', T: 2, state: false, dHs: true, dhT: false, forgetBias: 0, B: 11, H: 260 },
];

const caseName = (c: Case) =>
  `${c.cell} T=${c.T} ${c.state ? 'carried state' : 'zero state'} grads:${[c.dHs && 'dHs', c.dhT && 'dhT'].filter(Boolean).join('+')}` +
  (c.cell === 'lstm' ? ` forgetBias=${c.forgetBias}` : '') +
  (c.B || c.H ? ` B=${c.B ?? B0} H=${c.H ?? H0}` : '') +
  (c.kernels ? ` forward ${c.kernels.forwardRows ? 'rows' : 'tiles'}, backward ${c.kernels.backwardRows ? 'rows' : 'tiles'}` : '');

async function checkRecurrent(c: Case, seed: number) {
  const device = await testDevice();
  const rand = mulberry32(seed);
  const { T, cell, forgetBias } = c;
  const B = c.B ?? B0, H = c.H ?? H0;
  const isLstm = cell === 'lstm';
  const G4 = isLstm ? 4 : 1;
  const N = T * B, BH = B * H;
  const x = randF32(N * I, rand);
  const Wx = randF32(I * G4 * H, rand, -0.6, 0.6);
  // Wide layers: recurrent weights scaled like 1/sqrt(H) so the cells stay out of saturation (as trained nets do),
  // else f32 sums of hundreds of terms are compared where tanh has flattened them into cancellation noise.
  const ws = H > 16 ? 0.6 * Math.sqrt(H0 / H) : 0.6;
  const Wh = randF32(H * G4 * H, rand, -ws, ws);
  const b = randF32(G4 * H, rand, -0.5, 0.5);
  const state0 = randF32((isLstm ? 2 : 1) * BH, rand); // h0 (then c0)
  const dHs = randF32(N * H, rand);
  const dhT = randF32(BH, rand);

  if (c.kernels) setLstmKernels(device, B, H, c.kernels);
  const p = new Program(device, caseName(c));
  const g = new Graph(p);
  const param = (data: Float64Array, shape: number[], label: string) => {
    const grad = p.persistent(shape, `d${label}`);
    return { v: g.param(tensorOf(p, data, label, shape), grad), grad };
  };
  const px = param(x, [N, I], 'x');
  const pWx = param(Wx, [I, G4 * H], 'Wx');
  const pWh = param(Wh, [H, G4 * H], 'Wh');
  const pb = param(b, [G4 * H], 'b');
  const state = c.state ? tensorOf(p, state0, 'state', [isLstm ? 2 : 1, B, H]) : undefined;
  const cap = capturing(isLstm ? lstm : rnn);
  const [hs, hLast] = g.apply(cap.op, [px.v, pWx.v, pWh.v, pb.v], { T, B, I, H, forgetBias, state });
  expect(hs!.shape).toEqual([N, H]);
  expect(hLast!.shape).toEqual([B, H]);
  const seeded = [c.dHs && ([hs!, tensorOf(p, dHs, 'dHs', [N, H])] as const), c.dhT && ([hLast!, tensorOf(p, dhT, 'dhT', [B, H])] as const)].filter(
    (s): s is readonly [typeof hs & object, Tensor] => !!s,
  );
  g.apply(seedGrads, seeded.map((s) => s[0]), { grads: seeded.map((s) => s[1]) });
  g.backward();
  expect(g.missingGrads([px.v, pWx.v, pWh.v, pb.v])).toEqual([]);
  const saved = cap.saved[0]!;
  const HsOut = copyOut(p, saved.Hs!, 'Hs');
  const CsOut = isLstm ? copyOut(p, saved.Cs!, 'Cs') : undefined;
  const GOut = isLstm ? copyOut(p, saved.G!, 'G') : undefined;
  const compiled = await p.compile();
  if (c.kernels) {
    // the op recorded the forced variants (each dispatch run alone, listed by kernel)
    const kernels = [...(await compiled.profile(device)).keys()];
    expect(kernels).toContain(c.kernels.forwardRows ? 'lstm_forward_step_row' : H % 4 === 0 ? 'lstm_forward_step_v4' : 'lstm_forward_step');
    expect(kernels).toContain(c.kernels.backwardRows ? 'lstm_backward_step_row' : 'lstm_backward_step');
    expect(kernels.includes('lstm_transpose_wh')).toBe(!c.kernels.backwardRows);
    if (state) upload(device, state, Float32Array.from(state0)); // the profiling run wrote the final state back
  }
  submitPrograms(device, [compiled]);

  // reference, from the same f32 inputs
  const h0 = c.state ? state0.slice(0, BH) : new Float64Array(BH);
  const c0 = c.state && isLstm ? state0.slice(BH) : new Float64Array(BH);
  const what = caseName(c);
  let final: Float64Array;
  let grads: { dX: Float64Array; dWx: Float64Array; dWh: Float64Array; db: Float64Array };
  if (isLstm) {
    const fwd = lstmForward(x, Wx, Wh, b, h0, c0, T, B, I, H, forgetBias);
    expectClose(await read(device, HsOut), fwd.Hs, TOL.chain, `${what}: Hs`);
    expectClose(await read(device, CsOut!), fwd.Cs, TOL.chain, `${what}: Cs`);
    expectClose(await read(device, GOut!), fwd.G, TOL.chain, `${what}: G`);
    grads = lstmBackward(x, Wx, Wh, fwd, c.dHs ? dHs : null, c.dhT ? dhT : null, null, T, B, I, H);
    final = new Float64Array([...fwd.Hs.subarray(T * BH), ...fwd.Cs.subarray(T * BH)]);
  } else {
    const fwd = rnnForward(x, Wx, Wh, b, h0, T, B, I, H);
    expectClose(await read(device, HsOut), fwd.Hs, TOL.chain, `${what}: Hs`);
    grads = rnnBackward(x, Wx, Wh, fwd, c.dHs ? dHs : null, c.dhT ? dhT : null, T, B, I, H);
    final = fwd.Hs.slice(T * BH);
  }
  expectClose(await read(device, px.grad), grads.dX, TOL.chain, `${what}: dX`);
  expectClose(await read(device, pWx.grad), grads.dWx, TOL.chain, `${what}: dWx`);
  expectClose(await read(device, pWh.grad), grads.dWh, TOL.chain, `${what}: dWh`);
  expectClose(await read(device, pb.grad), grads.db, TOL.chain, `${what}: db`);

  if (state) {
    // the final state was written back ...
    expectClose(await read(device, state), final, TOL.chain, `${what}: final state written back`);
    // ... and a second run of the same program starts from it (truncated BPTT across batches)
    submitPrograms(device, [compiled]);
    const second = isLstm
      ? lstmForward(x, Wx, Wh, b, final.slice(0, BH), final.slice(BH), T, B, I, H, forgetBias).Hs
      : rnnForward(x, Wx, Wh, b, final, T, B, I, H).Hs;
    expectClose(await read(device, HsOut), second, TOL.chain, `${what}: Hs of a second run from the carried state`);
  }
}

describe('recurrent ops vs reference (I=4; B=3, H=7 unless named)', () => {
  afterEach(async () => clearLstmKernels(await testDevice()));
  CASES.forEach((c, i) => it(caseName(c), () => checkRecurrent(c, 1000 + i)));
});

describe('fused LSTM step vs the same step composed from matmul + lstm_pointwise', () => {
  it('T=5 steps from a random initial state, forgetBias 1.0, agree to f32 rounding', async () => {
    const device = await testDevice();
    const rand = mulberry32(77);
    const B = B0, H = H0, T = 5, N = T * B, BH = B * H, G4 = 4 * H, forgetBias = 1;
    const x = randF32(N * I, rand);
    const Wx = randF32(I * G4, rand, -0.6, 0.6), Wh = randF32(H * G4, rand, -0.6, 0.6), b = randF32(G4, rand, -0.5, 0.5);
    const h0 = randF32(BH, rand), c0 = randF32(BH, rand);
    const p = new Program(device, 'fused vs composed');
    const xT = tensorOf(p, x, 'x', [N, I]), WxT = tensorOf(p, Wx, 'Wx', [I, G4]), WhT = tensorOf(p, Wh, 'Wh', [H, G4]), bT = tensorOf(p, b, 'b', [G4]);

    // fused: the lstm op (one input matmul, then the fused lstm_forward_step per t), from the carried state
    const g = new Graph(p);
    const cap = capturing(lstm);
    const state = tensorOf(p, [...h0, ...c0], 'state', [2, B, H]);
    g.apply(cap.op, [g.value(xT), g.value(WxT), g.value(WhT), g.value(bT)], { T, B, I, H, forgetBias, state });
    const { Hs: HsF, Cs: CsF, G: GF } = cap.saved[0]!;
    const Hf = copyOut(p, HsF!, 'Hs fused'), Cf = copyOut(p, CsF!, 'Cs fused'), Gf = copyOut(p, GF!, 'G fused');

    // composed, per step: A = x_t·Wx + b;  A += h_{t-1}·Wh (accumulate);  lstm_pointwise
    const Hc = tensorOf(p, [...h0, ...new Float64Array(T * BH)], 'Hs composed');
    const Cc = tensorOf(p, [...c0, ...new Float64Array(T * BH)], 'Cs composed');
    const Gc = p.persistent([N, G4], 'G composed');
    const A = p.persistent([B, G4], 'A');
    const dummy = tensorOf(p, [0, 0, 0, 0], 'dummy');
    const mm = { M: B, N: G4, offB: 0, offC: 0 };
    const mmGrid: [number, number] = [Math.ceil(G4 / 32), Math.ceil(B / 32)];
    for (let t = 0; t < T; t++) {
      p.dispatch('matmul_nn', { ...mm, K: I, offA: t * B * I, accumulate: 0, hasBias: 1 }, { A: xT, B: WxT, bias: bT, C: A }, mmGrid);
      p.dispatch('matmul_nn', { ...mm, K: H, offA: t * BH, accumulate: 1, hasBias: 0 }, { A: Hc, B: WhT, bias: dummy, C: A }, mmGrid);
      p.dispatch(
        'lstm_pointwise',
        { T, B, H, t, forgetBias, useState: 0, writeState: 0, hasDHs: 0, hasDhT: 0 },
        { A, Hs: Hc, Cs: Cc, G: Gc },
        [Math.ceil(BH / 64)],
      );
    }
    await runProgram(p);

    const [hf, cf, gf, hc, cc, gc] = await Promise.all([Hf, Cf, Gf, Hc, Cc, Gc].map((t) => read(device, t)));
    expectClose(hc!, hf!, TOL.order, 'Hs composed vs fused');
    expectClose(cc!, cf!, TOL.order, 'Cs composed vs fused');
    expectClose(gc!, gf!, TOL.order, 'G composed vs fused');
    // and both are the LSTM (not the same wrong thing twice)
    const ref = lstmForward(x, Wx, Wh, b, h0, c0, T, B, I, H, forgetBias);
    expectClose(hf!, ref.Hs, TOL.chain, 'Hs fused vs reference');
    expectClose(cc!, ref.Cs, TOL.chain, 'Cs composed vs reference');
    expectClose(gc!, ref.G, TOL.chain, 'G composed vs reference');
  });
});
