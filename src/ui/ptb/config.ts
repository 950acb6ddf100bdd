// The PTB training form: the tutorial's hyperparameters as editable text, validated with the engine's own
// validatePtbConfig (each field on its own, so every message lands next to its field), and the run options.
import { ConfigError } from '../../engine/errors.ts';
import { PTB_CONFIGS, validatePtbConfig, type PtbConfig, type PtbConfigName } from '../../engine/ptb.ts';
import type { PtbRunOptions } from '../../engine/protocol.ts';
import { stringFields } from '../saved.ts';

export type PtbField =
  | 'initScale'
  | 'learningRate'
  | 'maxGradNorm'
  | 'numLayers'
  | 'numSteps'
  | 'hiddenSize'
  | 'maxEpoch'
  | 'maxMaxEpoch'
  | 'keepProb'
  | 'lrDecay'
  | 'batchSize';

/** The fields in the tutorial's order, named as in ptb_word_lm.py. */
export const PTB_FIELDS: readonly { key: PtbField; label: string; help: string }[] = [
  { key: 'initScale', label: 'init_scale', help: 'every weight starts uniform in ±init_scale' },
  { key: 'learningRate', label: 'learning_rate', help: 'plain SGD' },
  { key: 'maxGradNorm', label: 'max_grad_norm', help: 'clip of the global gradient norm' },
  { key: 'numLayers', label: 'num_layers', help: 'stacked LSTM layers' },
  { key: 'numSteps', label: 'num_steps', help: 'words per window (truncated BPTT)' },
  { key: 'hiddenSize', label: 'hidden_size', help: 'LSTM size = embedding size' },
  { key: 'maxEpoch', label: 'max_epoch', help: 'epochs at the full learning rate' },
  { key: 'maxMaxEpoch', label: 'max_max_epoch', help: 'epochs in all' },
  { key: 'keepProb', label: 'keep_prob', help: 'dropout keep probability (1: none)' },
  { key: 'lrDecay', label: 'lr_decay', help: 'lr factor per epoch after max_epoch' },
  { key: 'batchSize', label: 'batch_size', help: 'rows read in parallel' },
];

/** The tutorial's four configs and the quick demo (a choice of this app, not the tutorial's). */
export type PtbPresetName = PtbConfigName | 'demo';

export const PTB_PRESETS: readonly { name: PtbPresetName; label: string }[] = [
  { name: 'demo', label: 'Quick demo (~2 min, not the tutorial)' },
  { name: 'test', label: 'test (tiny, for checks)' },
  { name: 'small', label: 'small' },
  { name: 'medium', label: 'medium' },
  { name: 'large', label: 'large' },
];

/** The quick demo: one small LSTM layer trained on a slice of the data, so that an epoch, its validation, a test
 *  perplexity and a sample finish in about two minutes even on a software (CPU) adapter. Not the tutorial's recipe:
 *  its perplexity (several hundred) is not comparable with the published ones. */
const DEMO_CONFIG: PtbConfig = {
  ...PTB_CONFIGS.small,
  name: 'demo',
  hiddenSize: 32,
  numLayers: 1,
  maxEpoch: 1,
  maxMaxEpoch: 1,
};
const DEMO_OPTIONS: Record<PtbOptionField, string> = { stepLimit: '100', validLimit: '10', testLimit: '100', reportEvery: '5', seed: '1' };
const EMPTY_OPTIONS: Record<PtbOptionField, string> = { stepLimit: '', validLimit: '', testLimit: '', reportEvery: '', seed: '1' };

export function presetConfig(name: PtbPresetName): PtbConfig {
  return name === 'demo' ? DEMO_CONFIG : PTB_CONFIGS[name];
}

/** The tutorial's published perplexities (reference-results.md §3). */
export const PTB_PUBLISHED: Partial<Record<PtbPresetName, { train: number; valid: number; test: number }>> = {
  small: { train: 37.99, valid: 121.39, test: 115.91 },
  medium: { train: 48.45, valid: 86.16, test: 82.07 },
  large: { train: 37.87, valid: 82.62, test: 78.29 },
};

export type PtbOptionField = 'stepLimit' | 'validLimit' | 'testLimit' | 'reportEvery' | 'seed';

export interface PtbForm {
  preset: PtbPresetName;
  values: Record<PtbField, string>;
  options: Record<PtbOptionField, string>;
}

export type PtbFormErrors = Partial<Record<PtbField | PtbOptionField | 'config', string>>;

/** Numbers as typed: plain (1,000 and 1_000 allowed) or a fraction such as 1/1.15. */
export function parseNumber(text: string): number | string {
  const t = text.trim().replace(/[,_]/g, '');
  if (t === '') return 'enter a value';
  const parts = t.split('/');
  if (parts.length > 2) return 'must be a number';
  const nums = parts.map((p) => (p.trim() === '' ? NaN : Number(p)));
  if (nums.some((n) => !Number.isFinite(n))) return 'must be a number';
  if (nums.length === 2) {
    if (nums[1] === 0) return 'cannot divide by 0';
    return nums[0]! / nums[1]!;
  }
  return nums[0]!;
}

/** Shows 1/1.15 as "1/1.15" rather than 0.8695652173913044. */
export function formatValue(v: number): string {
  const s = String(v);
  if (s.length <= 8 || v <= 0) return s;
  const inv = 1 / v;
  const r = Math.round(inv * 1000) / 1000;
  return Math.abs(r - inv) < 1e-9 ? `1/${r}` : s;
}

/** The form of a preset. The demo brings its own limits; leaving it clears them; between the tutorial's configs
 *  the options typed so far stay. */
export function formFromPreset(name: PtbPresetName, previous?: PtbForm): PtbForm {
  const c = presetConfig(name);
  const values = Object.fromEntries(PTB_FIELDS.map((f) => [f.key, formatValue(c[f.key])])) as Record<PtbField, string>;
  const options = name === 'demo' ? DEMO_OPTIONS : previous && previous.preset !== 'demo' ? previous.options : EMPTY_OPTIONS;
  return { preset: name, values, options: { ...options } };
}

/** Whether the values still equal the preset's (so its published figures apply). */
export function isPresetUnchanged(form: PtbForm): boolean {
  const c = presetConfig(form.preset);
  return PTB_FIELDS.every((f) => {
    const v = parseNumber(form.values[f.key]);
    return typeof v === 'number' && Math.abs(v - c[f.key]) <= 1e-12 * Math.max(1, Math.abs(c[f.key]));
  });
}

/** The engine's message (ConfigError) as is. */
function message(e: unknown): string {
  return e instanceof ConfigError || e instanceof Error ? e.message : String(e);
}

function optional(text: string, what: string): number | null | string {
  const t = text.trim();
  if (t === '') return null;
  const v = parseNumber(t);
  if (typeof v === 'string') return v;
  if (!Number.isInteger(v) || v < 1) return `${what} must be a whole number of at least 1 (or empty)`;
  return v;
}

export interface ValidForm {
  config: PtbConfig;
  options: PtbRunOptions;
}

/** Field errors, and the config and options when everything is valid. */
export function validateForm(form: PtbForm, vocabSize = 10000): { errors: PtbFormErrors; valid: ValidForm | null } {
  const errors: PtbFormErrors = {};
  const base = presetConfig(form.preset);
  const config: PtbConfig = { ...base, vocabSize };
  for (const f of PTB_FIELDS) {
    const v = parseNumber(form.values[f.key]);
    if (typeof v === 'string') {
      errors[f.key] = v;
      continue;
    }
    // The engine's own check, this field alone on a valid config.
    try {
      validatePtbConfig({ ...PTB_CONFIGS.small, vocabSize, [f.key]: v });
      config[f.key] = v;
    } catch (e) {
      errors[f.key] = message(e);
    }
  }
  const opts: Record<PtbOptionField, number | null> = { stepLimit: null, validLimit: null, testLimit: null, reportEvery: null, seed: null };
  const labels: Record<PtbOptionField, string> = {
    stepLimit: 'Steps per epoch',
    validLimit: 'Validation steps',
    testLimit: 'Test steps',
    reportEvery: 'Report every',
    seed: 'Seed',
  };
  for (const k of Object.keys(opts) as PtbOptionField[]) {
    const v = optional(form.options[k], labels[k]);
    if (typeof v === 'string') errors[k] = v;
    else opts[k] = v;
  }
  if (opts.seed !== null && opts.seed > 0xffffffff) errors.seed = 'Seed must be at most 4,294,967,295';
  if (Object.keys(errors).length > 0) return { errors, valid: null };
  try {
    validatePtbConfig(config);
  } catch (e) {
    return { errors: { config: message(e) }, valid: null };
  }
  return {
    errors,
    valid: {
      config: { ...config, name: isPresetUnchanged(form) ? base.name : `${base.name} (edited)` },
      options: { stepLimit: opts.stepLimit, validLimit: opts.validLimit, testLimit: opts.testLimit, reportEvery: opts.reportEvery, seed: opts.seed ?? 1 },
    },
  };
}

/** The test-steps option on its own (the test panel uses it too). */
export function testLimitOf(form: PtbForm): number | null | string {
  return optional(form.options.testLimit, 'Test steps');
}

/** A PTB form read back from storage, or null when it is not one (an old shape, an unknown preset). */
export function savedPtbForm(v: unknown): PtbForm | null {
  const f = v as Partial<PtbForm> | null;
  if (!f || typeof f.preset !== 'string' || !PTB_PRESETS.some((p) => p.name === f.preset)) return null;
  const d = formFromPreset(f.preset as PtbConfigName);
  const values = stringFields(f.values, d.values);
  const options = stringFields(f.options, d.options);
  return values && options ? { preset: d.preset, values, options } : null;
}
