// The training form: its text fields, page-side validation (the worker validates again) and the config it makes.
import { defaultMnistConfig, type MnistTrainConfig } from '../../engine/mnist.ts';

export type Cell = 'lstm' | 'rnn';

export interface MnistForm {
  cell: Cell;
  hidden: string;
  lr: string;
  batch: string;
  epochs: string;
}

export type FieldErrors = Partial<Record<Exclude<keyof MnistForm, 'cell'>, string>>;

export function defaultForm(cell: Cell = 'lstm'): MnistForm {
  const c = defaultMnistConfig(cell);
  return { cell, hidden: String(c.model.hidden), lr: String(c.optimizer.lr), batch: String(c.batch), epochs: String(c.epochs) };
}

/** Epochs recommended for each cell (the published recipes); applied when the cell changes. */
export function defaultEpochs(cell: Cell): number {
  return defaultMnistConfig(cell).epochs;
}

function parseNumber(text: string): number | null {
  const t = text.trim();
  if (t === '') return null;
  const v = Number(t);
  return Number.isFinite(v) ? v : null;
}

function checkInt(text: string, max: number, what: string): string | undefined {
  const v = parseNumber(text);
  if (v === null) return `${what} must be a number.`;
  if (v <= 0) return `${what} must be above 0.`;
  if (!Number.isInteger(v)) return `${what} must be a whole number.`;
  if (v > max) return `${what} can be at most ${max.toLocaleString('en-US')}.`;
  return undefined;
}

export function validateForm(f: MnistForm): FieldErrors {
  const errors: FieldErrors = {};
  const hidden = checkInt(f.hidden, 2048, 'Hidden size');
  if (hidden) errors.hidden = hidden;
  const batch = checkInt(f.batch, 4096, 'Batch size');
  if (batch) errors.batch = batch;
  const epochs = checkInt(f.epochs, 100, 'Epochs');
  if (epochs) errors.epochs = epochs;
  const lr = parseNumber(f.lr);
  if (lr === null) errors.lr = 'Learning rate must be a number (e.g. 0.001 or 1e-3).';
  else if (lr <= 0) errors.lr = 'Learning rate must be above 0.';
  else if (lr > 10) errors.lr = 'Learning rate can be at most 10.';
  return errors;
}

export function formToConfig(f: MnistForm): MnistTrainConfig {
  const base = defaultMnistConfig(f.cell);
  return {
    ...base,
    model: { ...base.model, hidden: Number(f.hidden.trim()) },
    batch: Number(f.batch.trim()),
    epochs: Number(f.epochs.trim()),
    optimizer: { ...base.optimizer, lr: Number(f.lr.trim()) },
  };
}

const STORAGE_KEY = 'rnnlab.mnist.form';

/** The last form (kept across reloads, e.g. after a lost GPU device). */
export function loadSavedForm(): MnistForm {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    if (!raw) return defaultForm();
    const v = JSON.parse(raw) as Partial<MnistForm>;
    const d = defaultForm(v.cell === 'rnn' ? 'rnn' : 'lstm');
    const str = (x: unknown, fallback: string) => (typeof x === 'string' ? x : fallback);
    return { cell: d.cell, hidden: str(v.hidden, d.hidden), lr: str(v.lr, d.lr), batch: str(v.batch, d.batch), epochs: str(v.epochs, d.epochs) };
  } catch {
    return defaultForm();
  }
}

export function saveForm(f: MnistForm): void {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(f));
  } catch {
    /* private mode or storage full: not worth bothering the user */
  }
}

/** The published test accuracy for each cell, drawn as a reference line. */
export const PUBLISHED: Record<Cell, { accuracy: number; label: string }> = {
  lstm: { accuracy: 0.98, label: 'published ~98%' },
  rnn: { accuracy: 0.958, label: 'published 95.8%' },
};
