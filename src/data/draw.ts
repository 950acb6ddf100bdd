/**
 * MNIST-style preprocessing of a user drawing, as LeCun et al. describe the dataset: the digit's bounding box is
 * size-normalised to fit a 20x20 box keeping the aspect ratio (anti-aliased, so grey levels appear), then placed
 * in a 28x28 field so that its centre of mass lies at the field's centre.
 *
 * Coordinates: pixel (x, y) is index y*w + x and the centre of mass is Σ v·x / Σ v in pixel indices. The target
 * is (14, 14) in those coordinates: the real MNIST training images have a mean centre of mass of (13.996, 14.007)
 * (x, y), std 0.29, so this is the convention the dataset follows (not the geometric centre 13.5).
 */

export const DRAW_SIDE = 28;
export const DRAW_BOX = 20;
export const DRAW_CENTER = 14;

export interface DrawOptions {
  /** A pixel counts as ink for the bounding box when its value is > inkThreshold (default 0.1). Fainter
   *  anti-aliasing inside the box is kept; faint specks outside it are ignored. */
  inkThreshold?: number;
}

export interface DrawResult {
  /** 28x28, row-major, values in [0,1] (1 = ink), all zeros when empty. */
  image: Float32Array;
  /** True when no pixel exceeded the ink threshold. */
  empty: boolean;
  /** Ink bounding box in the input image (null when empty). */
  bbox: { x: number; y: number; w: number; h: number } | null;
  /** Size after scaling (the larger side is 20). */
  scaledW: number;
  scaledH: number;
  /** Where the scaled box's top-left corner lies in the 28x28 image. */
  offsetX: number;
  offsetY: number;
}

/** Bounding box of the pixels > threshold, or null when there are none. */
export function inkBoundingBox(
  gray: ArrayLike<number>,
  w: number,
  h: number,
  threshold = 0.1,
): { x: number; y: number; w: number; h: number } | null {
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (gray[y * w + x]! > threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return x1 < 0 ? null : { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

/** True when no pixel is above the ink threshold. */
export function isEmptyDrawing(gray: ArrayLike<number>, threshold = 0.1): boolean {
  for (let i = 0; i < gray.length; i++) if (gray[i]! > threshold) return false;
  return true;
}

/** Centre of mass (Σ v·x / Σ v, Σ v·y / Σ v) in pixel indices; null for an all-zero image. */
export function centerOfMass(img: ArrayLike<number>, w: number, h: number): { x: number; y: number } | null {
  let m = 0;
  let sx = 0;
  let sy = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = img[y * w + x]!;
      m += v;
      sx += v * x;
      sy += v * y;
    }
  }
  return m > 0 ? { x: sx / m, y: sy / m } : null;
}

/**
 * 1-D area-averaging weights from n source cells to m destination cells: destination j covers source interval
 * [j*n/m, (j+1)*n/m); each source cell contributes its overlap, divided by the interval length (n/m).
 * Works for shrinking and enlarging.
 */
function areaWeights(n: number, m: number): { start: number[]; weights: number[][] } {
  const scale = n / m;
  const start: number[] = [];
  const weights: number[][] = [];
  for (let j = 0; j < m; j++) {
    const a = j * scale;
    const b = (j + 1) * scale;
    const i0 = Math.floor(a);
    const i1 = Math.min(n, Math.ceil(b - 1e-9));
    const ws: number[] = [];
    for (let i = i0; i < i1; i++) ws.push((Math.min(b, i + 1) - Math.max(a, i)) / scale);
    start.push(i0);
    weights.push(ws);
  }
  return { start, weights };
}

/** Area-averaging resample of a (sw x sh) region at (sx, sy) of a (w-wide) image to (dw x dh). */
export function resampleArea(
  src: ArrayLike<number>,
  w: number,
  sx: number,
  sy: number,
  sw: number,
  sh: number,
  dw: number,
  dh: number,
): Float32Array {
  const hx = areaWeights(sw, dw);
  const hy = areaWeights(sh, dh);
  const tmp = new Float64Array(sh * dw); // horizontal pass: [sh][dw]
  for (let y = 0; y < sh; y++) {
    const row = (sy + y) * w + sx;
    for (let j = 0; j < dw; j++) {
      const ws = hx.weights[j]!;
      const s0 = hx.start[j]!;
      let acc = 0;
      for (let k = 0; k < ws.length; k++) acc += ws[k]! * src[row + s0 + k]!;
      tmp[y * dw + j] = acc;
    }
  }
  const out = new Float32Array(dw * dh);
  for (let i = 0; i < dh; i++) {
    const ws = hy.weights[i]!;
    const s0 = hy.start[i]!;
    for (let j = 0; j < dw; j++) {
      let acc = 0;
      for (let k = 0; k < ws.length; k++) acc += ws[k]! * tmp[(s0 + k) * dw + j]!;
      out[i * dw + j] = acc;
    }
  }
  return out;
}

/**
 * Grey drawing (w x h, 0..1, 1 = ink) -> 28x28 MNIST-like image:
 * crop to the ink bounding box; scale (area averaging) so the larger side is 20 px and the other
 * max(1, round(side*20/larger)); paste into 28x28 at offset round(14 - centre of mass), clamped so the box stays
 * inside. Values are clamped to [0,1]. An empty drawing gives all zeros with `empty: true`.
 */
export function preprocessDrawing(gray: ArrayLike<number>, w: number, h: number, options: DrawOptions = {}): DrawResult {
  if (gray.length !== w * h) throw new RangeError(`drawing has ${gray.length} values, expected ${w}x${h} = ${w * h}`);
  const image = new Float32Array(DRAW_SIDE * DRAW_SIDE);
  const bbox = inkBoundingBox(gray, w, h, options.inkThreshold ?? 0.1);
  if (!bbox) return { image, empty: true, bbox: null, scaledW: 0, scaledH: 0, offsetX: 0, offsetY: 0 };
  const long = Math.max(bbox.w, bbox.h);
  const scaledW = Math.max(1, Math.min(DRAW_BOX, Math.round((bbox.w * DRAW_BOX) / long)));
  const scaledH = Math.max(1, Math.min(DRAW_BOX, Math.round((bbox.h * DRAW_BOX) / long)));
  const scaled = resampleArea(gray, w, bbox.x, bbox.y, bbox.w, bbox.h, scaledW, scaledH);
  for (let i = 0; i < scaled.length; i++) scaled[i] = Math.min(1, Math.max(0, scaled[i]!));
  const com = centerOfMass(scaled, scaledW, scaledH) ?? { x: (scaledW - 1) / 2, y: (scaledH - 1) / 2 };
  const clamp = (v: number, hi: number) => Math.min(hi, Math.max(0, v));
  const offsetX = clamp(Math.round(DRAW_CENTER - com.x), DRAW_SIDE - scaledW);
  const offsetY = clamp(Math.round(DRAW_CENTER - com.y), DRAW_SIDE - scaledH);
  for (let y = 0; y < scaledH; y++) {
    image.set(scaled.subarray(y * scaledW, (y + 1) * scaledW), (offsetY + y) * DRAW_SIDE + offsetX);
  }
  return { image, empty: false, bbox, scaledW, scaledH, offsetX, offsetY };
}

/**
 * Canvas RGBA (ImageData.data) -> ink in [0,1].
 * 'alpha': ink = alpha (strokes on a transparent canvas); 'dark': dark ink on a light background (composited
 * over white, ink = 1 - luminance); 'light': light ink on a dark background (composited over black).
 */
export function rgbaToInk(rgba: ArrayLike<number>, w: number, h: number, mode: 'alpha' | 'dark' | 'light' = 'alpha'): Float32Array {
  if (rgba.length !== w * h * 4) throw new RangeError(`RGBA data has ${rgba.length} values, expected ${w * h * 4}`);
  const out = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) {
    const a = rgba[4 * i + 3]! / 255;
    if (mode === 'alpha') {
      out[i] = a;
      continue;
    }
    const lum = (0.299 * rgba[4 * i]! + 0.587 * rgba[4 * i + 1]! + 0.114 * rgba[4 * i + 2]!) / 255;
    out[i] = mode === 'dark' ? 1 - (lum * a + (1 - a)) : lum * a;
  }
  return out;
}
