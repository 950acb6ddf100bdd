/**
 * Dropout reference (docs/design.md, "Dropout"). Element e of the stream (seed, layer) is kept iff
 * hashUniform(seed, layer, e) < keep; kept elements are scaled by 1/keep. e is the flat index into the tensor.
 *   dropoutMask(n, ...) -> [n] of 0 or 1/keep.  forward: y = x * mask.  backward: dx = dy * mask (same mask).
 */
import { hashUniform } from './hash.ts';

export function dropoutMask(n: number, keep: number, seed: number, layer: number): Float64Array {
  const mask = new Float64Array(n);
  for (let e = 0; e < n; e++) mask[e] = hashUniform(seed, layer, e) < keep ? 1 / keep : 0;
  return mask;
}

export function dropoutForward(x: Float64Array, keep: number, seed: number, layer: number): Float64Array {
  const mask = dropoutMask(x.length, keep, seed, layer);
  return x.map((v, e) => v * mask[e]!);
}

export function dropoutBackward(dy: Float64Array, keep: number, seed: number, layer: number): Float64Array {
  const mask = dropoutMask(dy.length, keep, seed, layer);
  return dy.map((v, e) => v * mask[e]!);
}
