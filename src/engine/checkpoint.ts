// Checks shared by the training checkpoints (fable.ts, ptb.ts): a checkpoint's tensors against the model that
// is to go on from it, before anything is uploaded.
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
