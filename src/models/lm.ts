// Stacked-LSTM next-token models: the fable next-word model and the Penn TreeBank language model.
//
//   input  ids [T·B] -> embedding [V][E]            (or, the fable tutorial's original recipe: each id fed as
//                                                    one float, x [T·B][1])
//          -> dropout (stream 0) -> LSTM layer 1 -> dropout (stream 1) -> ... -> LSTM layer L -> dropout (L)
//          -> every step's top h [T·B][H] (language model) or the last step's [B][H] (fable)
//          -> linear -> logits [rows][V]
// Dropout follows the PTB tutorial: on the embeddings and on every layer's output, none on the recurrence.
import type { Tensor } from '../gpu/tensor.ts';
import type { Graph, Value } from '../nn/graph.ts';
import { embedding, linear, lstm, maybeDropout } from '../nn/ops.ts';
import type { Init, ParamSpec } from '../nn/params.ts';

export interface LmConfig {
  vocab: number;
  hidden: number;
  layers: number;
  /** Time steps per window (num_steps). */
  steps: number;
  /** 'embedding' (size = hidden) or 'id-float' (the fable tutorial: the id itself is the 1-float input). */
  input: 'embedding' | 'id-float';
  /** Predict after every step (language model) or only after the last (fable: 3 words in, 1 out). */
  predict: 'every-step' | 'last-step';
  keepProb: number;
  forgetBias: number;
  /** 'uniform' with initScale: every variable U(±initScale) (PTB); 'tf-default': Glorot-uniform cell
   *  kernels, zero biases, and standard-normal output weights and bias (the fable tutorial). */
  init: 'uniform' | 'tf-default';
  initScale?: number;
}

export function lmParams(c: LmConfig): ParamSpec[] {
  const H = c.hidden;
  const uniform: Init = { kind: 'uniform', scale: c.initScale ?? 0.1 };
  const specs: ParamSpec[] = [];
  if (c.input === 'embedding') specs.push({ name: 'embedding', shape: [c.vocab, H], init: uniform });
  for (let l = 0; l < c.layers; l++) {
    const inDim = l === 0 && c.input === 'id-float' ? 1 : H;
    const cell: Init = c.init === 'uniform' ? uniform : { kind: 'uniform', scale: Math.sqrt(6 / (inDim + H + 4 * H)) };
    specs.push(
      { name: `l${l}.Wx`, shape: [inDim, 4 * H], init: cell },
      { name: `l${l}.Wh`, shape: [H, 4 * H], init: cell },
      { name: `l${l}.b`, shape: [4 * H], init: c.init === 'uniform' ? uniform : { kind: 'zeros' } },
    );
  }
  const out: Init = c.init === 'uniform' ? uniform : { kind: 'normal', std: 1 };
  specs.push({ name: 'Wy', shape: [H, c.vocab], init: out }, { name: 'by', shape: [c.vocab], init: out });
  return specs;
}

export interface LmForwardOptions {
  /** Batch size B. */
  batch: number;
  /** Carried (h, c) per layer, [2][B][H] each: truncated backprop through time. */
  states?: readonly Tensor[];
  /** u32 [1]: the dropout seed of this step. */
  seed?: Tensor;
  /** Apply dropout (training) or not (evaluation). */
  train: boolean;
}

/** input: ids [T·B] (u32, embedding) or floats [T·B][1] (id-float); returns logits [rows][V]. */
export function lmForward(g: Graph, p: Record<string, Value>, input: Value, c: LmConfig, o: LmForwardOptions): Value {
  const B = o.batch;
  const T = c.steps;
  const H = c.hidden;
  const keep = o.train ? c.keepProb : 1;
  if (keep < 1 && !o.seed) throw new Error('dropout needs a seed tensor');
  let x: Value = c.input === 'embedding' ? g.apply(embedding, [input, p.embedding], { V: c.vocab, D: H })[0] : input;
  x = maybeDropout(g, x, keep, 0, o.seed!);
  let last: Value = x;
  for (let l = 0; l < c.layers; l++) {
    const inDim = l === 0 && c.input === 'id-float' ? 1 : H;
    const [hs, hLast] = g.apply(lstm, [x, p[`l${l}.Wx`], p[`l${l}.Wh`], p[`l${l}.b`]], {
      T, B, I: inDim, H, forgetBias: c.forgetBias, state: o.states?.[l],
    });
    x = maybeDropout(g, hs, keep, l + 1, o.seed!);
    last = hLast;
  }
  if (c.predict === 'every-step') {
    return g.apply(linear, [x, p.Wy, p.by], { rows: T * B, inDim: H, outDim: c.vocab })[0];
  }
  // Fable: only the last step feeds the output layer (dropout is off in its recipe).
  if (keep < 1) throw new Error('last-step prediction with dropout is not supported');
  return g.apply(linear, [last, p.Wy, p.by], { rows: B, inDim: H, outDim: c.vocab })[0];
}
