/**
 * Counter-based hash for dropout masks (docs/design.md, "Dropout").
 * Must match shaders/dropout.wgsl bit for bit: u32 arithmetic only, every product and sum wraps mod 2^32.
 *
 *   pcg(v): s = v*747796405 + 2891336453; w = ((s >>> ((s >>> 28) + 4)) ^ s) * 277803737; return (w >>> 22) ^ w
 *   hashUniform(seed, layer, e) = (pcg(seed ^ pcg(layer ^ pcg(e))) >>> 8) / 2^24   in [0, 1)
 *
 * Inputs are taken mod 2^32 (ToUint32); outputs are unsigned (>>> 0).
 */

/** PCG-RXS-M-XS style hash, u32 -> u32. */
export function pcgHash(v: number): number {
  const s = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const w = Math.imul(((s >>> ((s >>> 28) + 4)) ^ s) >>> 0, 277803737) >>> 0;
  return ((w >>> 22) ^ w) >>> 0;
}

/** Uniform in [0, 1) with 24 bits, for element e of the stream (seed, layer). */
export function hashUniform(seed: number, layer: number, e: number): number {
  const h = pcgHash((seed >>> 0) ^ pcgHash((layer >>> 0) ^ pcgHash(e >>> 0)));
  return (h >>> 8) / 16777216;
}
