import { describe, expect, it } from 'vitest';
import {
  batchesPerEpoch,
  batchIndices,
  gatherLabels,
  gatherRows,
  gatherSequencesTimeMajor,
  mulberry32,
  permutation,
} from '../src/data/batch.ts';

describe('mulberry32', () => {
  it('is deterministic, in [0,1) and roughly uniform', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const xs = Array.from({ length: 10_000 }, () => a());
    expect(Array.from({ length: 10_000 }, () => b())).toEqual(xs);
    expect(c()).not.toBe(xs[0]);
    for (const x of xs) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
    const buckets = new Array(10).fill(0);
    for (const x of xs) buckets[Math.floor(x * 10)]++;
    for (const n of buckets) expect(Math.abs(n - 1000)).toBeLessThan(150);
  });

  it('resumes exactly from its saved state', () => {
    const a = mulberry32(42);
    for (let i = 0; i < 17; i++) a();
    const saved = a.state;
    const rest = Array.from({ length: 100 }, () => a());
    const b = mulberry32(0);
    b.state = saved;
    expect(Array.from({ length: 100 }, () => b())).toEqual(rest);
    // the state is a 32-bit unsigned integer (what a checkpoint stores as text)
    expect(Number.isInteger(saved) && saved >= 0 && saved < 2 ** 32).toBe(true);
  });
});

describe('permutation', () => {
  it('is a permutation, deterministic for a seed', () => {
    const p = permutation(60_000, 1);
    expect(p.length).toBe(60_000);
    const sorted = Array.from(p).sort((x, y) => x - y);
    expect(sorted.every((v, i) => v === i)).toBe(true);
    expect(permutation(60_000, 1)).toEqual(p);
    expect(permutation(60_000, 2)).not.toEqual(p);
    // actually shuffled: few fixed points
    let fixed = 0;
    p.forEach((v, i) => (fixed += v === i ? 1 : 0));
    expect(fixed).toBeLessThan(20);
    expect(permutation(0, 1).length).toBe(0);
    expect([...permutation(1, 1)]).toEqual([0]);
  });
  it('accepts a shared generator so epochs differ', () => {
    const rng = mulberry32(5);
    const e1 = permutation(100, rng);
    const e2 = permutation(100, rng);
    expect(e1).not.toEqual(e2);
    const rng2 = mulberry32(5);
    expect(permutation(100, rng2)).toEqual(e1);
    expect(permutation(100, rng2)).toEqual(e2);
  });
  it('all orders of 3 items occur about equally often', () => {
    const rng = mulberry32(9);
    const counts = new Map<string, number>();
    for (let i = 0; i < 6000; i++) {
      const k = permutation(3, rng).join('');
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    for (const n of counts.values()) expect(Math.abs(n - 1000)).toBeLessThan(150);
  });
});

describe('batchIndices', () => {
  it('cuts the permutation into full batches, dropping the last partial one', () => {
    const p = permutation(10, 3);
    expect(batchesPerEpoch(10, 3)).toBe(3);
    const all = [0, 1, 2].flatMap((s) => [...batchIndices(p, 3, s)]);
    expect(all).toEqual([...p.subarray(0, 9)]);
    expect(() => batchIndices(p, 3, 3)).toThrow(RangeError);
    expect(() => batchIndices(p, 3, -1)).toThrow(RangeError);
    expect(batchesPerEpoch(60_000, 128)).toBe(468);
    expect(batchesPerEpoch(60_000, 50)).toBe(1200);
  });
});

describe('gather', () => {
  const rows = 5;
  const size = 4;
  const src = Float32Array.from({ length: rows * size }, (_, i) => i);
  it('gatherRows', () => {
    expect([...gatherRows(src, size, [3, 0])]).toEqual([12, 13, 14, 15, 0, 1, 2, 3]);
    const out = new Float32Array(4);
    expect(gatherRows(src, size, [4], out)).toBe(out);
    expect([...out]).toEqual([16, 17, 18, 19]);
    expect(() => gatherRows(src, size, [5])).toThrow(RangeError);
  });
  it('gatherLabels', () => {
    expect([...gatherLabels(Uint8Array.from([9, 8, 7]), [2, 0])]).toEqual([7, 9]);
  });
  it('gatherSequencesTimeMajor: [T][B][I]', () => {
    const T = 3;
    const I = 2;
    const seqs = Float32Array.from({ length: 4 * T * I }, (_, i) => i); // 4 sequences [T][I]
    const idx = [2, 0];
    const out = gatherSequencesTimeMajor(seqs, T, I, idx);
    for (let t = 0; t < T; t++)
      for (let b = 0; b < idx.length; b++)
        for (let i = 0; i < I; i++) expect(out[(t * idx.length + b) * I + i]).toBe(seqs[(idx[b]! * T + t) * I + i]);
  });
});
