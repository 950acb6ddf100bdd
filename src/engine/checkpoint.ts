// What the training checkpoints share (mnist.ts, fable.ts, ptb.ts): the optimizer moments kept beside the weights,
// and the check of a checkpoint's tensors against the model that is to go on from it, before anything is uploaded.
import type { ParamSet } from '../nn/params.ts';

/**
 * Every weight of the model there with its size, no other tensor, and exactly the optimizer moments the model
 * keeps (`moments` undefined: not checked). `refuse` makes the error (a DataError naming the file).
 */
export function checkTensors(
  weights: Record<string, Float32Array>,
  params: ParamSet,
  moments: { m?: Float32Array; v?: Float32Array } | undefined,
  refuse: (why: string) => Error,
): void {
  for (const spec of params.specs) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const w = Object.hasOwn(weights, spec.name) ? weights[spec.name] : undefined;
    if (!w) throw refuse(`the weight ${spec.name} is missing: a damaged checkpoint, or one of another model`);
    if (w.length !== n) throw refuse(`the weight ${spec.name} has ${w.length} values, the model's [${spec.shape}] has ${n}: a checkpoint of another model`);
  }
  const extra = Object.keys(weights).find((k) => !params.byName.has(k));
  if (extra !== undefined) throw refuse(`holds a tensor "${extra}" the model does not have: a checkpoint of another model`);
  if (!moments) return;
  for (const key of ['m', 'v'] as const) {
    const kept = params[key];
    const got = moments[key];
    if (kept && !got) throw refuse(`the optimizer moment ${key} is missing: a damaged checkpoint`);
    if (!kept && got) throw refuse(`holds an optimizer moment ${key} this optimizer does not keep: a checkpoint of another preset`);
    if (kept && got && got.length !== kept.whole.size) throw refuse(`the optimizer moment ${key} has ${got.length} values, ${kept.whole.size} expected: a damaged checkpoint`);
  }
}

/** The optimizer's moments as a checkpoint keeps them, beside the weights. */
const MOMENT_NAMES = { m: 'optimizer.m', v: 'optimizer.v' } as const;
export type Moments = { m?: Float32Array; v?: Float32Array };

/** The tensors of a checkpoint: the weights by name, the moments under their names. */
export function withMoments(weights: Record<string, Float32Array>, moments: Moments): Record<string, Float32Array> {
  const tensors: Record<string, Float32Array> = { ...weights };
  for (const k of ['m', 'v'] as const) if (moments[k]) tensors[MOMENT_NAMES[k]] = moments[k]!;
  return tensors;
}

/** A checkpoint's tensors split back into the weights (a prototype-less record) and the moments. */
export function splitMoments(tensors: Record<string, { data: Float32Array }>): { weights: Record<string, Float32Array>; moments: Moments } {
  const weights: Record<string, Float32Array> = Object.create(null);
  const moments: Moments = {};
  for (const [key, t] of Object.entries(tensors)) {
    if (key === MOMENT_NAMES.m) moments.m = t.data;
    else if (key === MOMENT_NAMES.v) moments.v = t.data;
    else weights[key] = t.data;
  }
  return { weights, moments };
}
