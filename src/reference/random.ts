/**
 * Tiny seeded PRNG and fillers for tests (CPU reference and GPU tests share these).
 * mulberry32: 32-bit state, returns floats in [0, 1) with 32 bits of resolution. Deterministic for a seed.
 */

export type Rand = () => number;

/** mulberry32 generator; the seed is taken mod 2^32. */
export function mulberry32(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n values uniform in [lo, hi). */
export function uniform(n: number, rand: Rand, lo = -1, hi = 1): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rand();
  return out;
}

/** n values ~ Normal(mean, std²) by Box-Muller. */
export function randn(n: number, rand: Rand, std = 1, mean = 0): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const u1 = 1 - rand(); // (0, 1]
    const u2 = rand();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = mean + std * r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) out[i + 1] = mean + std * r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

/** n integers uniform in [0, max). */
export function randInts(n: number, rand: Rand, max: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.min(max - 1, Math.floor(rand() * max));
  return out;
}
