// Small canvas heatmaps: a [rows][cols] array drawn one cell per canvas pixel and scaled up by CSS.
import { useEffect, useRef, useState, type MouseEvent } from 'react';
import { useDarkMode } from '../theme.ts';

export type ColorScale = 'diverging' | 'unit' | 'ink';
type Rgb = [number, number, number];

/** The ends of each scale per theme (app.css's --map-* variables): 0 is the card's own colour, so it reads as
 *  "nothing", in both themes. The digit images stay ink on white paper, as drawn. */
const SCALES: Record<'light' | 'dark', { zero: Rgb; neg: Rgb; pos: Rgb; one: Rgb }> = {
  light: { zero: [255, 255, 255], neg: [33, 102, 172], pos: [178, 24, 43], one: [8, 48, 107] },
  dark: { zero: [27, 33, 40], neg: [103, 169, 240], pos: [244, 109, 102], one: [178, 214, 255] },
};

const mix = (from: Rgb, to: Rgb, t: number): Rgb => [0, 1, 2].map((i) => Math.round(from[i]! + t * (to[i]! - from[i]!))) as Rgb;

/** diverging: -1 blue … 0 background … +1 red; unit: 0 background … 1 blue; ink: 0 white … 1 black. */
export function colorOf(v: number, scale: ColorScale, dark = false): Rgb {
  if (scale === 'ink') {
    const g = Math.round(255 * (1 - Math.min(1, Math.max(0, v))));
    return [g, g, g];
  }
  const s = SCALES[dark ? 'dark' : 'light'];
  if (scale === 'unit') return mix(s.zero, s.one, Math.min(1, Math.max(0, v)));
  const t = Math.min(1, Math.max(-1, v));
  return mix(s.zero, t < 0 ? s.neg : s.pos, Math.abs(t));
}

export function paint(canvas: HTMLCanvasElement, values: ArrayLike<number>, rows: number, cols: number, scale: ColorScale, dark = false): void {
  canvas.width = cols;
  canvas.height = rows;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(cols, rows);
  for (let i = 0; i < rows * cols; i++) {
    const [r, g, b] = colorOf(values[i] ?? 0, scale, dark);
    img.data[4 * i] = r;
    img.data[4 * i + 1] = g;
    img.data[4 * i + 2] = b;
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

/** A 28x28 (or any) grey image, ink dark on white, enlarged with crisp pixels. */
export function PixelImage({ image, side = 28, size, label, testId }: { image: ArrayLike<number> | null; side?: number; size: number; label: string; testId?: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (ref.current) paint(ref.current, image ?? new Float32Array(side * side), side, side, 'ink');
  }, [image, side]);
  return <canvas ref={ref} className="pixelated framed" style={{ width: size, height: size }} role="img" aria-label={label} data-testid={testId} />;
}

export interface HeatmapProps {
  title: string;
  values: Float32Array;
  rows: number;
  cols: number;
  scale: 'diverging' | 'unit';
  /** Height of one row in CSS pixels (so rows line up with the input image next to it). */
  rowHeight: number;
  testId?: string;
}

/** What a heatmap shows, in words: its shape and the last time step's values (the state the classifier reads). */
export function heatmapLabel(title: string, values: ArrayLike<number>, rows: number, cols: number): string {
  let lo = Infinity;
  let hi = -Infinity;
  let sum = 0;
  let top = 0;
  for (let c = 0; c < cols; c++) {
    const v = values[(rows - 1) * cols + c] ?? 0;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
    sum += v;
    if (Math.abs(v) > Math.abs(values[(rows - 1) * cols + top] ?? 0)) top = c;
  }
  const f = (v: number) => v.toFixed(2);
  const strongest = values[(rows - 1) * cols + top] ?? 0;
  return (
    `${title}: ${rows} time steps by ${cols} hidden units. At the last step (${rows - 1}): values from ${f(lo)} to ${f(hi)}, ` +
    `mean ${f(sum / cols)}; strongest unit ${top} (${f(strongest)}).`
  );
}

export function Heatmap({ title, values, rows, cols, scale, rowHeight, testId }: HeatmapProps) {
  const ref = useRef<HTMLCanvasElement>(null);
  const dark = useDarkMode();
  const [hover, setHover] = useState<string | null>(null);
  useEffect(() => {
    if (ref.current) paint(ref.current, values, rows, cols, scale, dark);
  }, [values, rows, cols, scale, dark]);

  const onMove = (e: MouseEvent<HTMLCanvasElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    const c = Math.min(cols - 1, Math.floor(((e.clientX - rect.left) / rect.width) * cols));
    const r = Math.min(rows - 1, Math.floor(((e.clientY - rect.top) / rect.height) * rows));
    setHover(`step ${r}, unit ${c}: ${(values[r * cols + c] ?? 0).toFixed(3)}`);
  };
  const [lo, hi] = scale === 'diverging' ? ['−1', '+1'] : ['0', '1'];
  return (
    <figure className="heatmap" data-testid={testId}>
      <figcaption>
        <span>{title}</span>
        <span className="legend">
          {lo}
          <span className={`legend-bar ${scale}`} aria-hidden="true" />
          {hi}
        </span>
      </figcaption>
      <div className="heatmap-body">
        <div className="y-ticks" style={{ height: rows * rowHeight }} aria-hidden="true">
          <span>0</span>
          <span>{rows - 1}</span>
        </div>
        <canvas
          ref={ref}
          className="pixelated"
          style={{ height: rows * rowHeight }}
          role="img"
          aria-label={heatmapLabel(title, values, rows, cols)}
          onMouseMove={onMove}
          onMouseLeave={() => setHover(null)}
        />
      </div>
      <div className="x-axis">
        <span>0</span>
        <span className="muted">{hover ?? 'hidden unit →'}</span>
        <span>{cols - 1}</span>
      </div>
    </figure>
  );
}
