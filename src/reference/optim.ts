/**
 * Optimizers and clipping, TF semantics (docs/design.md, "Optimizers"). All steps update w (and state) in place.
 *   globalNorm(grads) = sqrt(Σ over all arrays of Σ g²)
 *   clipByGlobalNorm: like tf.clip_by_global_norm, g * clip / max(norm, clip); returns new arrays and the norm.
 *   sgdStep:     w -= lr * g
 *   adamStep:    m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g²; lr_t = lr*sqrt(1-b2^t)/(1-b1^t);
 *                w -= lr_t * m / (sqrt(v) + eps); t counted from 1.
 *   rmspropStep: ms = decay*ms + (1-decay)*g²; w -= lr * g / sqrt(ms + eps); ms initialised to 1 by the caller.
 */

export function globalNorm(grads: Float64Array[]): number {
  let s = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) s += g[i]! * g[i]!;
  return Math.sqrt(s);
}

export function clipByGlobalNorm(grads: Float64Array[], clipNorm: number): { grads: Float64Array[]; norm: number } {
  const norm = globalNorm(grads);
  const factor = clipNorm / Math.max(norm, clipNorm);
  return { grads: grads.map((g) => g.map((v) => v * factor)), norm };
}

export function sgdStep(w: Float64Array, g: Float64Array, lr: number): void {
  for (let i = 0; i < w.length; i++) w[i] -= lr * g[i]!;
}

export function adamStep(
  w: Float64Array,
  g: Float64Array,
  m: Float64Array,
  v: Float64Array,
  t: number,
  lr: number,
  b1 = 0.9,
  b2 = 0.999,
  eps = 1e-8,
): void {
  if (t < 1) throw new Error('adamStep: t counts from 1');
  const lrT = (lr * Math.sqrt(1 - Math.pow(b2, t))) / (1 - Math.pow(b1, t));
  for (let i = 0; i < w.length; i++) {
    const gi = g[i]!;
    m[i] = b1 * m[i]! + (1 - b1) * gi;
    v[i] = b2 * v[i]! + (1 - b2) * gi * gi;
    w[i] -= (lrT * m[i]!) / (Math.sqrt(v[i]!) + eps);
  }
}

export function rmspropStep(w: Float64Array, g: Float64Array, ms: Float64Array, lr: number, decay = 0.9, eps = 1e-10): void {
  for (let i = 0; i < w.length; i++) {
    const gi = g[i]!;
    ms[i] = decay * ms[i]! + (1 - decay) * gi * gi;
    w[i] -= (lr * gi) / Math.sqrt(ms[i]! + eps);
  }
}
