// Small canvas heatmaps: a [rows][cols] array drawn one cell per canvas pixel and scaled up by CSS.
import { useEffect, useRef, useState, type MouseEvent } from 'react';

export type ColorScale = 'diverging' | 'unit' | 'ink';

/** diverging: -1 blue … 0 white … +1 red; unit: 0 white … 1 dark blue; ink: 0 white … 1 black. */
export function colorOf(v: number, scale: ColorScale): [number, number, number] {
  if (scale === 'ink') {
    const g = Math.round(255 * (1 - Math.min(1, Math.max(0, v))));
    return [g, g, g];
  }
  if (scale === 'unit') {
    const t = Math.min(1, Math.max(0, v));
    return [Math.round(255 + t * (8 - 255)), Math.round(255 + t * (48 - 255)), Math.round(255 + t * (107 - 255))];
  }
  const t = Math.min(1, Math.max(-1, v));
  const [r, g, b] = t < 0 ? [33, 102, 172] : [178, 24, 43];
  const a = Math.abs(t);
  return [Math.round(255 + a * (r - 255)), Math.round(255 + a * (g - 255)), Math.round(255 + a * (b - 255))];
}

export function paint(canvas: HTMLCanvasElement, values: ArrayLike<number>, rows: number, cols: number, scale: ColorScale): void {
  canvas.width = cols;
  canvas.height = rows;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(cols, rows);
  for (let i = 0; i < rows * cols; i++) {
    const [r, g, b] = colorOf(values[i] ?? 0, scale);
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

export function Heatmap({ title, values, rows, cols, scale, rowHeight, testId }: HeatmapProps) {
  const ref = useRef<HTMLCanvasElement>(null);
  const [hover, setHover] = useState<string | null>(null);
  useEffect(() => {
    if (ref.current) paint(ref.current, values, rows, cols, scale);
  }, [values, rows, cols, scale]);

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
          aria-label={`${title}: ${rows} time steps by ${cols} hidden units`}
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
