// MNIST panel state, fed by worker messages (a pure reducer: no React, no worker).
import { nextMetricPoint, type MetricPoint } from '../format.ts';
import type { FromWorker, RunState } from '../../engine/protocol.ts';

export type { MetricPoint } from '../format.ts';

export interface EpochPoint {
  epoch: number;
  testAccuracy: number;
  testLoss: number;
  seconds: number;
}

export interface FileProgress {
  loaded: number;
  total: number;
}

export interface MnistState {
  data: {
    loading: boolean;
    progress: Record<string, FileProgress>;
    loaded: { source: 'builtin' | 'files'; train: number; test: number } | null;
    error: string | null;
  };
  run: {
    state: RunState;
    message: string | null;
    error: string | null;
    cell: 'lstm' | 'rnn';
    started: { epochs: number; stepsPerEpoch: number; dispatchesPerStep: number; batch: number; gpuBytes: number } | null;
    progress: Extract<FromWorker, { type: 'train-progress' }> | null;
  };
  /** Test accuracy asked for with Evaluate (pending until the worker answers). */
  evaluation: { pending: boolean; accuracy: number; loss: number; rows: number; seconds: number; atStep: number } | null;
  metrics: MetricPoint[];
  epochs: EpochPoint[];
}

export const initialMnistState: MnistState = {
  data: { loading: false, progress: {}, loaded: null, error: null },
  run: { state: 'idle', message: null, error: null, cell: 'lstm', started: null, progress: null },
  evaluation: null,
  metrics: [],
  epochs: [],
};

export type MnistAction =
  | { type: 'load-start' }
  | { type: 'train-requested'; cell: 'lstm' | 'rnn' }
  | { type: 'evaluate-requested' }
  | { type: 'worker'; msgs: FromWorker[] };

/** Smoothing of the per-report loss/accuracy curves (one report per `metricsEvery` steps). */
const EMA_ALPHA = 0.15;

function applyMessage(s: MnistState, msg: FromWorker): MnistState {
  switch (msg.type) {
    case 'mnist-load-progress':
      return { ...s, data: { ...s.data, loading: true, progress: { ...s.data.progress, [msg.file]: { loaded: msg.loaded, total: msg.total } } } };
    case 'mnist-loaded':
      return { ...s, data: { loading: false, progress: s.data.progress, loaded: { source: msg.source, train: msg.train, test: msg.test }, error: null } };
    case 'error':
      if (msg.scope === 'mnist-data') return { ...s, data: { ...s.data, loading: false, progress: {}, error: msg.message } };
      if (msg.scope === 'mnist-train') return { ...s, run: { ...s.run, error: msg.message }, evaluation: s.evaluation?.pending ? null : s.evaluation };
      return s;
    case 'train-state':
      if (msg.task !== 'mnist') return s;
      return { ...s, run: { ...s.run, state: msg.state, message: msg.message ?? null } };
    case 'train-started':
      if (msg.task !== 'mnist') return s;
      return {
        ...s,
        run: { ...s.run, started: { epochs: msg.epochs, stepsPerEpoch: msg.stepsPerEpoch, dispatchesPerStep: msg.dispatchesPerStep, batch: msg.batch, gpuBytes: msg.gpuBytes }, progress: null },
        metrics: [],
        epochs: [],
      };
    case 'train-history':
      // a saved run resumed: its cell (the charts' reference) comes from the run, not the form
      if (msg.run.start.task !== 'mnist') return s;
      return { ...s, run: { ...s.run, cell: msg.run.start.config.model.cell } };
    case 'train-metrics': {
      if (msg.task !== 'mnist') return s;
      const prev = s.metrics[s.metrics.length - 1];
      const point: MetricPoint = nextMetricPoint(prev, msg.step, msg.values.loss!, msg.values.accuracy!, EMA_ALPHA);
      return { ...s, metrics: [...s.metrics, point] };
    }
    case 'train-progress':
      if (msg.task !== 'mnist') return s;
      return { ...s, run: { ...s.run, progress: msg } };
    case 'phase-result': {
      if (msg.task !== 'mnist') return s;
      const { accuracy, loss } = msg.values as { accuracy: number; loss: number };
      if (msg.phase === 'epoch') return { ...s, epochs: [...s.epochs, { epoch: msg.epoch, testAccuracy: accuracy, testLoss: loss, seconds: msg.seconds }] };
      return { ...s, evaluation: { pending: false, accuracy, loss, rows: msg.steps ?? 0, seconds: msg.seconds, atStep: s.metrics.at(-1)?.step ?? 0 } };
    }
    default:
      return s;
  }
}

export function mnistReducer(s: MnistState, a: MnistAction): MnistState {
  switch (a.type) {
    case 'load-start':
      return { ...s, data: { ...s.data, loading: true, progress: {}, error: null } };
    case 'train-requested':
      // 'preparing' at once, so Start is disabled before the worker answers (one click, one run)
      return { ...s, run: { ...s.run, state: 'preparing', cell: a.cell, error: null, message: null }, evaluation: null };
    case 'evaluate-requested':
      return { ...s, run: { ...s.run, error: null }, evaluation: { pending: true, accuracy: NaN, loss: NaN, rows: 0, seconds: 0, atStep: 0 } };
    case 'worker':
      return a.msgs.reduce(applyMessage, s);
  }
}

export const ACTIVE_STATES: readonly RunState[] = ['preparing', 'running', 'paused'];
