// Penn TreeBank panel state, fed by worker messages (a pure reducer: no React, no worker).
import { PTB_PRESETS, type PtbPresetName } from './config.ts';
import type { FromWorker, PtbDataInfo, PtbRunPlan, PtbSplitName, RunState } from '../../engine/protocol.ts';

type Msg<T extends FromWorker['type']> = Extract<FromWorker, { type: T }>;

export interface PtbMetricPoint {
  /** Training steps of the run so far. */
  step: number;
  /** 0-based epoch. */
  epoch: number;
  /** exp(mean loss) since the start of the epoch (the tutorial's printout). */
  perplexity: number;
  /** The same over the steps since the previous report. */
  recent: number;
  wps: number;
  lr: number;
}

/** The test perplexity of a model. */
export interface PtbTestResult {
  perplexity: number;
  steps: number;
  total: number;
  partial: boolean;
  seconds: number;
}

export interface PtbEpochPoint {
  /** 1-based. */
  epoch: number;
  train: number;
  valid: number;
  lr: number;
  seconds: number;
  wps: number;
  partial: boolean;
}

/** Where the last request came from, so an `error` (scope 'ptb') is shown next to what caused it. */
export type PtbArea = 'data' | 'train' | 'test' | 'sample';

export interface PtbState {
  data: {
    info: PtbDataInfo | null;
    /** Files accepted while some are still missing. */
    staged: Partial<Record<PtbSplitName, string>>;
    missing: PtbSplitName[];
    loading: boolean;
  };
  error: { area: PtbArea; message: string } | null;
  lastArea: PtbArea;
  run: {
    state: RunState;
    message: string | null;
    preset: PtbPresetName;
    phase: 'train' | 'valid' | 'test' | null;
    started: PtbRunPlan | null;
    progress: Msg<'train-progress'> | null;
    dispatchesPerStep: number | null;
    gpuBytes: number | null;
    /** Validation progress of the current epoch. */
    valid: { step: number; total: number } | null;
  };
  metrics: PtbMetricPoint[];
  epochs: PtbEpochPoint[];
  test: {
    running: boolean;
    progress: { step: number; total: number } | null;
    result: PtbTestResult | null;
    cancelled: boolean;
    /** The preset of the run the result belongs to. */
    preset: PtbPresetName | null;
    /** Stopped (a Stop) rather than failed (an error, shown separately). */
    failed: boolean;
  };
  /** A model exists in the worker (a run was started). */
  hasModel: boolean;
  sample: { pendingId: number | null; result: Msg<'ptb-sampled'> | null };
}

export const initialPtbState: PtbState = {
  data: { info: null, staged: {}, missing: [], loading: false },
  error: null,
  lastArea: 'data',
  run: { state: 'idle', message: null, preset: 'demo', phase: null, started: null, progress: null, dispatchesPerStep: null, gpuBytes: null, valid: null },
  metrics: [],
  epochs: [],
  test: { running: false, progress: null, result: null, cancelled: false, preset: null, failed: false },
  hasModel: false,
  sample: { pendingId: null, result: null },
};

export type PtbAction =
  | { type: 'load-requested' }
  | { type: 'load-failed'; message: string }
  | { type: 'train-requested'; preset: PtbPresetName }
  | { type: 'test-requested' }
  | { type: 'sample-requested'; requestId: number }
  | { type: 'worker'; msg: FromWorker };

export const ACTIVE_STATES: readonly RunState[] = ['preparing', 'running', 'paused'];

function applyMessage(s: PtbState, msg: FromWorker): PtbState {
  switch (msg.type) {
    case 'ptb-files':
      return {
        ...s,
        data: { ...s.data, staged: msg.staged, missing: msg.missing, loading: false },
        error: s.error?.area === 'data' ? null : s.error,
      };
    case 'ptb-loaded':
      return {
        ...s,
        data: { info: msg.data, staged: {}, missing: [], loading: false },
        error: s.error?.area === 'data' ? null : s.error,
      };
    case 'error': {
      if (msg.scope !== 'ptb') return s;
      const area = s.lastArea;
      return {
        ...s,
        data: area === 'data' ? { ...s.data, loading: false } : s.data,
        error: { area, message: msg.message },
        sample: area === 'sample' ? { ...s.sample, pendingId: null } : s.sample,
      };
    }
    case 'train-state': {
      if (msg.task !== 'ptb') return s;
      // A failed run: the error that just came belongs to training.
      const error = msg.state === 'failed' && s.error ? { ...s.error, area: 'train' as const } : s.error;
      const ended = !ACTIVE_STATES.includes(msg.state);
      return {
        ...s,
        error,
        run: { ...s.run, state: msg.state, message: msg.message ?? null, phase: ended ? null : s.run.phase },
        test: ended && s.run.phase === 'test' ? { ...s.test, running: false } : s.test,
      };
    }
    case 'model-imported':
      return { ...s, hasModel: true };
    case 'train-started':
      if (msg.task !== 'ptb' || !msg.ptb) return s;
      return {
        ...s,
        hasModel: true,
        run: { ...s.run, dispatchesPerStep: msg.dispatchesPerStep, gpuBytes: msg.gpuBytes, started: msg.ptb, progress: null, phase: 'train', valid: null },
        metrics: [],
        epochs: [],
        test: { running: false, progress: null, result: null, cancelled: false, preset: null, failed: false },
      };
    case 'train-history': {
      // a saved run resumed: its preset (the published figures shown) comes from the run, not the form
      if (msg.run.start.task !== 'ptb') return s;
      const name = msg.run.start.config.name;
      return PTB_PRESETS.some((p) => p.name === name) ? { ...s, run: { ...s.run, preset: name as PtbPresetName } } : s;
    }
    case 'train-metrics': {
      if (msg.task !== 'ptb') return s;
      const v = msg.values;
      return { ...s, metrics: [...s.metrics, { step: msg.step, epoch: msg.epoch, perplexity: v.perplexity!, recent: v.recent!, wps: v.wps!, lr: v.lr! }] };
    }
    case 'train-progress':
      if (msg.task !== 'ptb') return s;
      return { ...s, run: { ...s.run, progress: msg } };
    case 'phase':
      if (msg.task !== 'ptb') return s;
      return {
        ...s,
        run: { ...s.run, phase: msg.phase, valid: msg.phase === 'valid' ? null : s.run.valid },
        test: msg.phase === 'test' ? { ...s.test, running: true, progress: null, result: null, cancelled: false, failed: false, preset: s.run.preset } : s.test,
      };
    case 'phase-progress':
      if (msg.task !== 'ptb') return s;
      if (msg.phase === 'valid') return { ...s, run: { ...s.run, valid: { step: msg.step, total: msg.total } } };
      return { ...s, test: { ...s.test, progress: { step: msg.step, total: msg.total } } };
    case 'phase-result': {
      if (msg.task !== 'ptb') return s;
      const v = msg.values;
      if (msg.phase === 'epoch') {
        return { ...s, epochs: [...s.epochs, { epoch: msg.epoch, train: v.train!, valid: v.valid!, lr: v.lr!, seconds: msg.seconds, wps: v.wps!, partial: msg.partial ?? false }] };
      }
      const result: PtbTestResult = { perplexity: v.perplexity!, steps: msg.steps ?? 0, total: msg.total ?? 0, partial: msg.partial ?? false, seconds: msg.seconds };
      return { ...s, test: { ...s.test, running: false, result, cancelled: false, failed: false } };
    }
    case 'phase-cancelled':
      if (msg.task !== 'ptb') return s;
      return { ...s, test: { ...s.test, running: false, cancelled: msg.reason === 'stopped', failed: msg.reason === 'failed' } };
    case 'ptb-sampled':
      if (msg.requestId !== s.sample.pendingId) return s; // an older request
      return { ...s, sample: { pendingId: null, result: msg } };
    default:
      return s;
  }
}

export function ptbReducer(s: PtbState, a: PtbAction): PtbState {
  switch (a.type) {
    case 'load-requested':
      return { ...s, lastArea: 'data', error: s.error?.area === 'data' ? null : s.error, data: { ...s.data, loading: true } };
    case 'load-failed':
      return { ...s, data: { ...s.data, loading: false }, error: { area: 'data', message: a.message } };
    case 'train-requested':
      return {
        ...s,
        lastArea: 'train',
        error: s.error?.area === 'train' || s.error?.area === 'test' ? null : s.error,
        // 'preparing' at once, so Start is disabled before the worker answers (one click, one run)
        run: { ...s.run, state: 'preparing', preset: a.preset, message: null },
      };
    case 'test-requested':
      return {
        ...s,
        lastArea: 'test',
        error: s.error?.area === 'test' ? null : s.error,
        test: { running: true, progress: null, result: null, cancelled: false, failed: false, preset: s.run.preset },
      };
    case 'sample-requested':
      return {
        ...s,
        lastArea: 'sample',
        error: s.error?.area === 'sample' ? null : s.error,
        sample: { ...s.sample, pendingId: a.requestId },
      };
    case 'worker':
      return applyMessage(s, a.msg);
  }
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatPerplexity(p: number): string {
  if (!Number.isFinite(p)) return '–';
  return p >= 1000 ? Math.round(p).toLocaleString('en-US') : p.toFixed(2);
}
