// How a run was started, per task (what a saved run keeps to start the same run again from its checkpoint), and
// what the Runs panel says of it: a one-line summary, its size in steps, the best value of its headline metric.
import type { FablePresetName } from './fable.ts';
import type { MnistTrainConfig } from './mnist.ts';
import type { FromWorker, PtbRunOptions, Task } from './protocol.ts';
import type { PtbConfig } from './ptb.ts';
import type { BestMetric, RunCurves } from './runStore.ts';

export type RunStart =
  | { task: 'mnist'; config: MnistTrainConfig }
  | { task: 'fable'; preset: FablePresetName; iterations: number }
  | { task: 'ptb'; config: PtbConfig; options: PtbRunOptions };

const TASK_NAMES: Record<Task, string> = { mnist: 'MNIST', fable: 'Fable', ptb: 'PTB' };

/** One line: the model and its main hyperparameters. */
export function runSummary(s: RunStart): string {
  switch (s.task) {
    case 'mnist': {
      const c = s.config;
      return `${c.model.cell.toUpperCase()} ${c.model.hidden}, batch ${c.batch}, ${c.optimizer.kind} lr ${c.optimizer.lr}, ${c.epochs} epoch${c.epochs === 1 ? '' : 's'}`;
    }
    case 'fable':
      return `2-layer LSTM, ${s.preset} preset, ${s.iterations.toLocaleString('en')} iterations`;
    case 'ptb': {
      const c = s.config;
      const limit = s.options.stepLimit === null ? '' : `, ${s.options.stepLimit} steps/epoch`;
      return `${c.name}: ${c.numLayers}x${c.hiddenSize} LSTM, ${c.numSteps} steps x batch ${c.batchSize}, ${c.maxMaxEpoch} epoch${c.maxMaxEpoch === 1 ? '' : 's'}, keep ${c.keepProb}${limit}`;
    }
  }
}

/** A default name for a new run: the task, the model, the time it started. */
export function defaultRunName(s: RunStart, now = new Date()): string {
  const model = s.task === 'mnist' ? s.config.model.cell.toUpperCase() : s.task === 'fable' ? s.preset : s.config.name;
  const when = now.toLocaleString('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
  return `${TASK_NAMES[s.task]} ${model} ${when}`;
}

/** The best value of the task's headline metric in a run's curves: MNIST's test accuracy after an epoch (training
 *  accuracy before the first), the fable's training accuracy, PTB's validation perplexity (training before). */
export function bestMetric(task: Task, curves: RunCurves): BestMetric | null {
  let best: BestMetric | null = null;
  const consider = (name: string, value: number | undefined, higherIsBetter: boolean, step: number) => {
    if (value === undefined || !Number.isFinite(value)) return;
    if (best && best.name !== name) {
      // an epoch's figure outranks any training figure
      if (name.startsWith('training')) return;
      best = null;
    }
    if (!best || (higherIsBetter ? value > best.value : value < best.value)) best = { name, value, higherIsBetter, step };
  };
  let step = 0;
  for (const m of curves) {
    if (m.type === 'train-metrics') {
      step = m.step;
      if (task === 'ptb') consider('training perplexity', m.values.perplexity, false, m.step);
      else consider('training accuracy', m.values.accuracy, true, m.step);
    } else if (m.phase === 'epoch') {
      if (task === 'mnist') consider('test accuracy', m.values.accuracy, true, step);
      if (task === 'ptb') consider('validation perplexity', m.values.valid, false, step);
    }
  }
  return best;
}

/** The messages of a run that are its curves (kept with its saves). */
export function isCurvePoint(m: FromWorker): m is RunCurves[number] {
  return m.type === 'train-metrics' || (m.type === 'phase-result' && m.phase === 'epoch');
}

/** A run's curves as CSV: one row per point, the step, the epoch, the kind (train / epoch) and every value. */
export function curvesCsv(curves: RunCurves): string {
  const keys: string[] = [];
  for (const m of curves) for (const k of Object.keys(m.values)) if (!keys.includes(k)) keys.push(k);
  const rows = [['step', 'epoch', 'kind', ...keys].join(',')];
  let step = 0;
  for (const m of curves) {
    if (m.type === 'train-metrics') step = m.step;
    const kind = m.type === 'train-metrics' ? 'train' : 'epoch';
    const epoch = m.type === 'train-metrics' ? m.epoch + 1 : m.epoch;
    rows.push([step, epoch, kind, ...keys.map((k) => (m.values[k] === undefined ? '' : String(m.values[k])))].join(','));
  }
  return rows.join('\n') + '\n';
}
