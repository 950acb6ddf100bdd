/**
 * Softmax cross-entropy reference (docs/design.md, "Softmax cross-entropy"). logits [N][V], labels [N] (< V).
 *   loss[n] = logsumexp(z_n) - z_n[label]          (per row, NOT multiplied by scale)
 *   dLogits[n] = (softmax(z_n) - onehot(label)) * scale   (gradient of scale * Σ_n loss[n])
 *   correct[n] = 1 iff argmax(z_n) == label, first maximum wins ties.
 * Stable: the row max is subtracted before exp.
 * argmaxRows: [N][V] -> [N] (first max wins).  windowPush: the generation window shifted left by one, `id` last.  softmaxRows: softmax(z / temperature) per row, [N][V].
 */

export interface SoftmaxXent {
  loss: Float64Array;
  dLogits: Float64Array;
  correct: Uint8Array;
}

function rowArgmax(z: Float64Array, off: number, V: number): number {
  let best = 0;
  for (let v = 1; v < V; v++) if (z[off + v]! > z[off + best]!) best = v;
  return best;
}

export function softmaxXent(
  logits: Float64Array,
  labels: Uint32Array,
  N: number,
  V: number,
  scale: number,
): SoftmaxXent {
  const loss = new Float64Array(N);
  const dLogits = new Float64Array(N * V);
  const correct = new Uint8Array(N);
  for (let n = 0; n < N; n++) {
    const off = n * V;
    const label = labels[n]!;
    if (label >= V) throw new Error(`softmaxXent: label ${label} out of range [0, ${V})`);
    const am = rowArgmax(logits, off, V);
    const max = logits[off + am]!;
    let sum = 0;
    for (let v = 0; v < V; v++) sum += Math.exp(logits[off + v]! - max);
    loss[n] = Math.log(sum) + max - logits[off + label]!;
    for (let v = 0; v < V; v++) {
      const p = Math.exp(logits[off + v]! - max) / sum;
      dLogits[off + v] = (p - (v === label ? 1 : 0)) * scale;
    }
    correct[n] = am === label ? 1 : 0;
  }
  return { loss, dLogits, correct };
}

export function argmaxRows(logits: Float64Array, N: number, V: number): Uint32Array {
  const out = new Uint32Array(N);
  for (let n = 0; n < N; n++) out[n] = rowArgmax(logits, n * V, V);
  return out;
}

export function softmaxRows(logits: Float64Array, N: number, V: number, temperature = 1): Float64Array {
  const out = new Float64Array(N * V);
  for (let n = 0; n < N; n++) {
    const off = n * V;
    const max = logits[off + rowArgmax(logits, off, V)]!;
    let sum = 0;
    for (let v = 0; v < V; v++) {
      const e = Math.exp((logits[off + v]! - max) / temperature);
      out[off + v] = e;
      sum += e;
    }
    for (let v = 0; v < V; v++) out[off + v] /= sum;
  }
  return out;
}

/** The generation window after a word: its first id dropped, `id` appended. */
export function windowPush(window: readonly number[], id: number): number[] {
  return [...window.slice(1), id];
}
