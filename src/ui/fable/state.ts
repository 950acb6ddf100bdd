// Fable panel state, fed by worker messages (a pure reducer: no React, no worker).
import { nextMetricPoint, type MetricPoint } from '../format.ts';
import type { FablePresetName } from '../../engine/fable.ts';
import type { PromptResult } from '../../engine/fablePrompt.ts';
import type { FableWeightsInfo, FromWorker, RunState } from '../../engine/protocol.ts';

/** A point of the loss/accuracy curves; `step` is the iteration the report was taken at. */
export type FableMetricPoint = MetricPoint;

/** Where the last request came from, so an `error` (scope 'fable') is shown next to what caused it. */
export type FableArea = 'story' | 'text' | 'train' | 'play';

export interface FableStory {
  name: string;
  tokens: number;
  vocab: string[];
  unkCount: number;
  maxVocab: number | null;
}

export interface FableGeneration {
  requestId: number;
  prompt: PromptResult;
  words: string[];
  temperature: number;
  /** The most likely next words after the prompt, with their probabilities at that temperature. */
  candidates: { word: string; p: number }[];
}

export interface FableState {
  story: FableStory | null;
  loading: boolean;
  weights: FableWeightsInfo | null;
  error: { area: FableArea; message: string } | null;
  /** The area of the request sent last (errors carry no request id). */
  lastArea: FableArea;
  run: {
    state: RunState;
    message: string | null;
    preset: FablePresetName;
    started: { iterations: number; dispatchesPerStep: number; batch: number; gpuBytes: number } | null;
    progress: Extract<FromWorker, { type: 'train-progress' }> | null;
  };
  metrics: FableMetricPoint[];
  generation: { pendingId: number | null; result: FableGeneration | null };
}

export const initialFableState: FableState = {
  story: null,
  loading: false,
  weights: null,
  error: null,
  lastArea: 'story',
  run: { state: 'idle', message: null, preset: 'fast', started: null, progress: null },
  metrics: [],
  generation: { pendingId: null, result: null },
};

export type FableAction =
  | { type: 'load-requested'; area: 'story' | 'text' }
  | { type: 'train-requested'; preset: FablePresetName }
  | { type: 'generate-requested'; requestId: number }
  | { type: 'dismiss-error' }
  | { type: 'worker'; msg: FromWorker };

const EMA_ALPHA = 0.2;
export const ACTIVE_STATES: readonly RunState[] = ['preparing', 'running', 'paused'];

function applyMessage(s: FableState, msg: FromWorker): FableState {
  switch (msg.type) {
    case 'fable-ready': {
      const active = ACTIVE_STATES.includes(s.run.state);
      return {
        ...s,
        story: { name: msg.name, tokens: msg.tokens, vocab: msg.vocab, unkCount: msg.unkCount, maxVocab: msg.maxVocab },
        loading: false,
        weights: msg.weights,
        error: s.error && (s.error.area === 'story' || s.error.area === 'text') ? null : s.error,
        // A new text: results from the model before belong to another vocabulary.
        generation: { pendingId: null, result: null },
        run: active ? s.run : { ...s.run, state: 'idle', message: null, started: null, progress: null },
        metrics: active ? s.metrics : [],
      };
    }
    case 'fable-weights':
      return { ...s, loading: false, weights: msg.weights };
    case 'fable-generated':
      if (msg.requestId !== s.generation.pendingId) return s; // an older request
      return { ...s, generation: { pendingId: null, result: { requestId: msg.requestId, prompt: msg.prompt, words: msg.words, temperature: msg.temperature, candidates: msg.candidates } } };
    case 'error':
      if (msg.scope !== 'fable') return s;
      return {
        ...s,
        loading: false,
        error: { area: s.lastArea, message: msg.message },
        generation: s.lastArea === 'play' ? { ...s.generation, pendingId: null } : s.generation,
      };
    case 'train-state': {
      if (msg.task !== 'fable') return s;
      // A failed run: the error that just came belongs to training.
      const error = msg.state === 'failed' && s.error ? { ...s.error, area: 'train' as const } : s.error;
      return { ...s, error, run: { ...s.run, state: msg.state, message: msg.message ?? null } };
    }
    case 'train-started':
      if (msg.task !== 'fable') return s;
      return {
        ...s,
        run: { ...s.run, started: { iterations: msg.stepsPerEpoch, dispatchesPerStep: msg.dispatchesPerStep, batch: msg.batch, gpuBytes: msg.gpuBytes }, progress: null },
        metrics: [],
      };
    case 'train-history':
      // a saved run resumed: its preset (the charts' report interval) comes from the run, not the form
      if (msg.run.start.task !== 'fable') return s;
      return { ...s, run: { ...s.run, preset: msg.run.start.preset } };
    case 'train-metrics': {
      if (msg.task !== 'fable') return s;
      const prev = s.metrics[s.metrics.length - 1];
      const point: FableMetricPoint = nextMetricPoint(prev, msg.step, msg.values.loss!, msg.values.accuracy!, EMA_ALPHA);
      return { ...s, metrics: [...s.metrics, point] };
    }
    case 'train-progress':
      if (msg.task !== 'fable') return s;
      return { ...s, run: { ...s.run, progress: msg } };
    default:
      return s;
  }
}

export function fableReducer(s: FableState, a: FableAction): FableState {
  switch (a.type) {
    case 'load-requested':
      return { ...s, loading: true, lastArea: a.area, error: null };
    case 'train-requested':
      return {
        ...s,
        lastArea: 'train',
        error: s.error?.area === 'train' ? null : s.error,
        // 'preparing' at once, so Start is disabled before the worker answers (one click, one run)
        run: { ...s.run, state: 'preparing', preset: a.preset, message: null },
      };
    case 'generate-requested':
      return {
        ...s,
        lastArea: 'play',
        error: s.error?.area === 'play' ? null : s.error,
        generation: { ...s.generation, pendingId: a.requestId },
      };
    case 'dismiss-error':
      return { ...s, error: null };
    case 'worker':
      return applyMessage(s, a.msg);
  }
}

/** At most `max` points for the charts (every k-th point plus the last), so long runs stay responsive. */
export function thin<T>(points: readonly T[], max = 1500): T[] {
  if (points.length <= max) return points.slice();
  const k = Math.ceil(points.length / max);
  const out: T[] = [];
  for (let i = 0; i < points.length; i += k) out.push(points[i]!);
  if ((points.length - 1) % k !== 0) out.push(points[points.length - 1]!);
  return out;
}


/** Replaces every occurrence of `word` (as the playground tokenizes: lowercased, split at , . ?) in `text`. */
export function replaceWord(text: string, word: string, replacement: string): string {
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`(^|[\\s,.?])${escaped}(?=$|[\\s,.?])`, 'giu');
  return text.replace(re, (_m, before: string) => `${before}${replacement}`);
}
