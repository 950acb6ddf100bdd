// MNIST row by row: the training recipe (../shared/docs/reference-results.md section 1) and its limits.
import type { OptimizerConfig } from '../nn/optim.ts';
import type { ClassifierConfig } from './classifier.ts';
import { ConfigError } from './errors.ts';

export interface MnistTrainConfig {
  model: ClassifierConfig;
  batch: number;
  epochs: number;
  optimizer: OptimizerConfig;
  seed: number;
  /** Read loss/accuracy every this many steps (asynchronously). */
  metricsEvery: number;
  evalBatch: number;
}

export function defaultMnistConfig(cell: 'lstm' | 'rnn' = 'lstm'): MnistTrainConfig {
  return {
    model: { cell, hidden: 128, steps: 28, inputSize: 28, classes: 10, forgetBias: cell === 'lstm' ? 1 : 0 },
    batch: 128,
    epochs: cell === 'lstm' ? 3 : 5,
    optimizer: { kind: 'adam', lr: 0.001 },
    seed: 1,
    metricsEvery: 10,
    evalBatch: 1000,
  };
}

export function validateConfig(c: MnistTrainConfig): void {
  const bad = (what: string) => {
    throw new ConfigError(what);
  };
  const int = (v: number, lo: number, hi: number, name: string) => {
    if (!Number.isInteger(v) || v < lo || v > hi) bad(`${name} must be a whole number from ${lo} to ${hi} (got ${v}).`);
  };
  int(c.model.hidden, 1, 2048, 'Hidden size');
  int(c.batch, 1, 4096, 'Batch size');
  int(c.epochs, 1, 100, 'Epochs');
  if (!(c.optimizer.lr > 0 && c.optimizer.lr <= 10)) bad(`Learning rate must be a number above 0 and at most 10 (got ${c.optimizer.lr}).`);
}
