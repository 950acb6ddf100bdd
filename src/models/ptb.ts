// The Penn TreeBank recipes (the TensorFlow tutorial ptb_word_lm.py's config classes, field for field), their
// learning-rate schedule, dropout seeds and the model each describes. Published numbers:
// ../shared/docs/reference-results.md section 3.
import { ConfigError } from './errors.ts';
import type { LmConfig } from './lm.ts';

export type PtbConfigName = 'test' | 'small' | 'medium' | 'large';

/** The tutorial's config classes, field for field. */
export interface PtbConfig {
  name: string;
  /** Every variable U(±init_scale), embedding and softmax included. */
  initScale: number;
  learningRate: number;
  /** Global-norm clip of the gradients. */
  maxGradNorm: number;
  numLayers: number;
  numSteps: number;
  /** LSTM size = embedding size. */
  hiddenSize: number;
  /** Epochs at the full learning rate. */
  maxEpoch: number;
  /** Epochs in all. */
  maxMaxEpoch: number;
  /** Dropout keep probability on the embeddings and on each layer's output (1: none). */
  keepProb: number;
  lrDecay: number;
  batchSize: number;
  vocabSize: number;
}

export const PTB_CONFIGS: Record<PtbConfigName, PtbConfig> = {
  // The tutorial's TestConfig.
  test: {
    name: 'test', initScale: 0.1, learningRate: 1.0, maxGradNorm: 1, numLayers: 1, numSteps: 2, hiddenSize: 2,
    maxEpoch: 1, maxMaxEpoch: 1, keepProb: 1.0, lrDecay: 0.5, batchSize: 20, vocabSize: 10000,
  },
  small: {
    name: 'small', initScale: 0.1, learningRate: 1.0, maxGradNorm: 5, numLayers: 2, numSteps: 20, hiddenSize: 200,
    maxEpoch: 4, maxMaxEpoch: 13, keepProb: 1.0, lrDecay: 0.5, batchSize: 20, vocabSize: 10000,
  },
  medium: {
    name: 'medium', initScale: 0.05, learningRate: 1.0, maxGradNorm: 5, numLayers: 2, numSteps: 35, hiddenSize: 650,
    maxEpoch: 6, maxMaxEpoch: 39, keepProb: 0.5, lrDecay: 0.8, batchSize: 20, vocabSize: 10000,
  },
  large: {
    name: 'large', initScale: 0.04, learningRate: 1.0, maxGradNorm: 10, numLayers: 2, numSteps: 35, hiddenSize: 1500,
    maxEpoch: 14, maxMaxEpoch: 55, keepProb: 0.35, lrDecay: 1 / 1.15, batchSize: 20, vocabSize: 10000,
  },
};

/** lr for 0-based epoch i: learning_rate * lr_decay ** max(i + 1 - max_epoch, 0). */
export function ptbLearningRate(c: PtbConfig, epoch: number): number {
  return c.learningRate * c.lrDecay ** Math.max(epoch + 1 - c.maxEpoch, 0);
}

/** The dropout seed of a training step (global step index from 0), written into the seed tensor before it. */
export function ptbDropoutSeed(sessionSeed: number, globalStep: number): number {
  return (Math.imul(sessionSeed >>> 0, 0x9e3779b1) + globalStep + 1) >>> 0;
}

/** The model of a config (the embedding size is the hidden size; forget bias 0; uniform init). */
export function ptbModel(c: PtbConfig, steps = c.numSteps): LmConfig {
  return {
    vocab: c.vocabSize, hidden: c.hiddenSize, layers: c.numLayers, steps, input: 'embedding', predict: 'every-step',
    keepProb: c.keepProb, forgetBias: 0, init: 'uniform', initScale: c.initScale,
  };
}

export function validatePtbConfig(c: PtbConfig): void {
  const int = (v: number, lo: number, hi: number, name: string) => {
    if (!Number.isInteger(v) || v < lo || v > hi) throw new ConfigError(`${name} must be a whole number from ${lo} to ${hi} (got ${v}).`);
  };
  int(c.numLayers, 1, 8, 'Layers');
  int(c.hiddenSize, 1, 4096, 'Hidden size');
  int(c.numSteps, 1, 512, 'Steps');
  int(c.batchSize, 1, 1024, 'Batch size');
  int(c.vocabSize, 2, 1 << 20, 'Vocabulary size');
  int(c.maxEpoch, 0, 10_000, 'max_epoch');
  int(c.maxMaxEpoch, 1, 10_000, 'max_max_epoch');
  if (!(c.keepProb > 0 && c.keepProb <= 1)) throw new ConfigError(`keep_prob must be above 0 and at most 1 (got ${c.keepProb}).`);
  if (!(c.learningRate > 0 && c.learningRate <= 100)) throw new ConfigError(`Learning rate must be above 0 and at most 100 (got ${c.learningRate}).`);
  if (!(c.maxGradNorm > 0)) throw new ConfigError(`max_grad_norm must be above 0 (got ${c.maxGradNorm}).`);
  if (!(c.initScale > 0)) throw new ConfigError(`init_scale must be above 0 (got ${c.initScale}).`);
  if (!(c.lrDecay > 0 && c.lrDecay <= 1)) throw new ConfigError(`lr_decay must be above 0 and at most 1 (got ${c.lrDecay}).`);
}
