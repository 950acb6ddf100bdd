/**
 * Shuffling and batching helpers for training. Deterministic for a seed; no dependency on src/reference
 * (data stands apart), hence its own small PRNG.
 */

/** A seeded generator of floats uniform in [0, 1) whose whole state is one 32-bit number (`state`), so a
 *  run can be saved and resumed exactly. */
export interface SeededRng {
  (): number;
  state: number;
}

/** mulberry32: a small seeded PRNG with 32-bit state; returns floats uniform in [0, 1) (multiples of 2^-32). */
export function mulberry32(seed: number): SeededRng {
  const next = (() => {
    next.state = (next.state + 0x6d2b79f5) >>> 0;
    let t = next.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }) as SeededRng;
  next.state = seed >>> 0;
  return next;
}

/** Uniform integer in [0, n) from a [0,1) generator. */
export function randomInt(rng: () => number, n: number): number {
  return Math.min(n - 1, Math.floor(rng() * n));
}

/**
 * A permutation of 0..n-1 (Fisher-Yates). `seedOrRng`: a number seeds mulberry32, a function is used as the
 * generator (so consecutive epochs can share one stream).
 */
export function permutation(n: number, seedOrRng: number | (() => number)): Uint32Array {
  const rng = typeof seedOrRng === 'number' ? mulberry32(seedOrRng) : seedOrRng;
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = randomInt(rng, i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/** Full batches per epoch: floor(n / batchSize) (the last partial batch is dropped). */
export function batchesPerEpoch(n: number, batchSize: number): number {
  return Math.floor(n / batchSize);
}

/**
 * Indices of batch `step` of an epoch: perm[step*batchSize .. (step+1)*batchSize) (a view, no copy).
 * Only full batches exist: the last n % batchSize items of the permutation are dropped for that epoch (they
 * differ each epoch, so every item is still seen), keeping every step the same shape. A step outside
 * 0..batchesPerEpoch-1 is a RangeError.
 */
export function batchIndices(perm: Uint32Array, batchSize: number, step: number): Uint32Array {
  const count = batchesPerEpoch(perm.length, batchSize);
  if (!Number.isInteger(step) || step < 0 || step >= count) {
    throw new RangeError(`batch ${step} outside 0..${count - 1} (${perm.length} items, batch size ${batchSize})`);
  }
  return perm.subarray(step * batchSize, (step + 1) * batchSize);
}

/** Rows `indices` of a [rows][rowSize] array, stacked: [indices.length][rowSize]. `out` is reused when given. */
export function gatherRows(src: Float32Array, rowSize: number, indices: ArrayLike<number>, out?: Float32Array): Float32Array {
  const dst = out ?? new Float32Array(indices.length * rowSize);
  if (dst.length !== indices.length * rowSize) throw new RangeError(`out has length ${dst.length}, expected ${indices.length * rowSize}`);
  const rows = Math.floor(src.length / rowSize);
  for (let k = 0; k < indices.length; k++) {
    const r = indices[k]!;
    if (r >= rows || r < 0) throw new RangeError(`row ${r} outside 0..${rows - 1}`);
    dst.set(src.subarray(r * rowSize, (r + 1) * rowSize), k * rowSize);
  }
  return dst;
}

/** Items `indices` of a label array. */
export function gatherLabels(labels: Uint8Array, indices: ArrayLike<number>, out?: Uint8Array): Uint8Array {
  const dst = out ?? new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) dst[k] = labels[indices[k]!]!;
  return dst;
}

/**
 * Sequences `indices` of a [rows][T][I] array, time-major: [T][B][I] with B = indices.length (row t*B + b, the
 * activation layout of docs/design.md). For MNIST row-by-row: T = I = 28.
 */
export function gatherSequencesTimeMajor(
  src: Float32Array,
  T: number,
  I: number,
  indices: ArrayLike<number>,
  out?: Float32Array,
): Float32Array {
  const B = indices.length;
  const dst = out ?? new Float32Array(T * B * I);
  if (dst.length !== T * B * I) throw new RangeError(`out has length ${dst.length}, expected ${T * B * I}`);
  const rows = Math.floor(src.length / (T * I));
  for (let b = 0; b < B; b++) {
    const r = indices[b]!;
    if (r >= rows || r < 0) throw new RangeError(`row ${r} outside 0..${rows - 1}`);
    for (let t = 0; t < T; t++) {
      const s = (r * T + t) * I;
      dst.set(src.subarray(s, s + I), (t * B + b) * I);
    }
  }
  return dst;
}
