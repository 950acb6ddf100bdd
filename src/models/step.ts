// The assembly of a step, once for every model: the loss on the logits (softmax cross-entropy, its sums into
// `metrics`) and, for training, backward -> global-norm clipping -> the optimizer's update.
import type { Tensor } from '../gpu/tensor.ts';
import type { Graph, Value } from '../nn/graph.ts';
import { softmaxXent } from '../nn/ops.ts';
import type { Optimizer } from '../nn/optim.ts';

export interface LossOptions {
  /** What every row's loss is multiplied by (1/B: the mean over the batch). */
  scale: number;
  /** [4]: Σ loss, Σ correct, rows, accumulated on the GPU. */
  metrics: Tensor;
}

/** Forward has been recorded into `g`: adds the loss only (evaluation). */
export function recordLoss(g: Graph, logits: Value, labels: Value, o: LossOptions): void {
  g.apply(softmaxXent, [logits, labels], { scale: o.scale, metrics: o.metrics, train: false });
}

/** Forward has been recorded into `g`: adds loss -> backward -> clip -> update (a whole training step). */
export function recordTrainingStep(g: Graph, logits: Value, labels: Value, o: LossOptions, optimizer: Optimizer): void {
  g.apply(softmaxXent, [logits, labels], { scale: o.scale, metrics: o.metrics, train: true });
  g.backward();
  optimizer.record(g.program);
}

/** softmax(z / temperature) in f64, as sampling draws from it (temperature 1: the model's own distribution). */
export function probabilities(z: ArrayLike<number>, temperature = 1): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < z.length; i++) max = Math.max(max, z[i]!);
  const p = new Float64Array(z.length);
  let sum = 0;
  for (let i = 0; i < z.length; i++) sum += p[i] = Math.exp((z[i]! - max) / temperature);
  for (let i = 0; i < z.length; i++) p[i]! /= sum;
  return p;
}
