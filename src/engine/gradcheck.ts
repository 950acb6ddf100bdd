// The "check gradients" diagnostic: on the user's own GPU, every kernel family's recorded backward is compared
// with central finite differences of its forward, both computed by the real ops and kernels.
//
// For each family a tiny graph (small odd shapes) is recorded twice from the same ParamSet: a forward-only
// Program and a training Program (forward + backward). The scalar loss is
//     L = Σ_k Σ_i r_k[i] · y_k[i]
// over the family's outputs y_k with fixed random weights r_k (f32 values); the training program seeds
// dL/dy_k = r_k through a loss op that records no forward dispatch (`seedGradient` below). The softmax
// cross-entropy family uses the real loss op instead: L = scale · Σ_n loss_n, seeded by softmaxXent itself.
// The forward program's outputs are copied into one staging buffer in the same submit and L is summed on the
// host in f64, so the only f32 error left in L is that of the kernels themselves.
//
// Numeric gradient of element e of parameter p: (L(p_e + eps) - L(p_e - eps)) / (p⁺ - p⁻), where p⁺, p⁻ are the
// f32-rounded perturbed values actually uploaded (dividing by 2·eps would add their rounding, ~1e-6 relative).
// Error of that estimate (eps = 1e-2, outputs O(1), r ∈ [-1, 1]):
//   truncation  eps²/6 · |∂³L/∂p_e³|  ≲ 2e-5 · |L'''|   (zero for the families that are linear in each element:
//               matmul, embedding, dropout)
//   rounding    the kernels' own f32 rounding of y (a few ulps, ~1e-7 relative, over ≲ 100 outputs) changes L by
//               ≲ 1e-6 between the two evaluations; divided by 2·eps that is ≲ 1e-4 absolute.
// Compared with the relative error |a - n| / max(|a|, |n|, FLOOR), FLOOR = 1e-2 (gradients here are O(0.1..1);
// below the floor the error is absolute, so ~1e-4 absolute noise reads as ≲ 1e-2 at worst). Measured on
// SwiftShader: worst 1.6e-3 (lstm, an element of 0.009 with 1.6e-5 absolute error), 1e-5..5e-4 elsewhere.
// TOLERANCE = 5e-2 leaves a margin of 5x over the budget's worst case (30x over what is measured), while wrong
// kernels give errors of order 1: a dropped carried dc, c_t for c_{t-1} in da_f, an ignored dhT, 1-h for 1-h²,
// dWh over Hs[1..T], an ignored accumulate flag each gave 0.3 .. 1.8 (tried on a scratch copy).
import type { KernelCheck } from './protocol.ts';
import { Program } from '../gpu/program.ts';
import { submitPrograms, upload } from '../gpu/runner.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { Graph, type OpDef, type Value } from '../nn/graph.ts';
import { LSTM_SMALL_BATCH, setLstmKernels } from '../nn/kernelChoice.ts';
import { dropout, embedding, linear, lstm, rnn, softmaxXent } from '../nn/ops.ts';
import { mulberry32 } from '../data/batch.ts';
import { ParamSet } from '../nn/params.ts';

/** Perturbation of the central differences. */
export const GRADCHECK_EPS = 1e-2;
/** Magnitude below which the comparison is absolute rather than relative. */
export const GRADCHECK_FLOOR = 1e-2;
/** Largest acceptable worstRelError (see the error budget at the top of this file). */
export const GRADCHECK_TOLERANCE = 5e-2;

/**
 * worst = max_i |analytic_i - numeric_i| / max(|analytic_i|, |numeric_i|, floor), with the index where it occurs
 * (-1 when empty). A non-finite value anywhere makes the error Infinity.
 */
export function compareGradients(analytic: ArrayLike<number>, numeric: ArrayLike<number>, floor = GRADCHECK_FLOOR): { worst: number; index: number } {
  if (analytic.length !== numeric.length) throw new Error(`compareGradients: lengths ${analytic.length} != ${numeric.length}`);
  let worst = 0;
  let index = analytic.length > 0 ? 0 : -1;
  for (let i = 0; i < analytic.length; i++) {
    const a = analytic[i]!, n = numeric[i]!;
    const e = Number.isFinite(a) && Number.isFinite(n) ? Math.abs(a - n) / Math.max(Math.abs(a), Math.abs(n), floor) : Infinity;
    if (e > worst) {
      worst = e;
      index = i;
    }
  }
  return { worst, index };
}

/** Per parameter, what was compared (for tests and debugging). */
export interface ParamCheck {
  name: string;
  /** Number of elements of the parameter. */
  size: number;
  indices: number[];
  analytic: number[];
  numeric: number[];
  worst: number;
  /** The element (index into the parameter) with the worst error. */
  worstIndex: number;
}

export interface FamilyCheck extends KernelCheck {
  params: ParamCheck[];
}

/** The loss op of this check: records nothing forward, seeds dL/d(input_i) = grads[i] (L = Σ r·y). */
const seedGradient: OpDef<{ grads: readonly Tensor[] }> & { seedsGradient: true } = {
  name: 'gradcheck.seed',
  seedsGradient: true,
  forward() {
    return { outputs: [] };
  },
  backward(g, node) {
    node.inputs.forEach((v, i) => g.provideGrad(v, node.attrs.grads[i]!));
  },
};

interface Output {
  value: Value;
  /** dL/dy: f32-representable weights of the loss. */
  weights: Float64Array;
  /** The op producing it is a loss that seeds its own gradient (softmaxXent). */
  selfSeeded?: boolean;
}

interface Family {
  kernel: string;
  params: { name: string; shape: number[]; values: Float32Array }[];
  /** Records the family's ops; `train` tells the training program from the forward-only one. */
  build(g: Graph, pv: Record<string, Value>, train: boolean): Output[];
  /** Runs before every submit (re-uploads carried state the forward overwrites). */
  beforeRun?(): void;
}

type Rand = () => number;

const sizeOfShape = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
function uniformF32(n: number, rand: Rand, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rand();
  return out;
}
const weightsOf = (n: number, rand: Rand) => Float64Array.from(uniformF32(n, rand, -1, 1));

/**
 * The kernel families. Shapes are small and odd (B=2, T=3, I=3, H=5, V=7; the LSTM's tiled kernels B=5, H=8); one
 * linear has 37 rows so the matmuls cross a 32-wide tile (rows of the forward, the reduction of dW).
 */
function families(device: GPUDevice, rand: Rand, owned: Tensor[]): Family[] {
  const B = 2, T = 3, I = 3, H = 5, V = 7, N = T * B;
  const persistent = (p: Program, shape: number[], label: string, dtype: 'f32' | 'u32' = 'f32') => {
    const t = p.persistent(shape, label, dtype);
    owned.push(t);
    return t;
  };
  const param = (name: string, shape: number[], scale: number) => ({ name, shape, values: uniformF32(sizeOfShape(shape), rand, -scale, scale) });

  const out: Family[] = [];

  // matmul (linear): y1 = x·W + b, y2 = x2·W + b (37 rows), y3 = x·W2 + b2. dx, dW and db each get two
  // contributions (the second accumulates): matmul_nn with bias, matmul_nt, matmul_tn, bias_grad, accumulate on/off.
  {
    const M2 = 37, O2 = 7;
    const w = [weightsOf(N * H, rand), weightsOf(M2 * H, rand), weightsOf(N * O2, rand)];
    out.push({
      kernel: 'matmul (linear)',
      params: [param('x', [N, I], 1), param('x2', [M2, I], 1), param('W', [I, H], 0.8), param('b', [H], 0.5), param('W2', [I, O2], 0.8), param('b2', [O2], 0.5)],
      build(g, pv) {
        const [y1] = g.apply(linear, [pv.x!, pv.W!, pv.b!], { rows: N, inDim: I, outDim: H });
        const [y2] = g.apply(linear, [pv.x2!, pv.W!, pv.b!], { rows: M2, inDim: I, outDim: H });
        const [y3] = g.apply(linear, [pv.x!, pv.W2!, pv.b2!], { rows: N, inDim: I, outDim: O2 });
        return [y1!, y2!, y3!].map((value, k) => ({ value, weights: w[k]! }));
      },
    });
  }

  // recurrent steps: x (a parameter, so dX is checked) → cell over T steps from a non-zero carried state; the
  // loss reads every step's h (dHs) and the last h (dhT) with different weights. The LSTM twice: its one-row
  // kernels (batches under 4, and where a session's tuning chose them) and its 8-row tiles with h read as vec4s
  // (H % 4 = 0: what MNIST, the fable and PTB use unless tuned otherwise), forced for that shape.
  const recurrent = [
    { cell: 'lstm', kernel: 'lstm step, 1-row kernels (fwd+bwd)', B, H },
    { cell: 'lstm', kernel: 'lstm step, 8-row tiles (fwd+bwd)', B: 5, H: 8 },
    { cell: 'rnn', kernel: 'rnn step (fwd+bwd)', B, H },
  ] as const;
  for (const { cell, kernel, B, H } of recurrent) {
    const N = T * B;
    const gates = cell === 'lstm' ? 4 : 1;
    const stateSize = (cell === 'lstm' ? 2 : 1) * B * H;
    const state0 = uniformF32(stateSize, rand, -0.8, 0.8);
    const w = [weightsOf(N * H, rand), weightsOf(B * H, rand)];
    const states: Tensor[] = [];
    out.push({
      kernel,
      params: [param('x', [N, I], 1), param('Wx', [I, gates * H], 0.6), param('Wh', [H, gates * H], 0.6), param('b', [gates * H], 0.3)],
      build(g, pv) {
        if (cell === 'lstm' && B >= LSTM_SMALL_BATCH) setLstmKernels(device, B, H, { forwardRows: false, backwardRows: false });
        const state = persistent(g.program, cell === 'lstm' ? [2, B, H] : [B, H], `${cell}.state`);
        states.push(state);
        const attrs = { T, B, I, H, state, ...(cell === 'lstm' ? { forgetBias: 1 } : {}) };
        const [hs, hT] = g.apply(cell === 'lstm' ? lstm : rnn, [pv.x!, pv.Wx!, pv.Wh!, pv.b!], attrs);
        return [{ value: hs!, weights: w[0]! }, { value: hT!, weights: w[1]! }];
      },
      beforeRun() {
        for (const s of states) upload(device, s, state0); // the forward writes the final state back
      },
    });
  }

  // embedding: repeated ids (2 three times, 5 twice), ids 1, 3, 4, 6 unused (their rows' gradient must be 0).
  {
    const ids = Uint32Array.of(2, 5, 2, 0, 5, 2);
    const w = weightsOf(ids.length * H, rand);
    out.push({
      kernel: 'embedding',
      params: [param('table', [V, H], 1)],
      build(g, pv) {
        const idsT = persistent(g.program, [ids.length], 'ids', 'u32');
        upload(device, idsT, ids);
        const [y] = g.apply(embedding, [g.value(idsT), pv.table!], { V, D: H });
        return [{ value: y!, weights: w }];
      },
    });
  }

  // softmax cross-entropy over a linear head (a parameter's gradient cannot be provided directly):
  // L = scale · Σ_n loss_n, scale = 1/N like a batch mean; the loss op seeds dLogits = (softmax - onehot)·scale.
  {
    const labels = Uint32Array.of(3, 0, 6, 3, 1, 5);
    const scale = 1 / N;
    out.push({
      kernel: 'softmax cross-entropy',
      params: [param('h', [N, H], 1), param('Wy', [H, V], 1.2), param('by', [V], 0.5)],
      build(g, pv, train) {
        const labelsT = persistent(g.program, [N], 'labels', 'u32');
        upload(device, labelsT, labels);
        const metrics = persistent(g.program, [4], 'metrics');
        const [logits] = g.apply(linear, [pv.h!, pv.Wy!, pv.by!], { rows: N, inDim: H, outDim: V });
        const [loss] = g.apply(softmaxXent, [logits!, g.value(labelsT)], { scale, metrics, train, accumulateMetrics: false });
        return [{ value: loss!, weights: new Float64Array(N).fill(scale), selfSeeded: true }];
      },
    });
  }

  // dropout with a fixed seed (the same mask in every evaluation), two streams of the same x with different
  // keep probabilities: the second backward accumulates into dx.
  {
    const w = [weightsOf(N * H, rand), weightsOf(N * H, rand)];
    out.push({
      kernel: 'dropout',
      params: [param('x', [N, H], 1)],
      build(g, pv) {
        const seed = persistent(g.program, [1], 'dropout seed', 'u32');
        upload(device, seed, Uint32Array.of(0x9e3779b9));
        const [y1] = g.apply(dropout, [pv.x!], { keep: 0.6, layer: 1, seed });
        const [y2] = g.apply(dropout, [pv.x!], { keep: 0.8, layer: 2, seed });
        return [{ value: y1!, weights: w[0]! }, { value: y2!, weights: w[1]! }];
      },
    });
  }
  return out;
}

/** Element indices to check: the element with the largest analytic gradient, then distinct random ones. */
function pickIndices(analytic: Float32Array, count: number, rand: Rand): number[] {
  const n = analytic.length;
  if (count >= n) return Array.from({ length: n }, (_, i) => i);
  let top = 0;
  for (let i = 1; i < n; i++) if (Math.abs(analytic[i]!) > Math.abs(analytic[top]!)) top = i;
  const chosen = new Set([top]);
  while (chosen.size < count) chosen.add(Math.floor(rand() * n));
  return [...chosen];
}

/** Test hook: changes an analytic gradient after it is read back (to show that the check can fail). */
export type Tamper = (kernel: string, param: string, grad: Float32Array) => void;

async function checkFamily(device: GPUDevice, fam: Family, samplesPerParam: number, rand: Rand, tamper?: Tamper): Promise<FamilyCheck> {
  const owned: GPUBuffer[] = [];
  const programs: Program[] = []; // freed with all they made (seeds, transients, uniforms)
  const params = new ParamSet(device, fam.params.map((p) => ({ name: p.name, shape: p.shape, init: { kind: 'zeros' as const } })), `gradcheck ${fam.kernel}`);
  try {
    for (const p of fam.params) params.set(p.name, p.values);

    // forward-only program: its outputs are kept (own buffers) and copied out after every run
    const fwd = new Program(device, `gradcheck ${fam.kernel} forward`);
    programs.push(fwd);
    const gf = new Graph(fwd);
    const outputs = fam.build(gf, params.values(gf), false);
    for (const o of outputs) fwd.keep(o.value.tensor);
    const fwdCompiled = await fwd.compile();

    // training program: forward, the loss seed, backward
    const train = new Program(device, `gradcheck ${fam.kernel} train`);
    programs.push(train);
    const gt = new Graph(train);
    const pv = params.values(gt);
    const trainOutputs = fam.build(gt, pv, true);
    const seeded = trainOutputs.filter((o) => !o.selfSeeded);
    if (seeded.length > 0) {
      const grads = seeded.map((o, k) => {
        const t = train.persistent([o.value.size], `gradcheck seed ${k}`);
        upload(device, t, Float32Array.from(o.weights));
        return t;
      });
      gt.apply(seedGradient, seeded.map((o) => o.value), { grads });
    }
    gt.backward();
    const missing = gt.missingGrads(Object.values(pv));
    if (missing.length > 0) throw new Error(`gradient check ${fam.kernel}: no gradient for ${missing.map((v) => v.tensor.label).join(', ')}`);
    const trainCompiled = await train.compile();

    // analytic gradients: the gradient buffer starts with garbage, so a gradient that is accumulated onto stale
    // contents (or never written) shows up as a large error
    upload(device, params.grads.whole, new Float32Array(params.grads.whole.size).fill(3.25));
    fam.beforeRun?.();
    submitPrograms(device, [trainCompiled], [], 'gradcheck train');
    const analytic = new Map<string, Float32Array>();
    for (const p of fam.params) {
      const a = await params.getGrad(p.name);
      tamper?.(fam.kernel, p.name, a);
      analytic.set(p.name, a);
    }

    // the loss of one forward run, summed on the host in f64
    const total = outputs.reduce((a, o) => a + o.value.size, 0);
    const staging = device.createBuffer({ label: `gradcheck ${fam.kernel} outputs`, size: total * 4, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
    owned.push(staging);
    const copy = (enc: GPUCommandEncoder) => {
      let at = 0;
      for (const o of outputs) {
        const t = o.value.tensor;
        enc.copyBufferToBuffer(t.buffer!, t.byteOffset + o.value.offset * 4, staging, at * 4, o.value.size * 4);
        at += o.value.size;
      }
    };
    const loss = async (): Promise<number> => {
      fam.beforeRun?.();
      submitPrograms(device, [fwdCompiled], [copy], 'gradcheck forward');
      await staging.mapAsync(GPUMapMode.READ);
      const y = new Float32Array(staging.getMappedRange().slice(0));
      staging.unmap();
      let L = 0, at = 0;
      for (const o of outputs) {
        for (let i = 0; i < o.value.size; i++) L += o.weights[i]! * y[at + i]!;
        at += o.value.size;
      }
      return L;
    };

    const results: ParamCheck[] = [];
    for (const p of fam.params) {
      const a = analytic.get(p.name)!;
      const weight = params.weight(p.name);
      const indices = pickIndices(a, samplesPerParam, rand);
      const numeric: number[] = [];
      for (const e of indices) {
        const x0 = p.values[e]!;
        const xp = Math.fround(x0 + GRADCHECK_EPS), xm = Math.fround(x0 - GRADCHECK_EPS);
        upload(device, weight, Float32Array.of(xp), e);
        const Lp = await loss();
        upload(device, weight, Float32Array.of(xm), e);
        const Lm = await loss();
        upload(device, weight, Float32Array.of(x0), e);
        numeric.push((Lp - Lm) / (xp - xm));
      }
      const an = indices.map((e) => a[e]!);
      const { worst, index } = compareGradients(an, numeric);
      // a check where every sampled gradient is below the floor would be vacuous
      const vacuous = Math.max(...numeric.map(Math.abs), ...an.map(Math.abs)) <= GRADCHECK_FLOOR;
      results.push({ name: p.name, size: a.length, indices, analytic: an, numeric, worst: vacuous ? Infinity : worst, worstIndex: indices[index] ?? -1 });
    }
    const worstRelError = Math.max(...results.map((r) => r.worst));
    return {
      kernel: fam.kernel,
      worstRelError,
      tolerance: GRADCHECK_TOLERANCE,
      ok: worstRelError <= GRADCHECK_TOLERANCE,
      checked: results.reduce((n, r) => n + r.indices.length, 0),
      params: results,
    };
  } finally {
    for (const b of owned) b.destroy();
    for (const p of programs) p.destroy();
    params.destroy();
  }
}

/** Like runGradientCheck, with what was compared per parameter. */
export async function runGradientCheckDetailed(device: GPUDevice, options: { samplesPerParam?: number; seed?: number; tamper?: Tamper } = {}): Promise<FamilyCheck[]> {
  const samples = Math.max(1, Math.floor(options.samplesPerParam ?? 6));
  const rand = mulberry32(options.seed ?? 0x5eed);
  const owned: Tensor[] = [];
  const out: FamilyCheck[] = [];
  try {
    for (const fam of families(device, rand, owned)) out.push(await checkFamily(device, fam, samples, rand, options.tamper));
  } finally {
    for (const t of owned) t.buffer?.destroy();
  }
  return out;
}

/**
 * Checks every kernel family's analytic gradients against central finite differences on this device:
 * 'matmul (linear)', 'lstm step (fwd+bwd)', 'rnn step (fwd+bwd)', 'embedding', 'softmax cross-entropy', 'dropout'.
 * `samplesPerParam` elements of every parameter are checked (default 6); `seed` fixes the data and the sample.
 */
export async function runGradientCheck(device: GPUDevice, options?: { samplesPerParam?: number; seed?: number }): Promise<KernelCheck[]> {
  const detailed = await runGradientCheckDetailed(device, options);
  return detailed.map(({ kernel, worstRelError, tolerance, ok, checked }) => ({ kernel, worstRelError, tolerance, ok, checked }));
}
