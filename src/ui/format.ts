// Small helpers every panel uses: durations, and the points of the loss/accuracy curves (raw and smoothed).
import { ema } from '../engine/control.ts';

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** Sizes for people: "12 KiB", "37.4 MiB", "1.21 GiB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '–';
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes < 2 ** 20) return `${Math.max(1, Math.round(bytes / 1024))} KiB`;
  return `${(bytes / 2 ** 20).toFixed(bytes >= 100 * 2 ** 20 ? 0 : 1)} MiB`;
}

export interface MetricPoint {
  step: number;
  loss: number;
  lossEma: number;
  accuracy: number;
  accuracyEma: number;
}

/** The next curve point: the raw values and their exponential moving averages. */
export function nextMetricPoint(prev: MetricPoint | undefined, step: number, loss: number, accuracy: number, alpha: number): MetricPoint {
  return { step, loss, lossEma: ema(prev?.lossEma, loss, alpha), accuracy, accuracyEma: ema(prev?.accuracyEma, accuracy, alpha) };
}
