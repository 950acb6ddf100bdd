/**
 * Composed reference training steps, used to check the GPU path end to end. Everything is f64 and composed from
 * the kernels' references; the update never mutates the inputs (params and optimizer state are copied).
 *
 * Classifier (refLstmClassifierStep):
 *   x [T][B][I] -> L stacked LSTMs (h0 = c0 = 0; layer l > 0 reads layer l-1's Hs slots 1..T) -> top h at t = T
 *   [B][H] -> logits = h·Wy + by [B][V] -> softmaxXent(labels [B], scale 1/B) -> backward -> optional
 *   clipByGlobalNorm(clipNorm) -> sgd | adam | rmsprop. loss = mean over the batch.
 *
 * Language model (refLstmLmStep), PTB-tutorial style:
 *   ids [T][B] -> embedding [V][H] -> dropout (stream layer 0) -> L LSTMs from (h0, c0) per layer, each output
 *   followed by dropout (stream layer l+1) -> every step's top h [N][H] -> logits [N][V] -> softmaxXent(targets
 *   [T][B], scale 1/B) -> backward (no gradient flows into the initial state or from the final state) -> clip -> SGD.
 *   loss = Σ_t mean_b xent  (= Σ_n loss_n / B), so perplexity = exp(Σ loss / Σ T) over an epoch.
 *   Dropout is off unless cfg.keep < 1 (seed cfg.seed); the stream numbering above is this file's convention.
 *
 * Parameter shapes: layers[l] = { Wx [I_l][4H], Wh [H][4H], b [4H] } with I_0 = I (classifier) or H (LM),
 * I_l = H for l > 0; Wy [H][V]; by [V]; embedding [V][H].
 * Flat order (paramList, optimizer state arrays): [embedding?], then Wx, Wh, b per layer, then Wy, by.
 */
import { embeddingBackward, embeddingForward } from './embedding.ts';
import { dropoutMask } from './dropout.ts';
import { lstmBackward, lstmForward, type LstmForward } from './lstm.ts';
import { addBias, colSum, matmul } from './matmul.ts';
import { adamStep, clipByGlobalNorm, rmspropStep, sgdStep } from './optim.ts';
import { softmaxXent } from './softmax.ts';

export interface LstmLayerParams {
  Wx: Float64Array;
  Wh: Float64Array;
  b: Float64Array;
}

export interface LstmClassifierParams {
  layers: LstmLayerParams[];
  Wy: Float64Array;
  by: Float64Array;
}

export interface LstmLmParams extends LstmClassifierParams {
  embedding: Float64Array;
}

export type OptimizerKind = 'sgd' | 'adam' | 'rmsprop';

/** Moments in paramList order; arrays unused by the optimizer are empty lists. t = steps taken so far. */
export interface OptimizerState {
  t: number;
  m: Float64Array[];
  v: Float64Array[];
  ms: Float64Array[];
}

export interface ClassifierConfig {
  T: number;
  B: number;
  I: number;
  H: number;
  V: number;
  forgetBias: number;
  optimizer: OptimizerKind;
  lr: number;
  /** clip by global norm when set */
  clipNorm?: number | null;
}

export interface LmConfig {
  T: number;
  B: number;
  H: number;
  V: number;
  forgetBias: number;
  lr: number;
  clipNorm?: number | null;
  /** dropout keep probability (default 1: no dropout) and its seed */
  keep?: number;
  seed?: number;
}

export interface LstmState {
  h: Float64Array[];
  c: Float64Array[];
}

/** Flat list of parameter arrays (shared, not copied), in the documented order. */
export function paramList(p: LstmClassifierParams | LstmLmParams): Float64Array[] {
  const head = 'embedding' in p ? [p.embedding] : [];
  return [...head, ...p.layers.flatMap((l) => [l.Wx, l.Wh, l.b]), p.Wy, p.by];
}

/** Inverse of paramList: rebuild the structure of `like` from a flat list. */
export function fromParamList<P extends LstmClassifierParams>(like: P, list: Float64Array[]): P {
  let k = 0;
  const next = (): Float64Array => list[k++]!;
  const out: LstmClassifierParams & { embedding?: Float64Array } = { layers: [], Wy: new Float64Array(), by: new Float64Array() };
  if ('embedding' in like) out.embedding = next();
  out.layers = like.layers.map(() => ({ Wx: next(), Wh: next(), b: next() }));
  out.Wy = next();
  out.by = next();
  return out as P;
}

export function initOptimizerState(kind: OptimizerKind, params: LstmClassifierParams | LstmLmParams): OptimizerState {
  const list = paramList(params);
  const zeros = () => list.map((a) => new Float64Array(a.length));
  return {
    t: 0,
    m: kind === 'adam' ? zeros() : [],
    v: kind === 'adam' ? zeros() : [],
    ms: kind === 'rmsprop' ? list.map((a) => new Float64Array(a.length).fill(1)) : [],
  };
}

/** Clip (optional) and apply one optimizer step to copies; returns new params list and new state. */
function update(
  params: Float64Array[],
  grads: Float64Array[],
  kind: OptimizerKind,
  lr: number,
  clipNorm: number | null | undefined,
  state: OptimizerState,
): { params: Float64Array[]; state: OptimizerState } {
  const g = clipNorm != null ? clipByGlobalNorm(grads, clipNorm).grads : grads;
  const w = params.map((a) => a.slice());
  const s: OptimizerState = { t: state.t + 1, m: state.m.map((a) => a.slice()), v: state.v.map((a) => a.slice()), ms: state.ms.map((a) => a.slice()) };
  for (let i = 0; i < w.length; i++) {
    if (kind === 'sgd') sgdStep(w[i]!, g[i]!, lr);
    else if (kind === 'adam') adamStep(w[i]!, g[i]!, s.m[i]!, s.v[i]!, s.t, lr);
    else rmspropStep(w[i]!, g[i]!, s.ms[i]!, lr);
  }
  return { params: w, state: s };
}

/** Forward through the stack; returns each layer's input and forward record. */
function stackForward(
  layers: LstmLayerParams[],
  x: Float64Array,
  h0: Float64Array[],
  c0: Float64Array[],
  T: number,
  B: number,
  I: number,
  H: number,
  forgetBias: number,
  dropout: ((v: Float64Array, stream: number) => Float64Array) | null,
): { inputs: Float64Array[]; fwds: LstmForward[]; outputs: Float64Array[] } {
  const inputs: Float64Array[] = [];
  const fwds: LstmForward[] = [];
  const outputs: Float64Array[] = [];
  let inp = dropout ? dropout(x, 0) : x;
  layers.forEach((p, l) => {
    const fwd = lstmForward(inp, p.Wx, p.Wh, p.b, h0[l]!, c0[l]!, T, B, l === 0 ? I : H, H, forgetBias);
    const out = fwd.Hs.slice(B * H); // slots 1..T
    inputs.push(inp);
    fwds.push(fwd);
    inp = dropout ? dropout(out, l + 1) : out;
    outputs.push(inp);
  });
  return { inputs, fwds, outputs };
}

/** Backward through the stack; dTop is the gradient of the top layer's (post-dropout) Hs slots 1..T or its final h. */
function stackBackward(
  layers: LstmLayerParams[],
  st: { inputs: Float64Array[]; fwds: LstmForward[] },
  dTopHs: Float64Array | null,
  dTopH: Float64Array | null,
  T: number,
  B: number,
  I: number,
  H: number,
  dropout: ((v: Float64Array, stream: number) => Float64Array) | null,
): { grads: LstmLayerParams[]; dX: Float64Array } {
  const grads: LstmLayerParams[] = new Array(layers.length);
  let dHs = dTopHs && dropout ? dropout(dTopHs, layers.length) : dTopHs;
  let dX: Float64Array = new Float64Array();
  for (let l = layers.length - 1; l >= 0; l--) {
    const p = layers[l]!;
    const dhT = l === layers.length - 1 ? dTopH : null;
    const g = lstmBackward(st.inputs[l]!, p.Wx, p.Wh, st.fwds[l]!, dHs, dhT, null, T, B, l === 0 ? I : H, H);
    grads[l] = { Wx: g.dWx, Wh: g.dWh, b: g.db };
    dX = dropout ? dropout(g.dX, l) : g.dX;
    dHs = dX;
  }
  return { grads, dX };
}

export function refLstmClassifierStep(
  params: LstmClassifierParams,
  batch: { x: Float64Array; labels: Uint32Array },
  cfg: ClassifierConfig,
  state: OptimizerState = initOptimizerState(cfg.optimizer, params),
): { loss: number; correct: number; grads: LstmClassifierParams; params: LstmClassifierParams; state: OptimizerState } {
  const { T, B, I, H, V } = cfg;
  const L = params.layers.length;
  const zeros = params.layers.map(() => new Float64Array(B * H));
  const st = stackForward(params.layers, batch.x, zeros, zeros, T, B, I, H, cfg.forgetBias, null);
  const hLast = st.fwds[L - 1]!.Hs.slice(T * B * H); // slot T, [B][H]
  const logits = addBias(matmul(hLast, params.Wy, B, H, V), params.by, B, V);
  const xent = softmaxXent(logits, batch.labels, B, V, 1 / B);
  const loss = xent.loss.reduce((s, v) => s + v, 0) / B;
  const dWy = matmul(hLast, xent.dLogits, H, B, V, true, false);
  const dby = colSum(xent.dLogits, B, V);
  const dh = matmul(xent.dLogits, params.Wy, B, V, H, false, true);
  const { grads: layerGrads } = stackBackward(params.layers, st, null, dh, T, B, I, H, null);
  const grads: LstmClassifierParams = { layers: layerGrads, Wy: dWy, by: dby };
  const up = update(paramList(params), paramList(grads), cfg.optimizer, cfg.lr, cfg.clipNorm, state);
  const correct = xent.correct.reduce((s, v) => s + v, 0);
  return { loss, correct, grads, params: fromParamList(params, up.params), state: up.state };
}

export function refLstmLmStep(
  params: LstmLmParams,
  batch: { ids: Uint32Array; targets: Uint32Array },
  cfg: LmConfig,
  init?: LstmState,
): { loss: number; grads: LstmLmParams; params: LstmLmParams; final: LstmState } {
  const { T, B, H, V } = cfg;
  const N = T * B;
  const L = params.layers.length;
  const h0 = init?.h ?? params.layers.map(() => new Float64Array(B * H));
  const c0 = init?.c ?? params.layers.map(() => new Float64Array(B * H));
  const keep = cfg.keep ?? 1;
  const seed = cfg.seed ?? 0;
  const dropout =
    keep < 1 ? (v: Float64Array, stream: number) => { const m = dropoutMask(v.length, keep, seed, stream); return v.map((a, e) => a * m[e]!); } : null;
  const emb = embeddingForward(params.embedding, batch.ids, V, H);
  const st = stackForward(params.layers, emb, h0, c0, T, B, H, H, cfg.forgetBias, dropout);
  const top = st.outputs[L - 1]!; // [N][H]
  const logits = addBias(matmul(top, params.Wy, N, H, V), params.by, N, V);
  const xent = softmaxXent(logits, batch.targets, N, V, 1 / B);
  const loss = xent.loss.reduce((s, v) => s + v, 0) / B;
  const dWy = matmul(top, xent.dLogits, H, N, V, true, false);
  const dby = colSum(xent.dLogits, N, V);
  const dTop = matmul(xent.dLogits, params.Wy, N, V, H, false, true);
  const { grads: layerGrads, dX } = stackBackward(params.layers, st, dTop, null, T, B, H, H, dropout);
  const grads: LstmLmParams = { embedding: embeddingBackward(dX, batch.ids, V, H), layers: layerGrads, Wy: dWy, by: dby };
  const up = update(paramList(params), paramList(grads), 'sgd', cfg.lr, cfg.clipNorm, initOptimizerState('sgd', params));
  const final: LstmState = {
    h: st.fwds.map((f) => f.Hs.slice(T * B * H)),
    c: st.fwds.map((f) => f.Cs.slice(T * B * H)),
  };
  return { loss, grads, params: fromParamList(params, up.params), final };
}
