// The op table: every differentiable operation as a {forward, backward} pair recording WGSL dispatches.
// Shapes follow docs/design.md (time-major, gate-interleaved LSTM weights). Gradients are written through
// Graph.gradSink: the first contribution overwrites, later ones accumulate (the `accumulate` uniform).
import { grid1d } from '../gpu/program.ts';
import type { Tensor } from '../gpu/tensor.ts';
import type { Graph, OpDef, TapeNode, Value } from './graph.ts';
import { lstmKernels } from './kernelChoice.ts';

const MM_GROUP = 32; // outputs per workgroup side of the general matmul (8x8 invocations x 4x4 each); the vec4 paths cover twice that (8x8 each)

/** C (+)= op(A)·op(B) (+ bias). A, B may be slices (offsets in elements). */
export function matmul(
  g: Graph,
  kind: 'nn' | 'tn' | 'nt',
  a: { tensor: Tensor; offset: number },
  b: { tensor: Tensor; offset: number },
  c: { tensor: Tensor; offset?: number; accumulate?: boolean },
  M: number, N: number, K: number,
  bias?: Tensor,
): void {
  const fast = vec4Aligned(kind, M, N, K, a.offset, b.offset, c.offset ?? 0);
  g.program.dispatch(
    fast ? `matmul_${kind}_v4` : `matmul_${kind}`,
    { M, N, K, offA: a.offset, offB: b.offset, offC: c.offset ?? 0, accumulate: Number(c.accumulate ?? false), hasBias: Number(!!bias) },
    { A: a.tensor, B: b.tensor, bias: bias ?? g.dummy, C: c.tensor },
    [Math.ceil(N / (fast ? 2 * MM_GROUP : MM_GROUP)), Math.ceil(M / (fast ? 2 * MM_GROUP : MM_GROUP))],
  );
}

/** Whether the vec4 fast path of shaders/matmul_v4.wgsl applies (its header lists the conditions). */
export function vec4Aligned(kind: 'nn' | 'tn' | 'nt', M: number, N: number, K: number, offA: number, offB: number, offC: number): boolean {
  if (offA % 4 !== 0 || offB % 4 !== 0) return false;
  if (kind === 'nn') return N % 4 === 0 && K % 4 === 0 && offC % 4 === 0;
  if (kind === 'tn') return M % 4 === 0 && N % 4 === 0 && offC % 4 === 0;
  return K % 4 === 0;
}

function biasGrad(g: Graph, dY: Value, rows: number, cols: number, sink: { tensor: Tensor; accumulate: boolean }) {
  g.program.dispatch(
    'bias_grad',
    { M: rows, N: cols, K: 0, offA: dY.offset, offB: 0, offC: 0, accumulate: Number(sink.accumulate), hasBias: 0 },
    { dY: dY.tensor, db: sink.tensor },
    grid1d(cols, 64),
  );
}

/** The input-side gradients every recurrent layer and linear layer share: dX = dY·Wᵀ, dW = Xᵀ·dY, db = colsum(dY). */
function linearBackward(g: Graph, x: Value, W: Value, bias: Value, dY: Value, rows: number, inDim: number, outDim: number) {
  const dx = g.gradSink(x);
  if (dx) matmul(g, 'nt', dY, W, dx, rows, inDim, outDim);
  const dW = g.gradSink(W);
  if (dW) matmul(g, 'tn', x, dY, dW, inDim, outDim, rows);
  const db = g.gradSink(bias);
  if (db) biasGrad(g, dY, rows, outDim, db);
}

// ---------------------------------------------------------------- linear: y = x·W + b
export const linear: OpDef<{ rows: number; inDim: number; outDim: number }> = {
  name: 'linear',
  forward(g, [x, W, b], { rows, inDim, outDim }) {
    const y = g.program.transient([rows, outDim], 'linear.y');
    matmul(g, 'nn', x, W, { tensor: y }, rows, outDim, inDim, b.tensor);
    return { outputs: [g.value(y, [rows, outDim], 0, x.requiresGrad || W.requiresGrad)] };
  },
  backward(g, node, [dy]) {
    const [x, W, b] = node.inputs;
    const { rows, inDim, outDim } = node.attrs;
    linearBackward(g, x, W, b, dy!, rows, inDim, outDim);
  },
};

// ---------------------------------------------------------------- recurrent layers
export interface RecurrentAttrs {
  T: number;
  B: number;
  I: number;
  H: number;
  /** LSTM only: constant added to the forget pre-activation (TF BasicLSTMCell forget_bias). */
  forgetBias?: number;
  /** Carried state [2][B][H] (LSTM: h then c; RNN: [B][H]), read at t = 0 and written after t = T-1. */
  state?: Tensor;
}

/** The register tiles of the recurrent step kernels (units x batch rows per invocation, 64 invocations per workgroup):
 *  on CPU implementations of Vulkan every load costs tens of cycles, so each invocation reuses what it loads. */
const tile = (units: number, rows: number) => ({ grid: (H: number, B: number) => [Math.ceil(H / (64 * units)), Math.ceil(B / rows)] as const });
const LSTM_FORWARD_TILE = tile(2, 8);
const LSTM_BACKWARD_TILE = tile(4, 8);
/** The one-row LSTM kernels (4 units x 1 row): batches under 4, and wherever src/nn/tune.ts measured them faster. */
const LSTM_ROW_TILE = tile(4, 1);
const RNN_TILE = tile(4, 8);

/** The LSTM forward step kernel and its grid: the one-row kernel, or the 8-row tiles (h as vec4s when H % 4 = 0). */
export function lstmForwardStep(B: number, H: number, rows: boolean) {
  const kernel = rows ? 'lstm_forward_step_row' : H % 4 === 0 ? 'lstm_forward_step_v4' : 'lstm_forward_step';
  return { kernel, grid: (rows ? LSTM_ROW_TILE : LSTM_FORWARD_TILE).grid(H, B) } as const;
}

/** The LSTM backward step kernel and its grid; the tiled one reads a transposed copy of Wh (lstm_transpose_wh). */
export function lstmBackwardStep(B: number, H: number, rows: boolean) {
  return { kernel: rows ? 'lstm_backward_step_row' : 'lstm_backward_step', grid: (rows ? LSTM_ROW_TILE : LSTM_BACKWARD_TILE).grid(H, B) } as const;
}

function recurrentOp(cell: 'lstm' | 'rnn'): OpDef<RecurrentAttrs> {
  const gates = cell === 'lstm' ? 4 : 1;
  const op: OpDef<RecurrentAttrs> = {
    name: cell,
    forward(g, [x, Wx, Wh, b], a) {
      const { T, B, I, H } = a;
      const p = g.program;
      const N = T * B;
      const XW = p.transient([N, gates * H], `${cell}.XW`);
      matmul(g, 'nn', x, Wx, { tensor: XW }, N, gates * H, I, b.tensor);
      const Hs = p.transient([T + 1, B, H], `${cell}.Hs`);
      const saved: Record<string, Tensor> = { Hs };
      const useState = a.state ? 1 : 0;
      const writeState = a.state && T > 1 ? 1 : 0;
      const state = a.state ?? g.dummy;
      const grid = grid1d(B * H, 64);
      // Step kernels: 64 invocations per workgroup, each a register tile (shaders/lstm.wgsl, rnn.wgsl).
      if (cell === 'lstm') {
        const step = lstmForwardStep(B, H, lstmKernels(p.device, B, H).forwardRows);
        const Cs = p.transient([T + 1, B, H], 'lstm.Cs');
        const G = p.transient([N, 4 * H], 'lstm.G');
        Object.assign(saved, { Cs, G });
        if (a.state) p.dispatch('lstm_init', lstmUniforms(a, 0, 1, 0), { Hs, Cs, state }, grid);
        for (let t = 0; t < T; t++) {
          p.dispatch(step.kernel, lstmUniforms(a, t, useState, writeState), { XW, Wh: Wh.tensor, Hs, Cs, G, state }, step.grid, `lstm fwd t=${t}`);
        }
        if (a.state && T === 1) p.dispatch('lstm_carry', lstmUniforms(a, 0, 1, 1), { Hs, Cs, state }, grid);
      } else {
        if (a.state) p.dispatch('rnn_init', rnnUniforms(a, 0, 1, 0), { Hs, state }, grid);
        for (let t = 0; t < T; t++) {
          p.dispatch(H % 4 === 0 ? 'rnn_forward_step_v4' : 'rnn_forward_step', rnnUniforms(a, t, useState, writeState), { XW, Wh: Wh.tensor, Hs, state }, RNN_TILE.grid(H, B), `rnn fwd t=${t}`);
        }
        if (a.state && T === 1) p.dispatch('rnn_carry', rnnUniforms(a, 0, 1, 1), { Hs, state }, grid);
      }
      const rg = [x, Wx, Wh, b].some((v) => v.requiresGrad);
      return {
        outputs: [g.value(Hs, [N, H], B * H, rg), g.value(Hs, [B, H], T * B * H, rg)],
        saved,
      };
    },
    backward(g, node, [dHs, dhT]) {
      const [x, Wx, Wh, b] = node.inputs;
      const a = node.attrs;
      const { T, B, I, H } = a;
      const p = g.program;
      const N = T * B;
      const dG = p.transient([N, gates * H], `${cell}.dG`);
      const flags = { hasDHs: dHs ? 1 : 0, hasDhT: dhT ? 1 : 0 };
      const { Hs, Cs, G } = node.saved;
      if (cell === 'lstm') {
        const dC = p.transient([B, H], 'lstm.dC');
        const common = { Cs, G, dHs: dHs?.tensor ?? g.dummy, dhT: dhT?.tensor ?? g.dummy, dG, dC };
        const rows = lstmKernels(p.device, B, H).backwardRows;
        const step = lstmBackwardStep(B, H, rows);
        let weights: Record<string, Tensor> = { Wh: Wh.tensor };
        if (!rows) {
          const WhT = p.transient([H, 4 * H], 'lstm.WhT');
          p.dispatch('lstm_transpose_wh', lstmUniforms(a, 0, 0, 0), { Wh: Wh.tensor, WhT }, grid1d(H * H, 64));
          weights = { WhT };
        }
        for (let t = T - 1; t >= 0; t--) {
          p.dispatch(step.kernel, { ...lstmUniforms(a, t, 0, 0), ...flags }, { ...weights, ...common }, step.grid, `lstm bwd t=${t}`);
        }
      } else {
        for (let t = T - 1; t >= 0; t--) {
          p.dispatch(
            'rnn_backward_step',
            { ...rnnUniforms(a, t, 0, 0), ...flags },
            { Wh: Wh.tensor, Hs, dHs: dHs?.tensor ?? g.dummy, dhT: dhT?.tensor ?? g.dummy, dA: dG },
            RNN_TILE.grid(H, B),
            `rnn bwd t=${t}`,
          );
        }
      }
      const dGv = g.value(dG);
      // The weight gradients: one product each over all T·B rows.
      const dWh = g.gradSink(Wh);
      if (dWh) matmul(g, 'tn', { tensor: Hs, offset: 0 }, dGv, dWh, H, gates * H, N);
      linearBackward(g, x, Wx, b, dGv, N, I, gates * H);
    },
  };
  return op;
}

function lstmUniforms(a: RecurrentAttrs, t: number, useState: number, writeState: number) {
  return { T: a.T, B: a.B, H: a.H, t, forgetBias: a.forgetBias ?? 0, useState, writeState, hasDHs: 0, hasDhT: 0 };
}
function rnnUniforms(a: RecurrentAttrs, t: number, useState: number, writeState: number) {
  return { T: a.T, B: a.B, H: a.H, t, useState, writeState, hasDHs: 0, hasDhT: 0 };
}

/** inputs [x [T·B][I], Wx [I][4H], Wh [H][4H], b [4H]] -> outputs [hs [T·B][H] (steps 1..T), hLast [B][H]] */
export const lstm = recurrentOp('lstm');
/** inputs [x [T·B][I], Wx [I][H], Wh [H][H], b [H]] -> outputs [hs [T·B][H], hLast [B][H]] */
export const rnn = recurrentOp('rnn');

// ---------------------------------------------------------------- embedding
export const embedding: OpDef<{ V: number; D: number }> = {
  name: 'embedding',
  forward(g, [ids, table], { V, D }) {
    const N = ids.size;
    const out = g.program.transient([N, D], 'embedding.out');
    g.program.dispatch('embedding_gather', { N, V, D, offOut: 0 }, { table: table.tensor, ids: ids.tensor, out }, grid1d(N * D, 64));
    return { outputs: [g.value(out, [N, D], 0, table.requiresGrad)] };
  },
  backward(g, node, [dOut]) {
    const [ids, table] = node.inputs;
    const { V, D } = node.attrs;
    const sink = g.gradSink(table);
    if (!sink) return;
    if (sink.accumulate) throw new Error('embedding: the table may have only one gradient contribution');
    const N = ids.size;
    const p = g.program;
    const links = p.transient([2, N], 'embedding.links', 'u32');
    const u = { N, V, D, offOut: 0 };
    p.dispatch('embedding_clear', u, { dTable: sink.tensor }, grid1d(V * D, 64));
    p.dispatch('embedding_link', u, { ids: ids.tensor, links }, grid1d(N, 64));
    p.dispatch('embedding_scatter', u, { ids: ids.tensor, dOut: dOut!.tensor, dTable: sink.tensor, links }, grid1d(N * D, 64));
  },
};

// ---------------------------------------------------------------- dropout
export const dropout: OpDef<{ keep: number; layer: number; seed: Tensor }> = {
  name: 'dropout',
  forward(g, [x], { keep, layer, seed }) {
    const y = g.program.transient(x.shape, 'dropout.y');
    g.program.dispatch('dropout_forward', { n: x.size, layer, offX: x.offset, keep, accumulate: 0 }, { x: x.tensor, y, stepSeed: seed }, grid1d(x.size, 64));
    return { outputs: [g.value(y, x.shape, 0, x.requiresGrad)] };
  },
  backward(g, node, [dy]) {
    const [x] = node.inputs;
    const sink = g.gradSink(x);
    if (!sink) return;
    const { keep, layer, seed } = node.attrs;
    g.program.dispatch(
      'dropout_backward',
      { n: x.size, layer, offX: 0, keep, accumulate: Number(sink.accumulate) },
      { dy: dy!.tensor, dx: sink.tensor, stepSeed: seed },
      grid1d(x.size, 64),
    );
  },
};

/** Dropout that is the identity when keep >= 1 (no dispatch at all). */
export function maybeDropout(g: Graph, x: Value, keep: number, layer: number, seed: Tensor): Value {
  return keep >= 1 ? x : g.apply(dropout, [x], { keep, layer, seed })[0];
}

// ---------------------------------------------------------------- softmax cross-entropy (a loss: seeds backward)
export interface XentAttrs {
  /** dLogits = (softmax - onehot) * scale; 1/B for a batch mean. */
  scale: number;
  /** [4] accumulating (Σ loss, Σ correct, rows) for the asynchronous metrics readback. */
  metrics: Tensor;
  /** Set when the program trains (dLogits are computed); false for evaluation. */
  train: boolean;
  /** Accumulate into metrics (true) or overwrite them (false). */
  accumulateMetrics?: boolean;
}

const SHORT_ROW = 256;

export const softmaxXent: OpDef<XentAttrs> & { seedsGradient: true } = {
  name: 'softmaxXent',
  seedsGradient: true,
  forward(g, [logits, labels], { scale, metrics, train, accumulateMetrics = true }) {
    const [N, V] = logits.shape;
    const p = g.program;
    const loss = p.transient([N], 'xent.loss');
    const correct = p.transient([N], 'xent.correct');
    const dLogits = train ? p.transient([N, V], 'xent.dLogits') : g.dummy;
    const u = { N, V, offLogits: logits.offset, scale, writeGrad: Number(train), accumulateMetrics: Number(accumulateMetrics) };
    const bindings = { logits: logits.tensor, labels: labels.tensor, loss, dLogits, correct };
    // Short rows: one invocation per row; long rows (a 10,000-word vocabulary): one workgroup per row.
    if (V <= SHORT_ROW) p.dispatch('softmax_xent_rows', u, bindings, grid1d(N, 64));
    else p.dispatch('softmax_xent', u, bindings, grid1d(N, 1));
    p.dispatch('metrics_accumulate', u, { loss, correct, metrics }, [1]);
    return { outputs: [g.value(loss, [N], 0, false), g.value(correct, [N], 0, false)], saved: { dLogits } };
  },
  backward(g, node: TapeNode<XentAttrs>) {
    if (!node.attrs.train) throw new Error('softmaxXent: backward of an evaluation-only loss');
    g.provideGrad(node.inputs[0], node.saved.dLogits);
  },
};
