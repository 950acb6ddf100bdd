// What the Runs panel says of a saved run, from its start and its curves: the one-line summary, the best value of
// the task's headline metric (an epoch's figure outranks the training figures), and the CSV of its curves.
import { describe, expect, it } from 'vitest';
import { defaultMnistConfig } from '../src/engine/mnist.ts';
import type { FromWorker } from '../src/engine/protocol.ts';
import { PTB_CONFIGS } from '../src/engine/ptb.ts';
import { bestMetric, curvesCsv, defaultRunName, isCurvePoint, runSummary } from '../src/engine/runStart.ts';
import { storageError, StorageError, type RunCurves } from '../src/engine/runStore.ts';

const train = (task: 'mnist' | 'fable' | 'ptb', step: number, values: Record<string, number>): RunCurves[number] => ({ type: 'train-metrics', task, step, epoch: 0, epochStep: step, values });
const epoch = (task: 'mnist' | 'ptb', e: number, values: Record<string, number>): RunCurves[number] => ({ type: 'phase-result', task, phase: 'epoch', epoch: e, values, seconds: 1 });

describe('saved runs: summary, best figure, CSV', () => {
  it('summarises each task in one line and names a run by task, model and time', () => {
    expect(runSummary({ task: 'mnist', config: defaultMnistConfig('rnn') })).toBe('RNN 128, batch 128, adam lr 0.001, 5 epochs');
    expect(runSummary({ task: 'fable', preset: 'fast', iterations: 3000 })).toBe('2-layer LSTM, fast preset, 3,000 iterations');
    const ptb = runSummary({ task: 'ptb', config: PTB_CONFIGS.small, options: { stepLimit: 100, validLimit: null, testLimit: null, reportEvery: null, seed: 1 } });
    expect(ptb).toBe('small: 2x200 LSTM, 20 steps x batch 20, 13 epochs, keep 1, 100 steps/epoch');
    expect(defaultRunName({ task: 'mnist', config: defaultMnistConfig('lstm') }, new Date(2026, 10, 29, 23, 41))).toBe('MNIST LSTM 29 Nov, 23:41');
  });

  it("takes the best epoch figure over any training figure, and the training figure before the first epoch", () => {
    const early: RunCurves = [train('mnist', 10, { loss: 2, accuracy: 0.3 }), train('mnist', 20, { loss: 1, accuracy: 0.6 }), train('mnist', 30, { loss: NaN, accuracy: NaN })];
    expect(bestMetric('mnist', early)).toEqual({ name: 'training accuracy', value: 0.6, higherIsBetter: true, step: 20 });
    const later: RunCurves = [...early, epoch('mnist', 1, { accuracy: 0.5, loss: 1 }), train('mnist', 40, { loss: 0.5, accuracy: 0.9 }), epoch('mnist', 2, { accuracy: 0.7, loss: 0.8 })];
    expect(bestMetric('mnist', later)).toEqual({ name: 'test accuracy', value: 0.7, higherIsBetter: true, step: 40 });
    const ptb: RunCurves = [train('ptb', 5, { perplexity: 900, recent: 900 }), epoch('ptb', 1, { train: 400, valid: 300 }), epoch('ptb', 2, { train: 200, valid: 310 })];
    expect(bestMetric('ptb', ptb)).toMatchObject({ name: 'validation perplexity', value: 300, higherIsBetter: false });
    expect(bestMetric('fable', [])).toBeNull();
  });

  it('writes every point as a CSV row: step, epoch, kind and each value', () => {
    const curves: RunCurves = [train('mnist', 10, { loss: 2.5, accuracy: 0.25 }), epoch('mnist', 1, { accuracy: 0.5, loss: 1.25 })];
    expect(curvesCsv(curves)).toBe('step,epoch,kind,loss,accuracy\n10,1,train,2.5,0.25\n10,1,epoch,1.25,0.5\n');
    const progress: FromWorker = { type: 'train-progress', task: 'mnist', step: 1, epoch: 0, epochStep: 1, stepsPerEpoch: 9, stepsPerSecond: 1, samplesPerSecond: 1, secondsLeft: 1 };
    expect(isCurvePoint(progress)).toBe(false);
    expect(isCurvePoint(curves[0]!)).toBe(true);
  });
});

describe('saved runs: what the browser says when it refuses a save', () => {
  it('a full quota, storage denied and a failed write each get their own message, naming the save', () => {
    const full = storageError(new DOMException('', 'QuotaExceededError'), 'the save of "run" at step 40');
    expect(full).toBeInstanceOf(StorageError);
    expect(full.kind).toBe('full');
    expect(full.message).toMatch(/storage for this site is full: the save of "run" at step 40 was not written, the earlier saves are kept/);
    const denied = storageError(new DOMException('The user denied permission to access the database.', 'UnknownError'), 'the runs database', true);
    expect(denied.kind).toBe('denied');
    expect(denied.message).toMatch(/refused to store the runs database \(UnknownError: The user denied permission/);
    expect(denied.message).toContain('training goes on unsaved');
    const failed = storageError(new DOMException('', 'InvalidStateError'), 'the save of "run" at step 40');
    expect(failed.kind).toBe('failed');
    expect(failed.message).toBe('The browser could not write the save of "run" at step 40 (InvalidStateError: no details); the earlier saves are kept and the next save tries again.');
  });
});
