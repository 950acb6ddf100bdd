// The fable tutorial's recipes: the original (ids as floats, batch 1, RMSProp) and a fast one (an embedding, 64
// random windows a step, Adam), both a 2-layer LSTM-512 reading three words. Published numbers:
// ../shared/docs/reference-results.md section 2.
import type { OptimizerConfig } from '../nn/optim.ts';
import type { LmConfig } from './lm.ts';

export type FablePresetName = 'original' | 'fast';

export interface FablePreset {
  name: FablePresetName;
  model: Omit<LmConfig, 'vocab'>;
  batch: number;
  optimizer: OptimizerConfig;
  iterations: number;
  /** Metrics are averaged over (and read every) this many iterations: the tutorial's display_step, 1,000. */
  metricsEvery: number;
}

const LSTM_512x2 = { hidden: 512, layers: 2, steps: 3, predict: 'last-step', keepProb: 1, forgetBias: 1 } as const;

export const FABLE_PRESETS: Record<FablePresetName, FablePreset> = {
  // Exactly the tutorial: ids as floats, batch 1, RMSProp 0.001, TF initialisers, the window walk.
  original: {
    name: 'original',
    model: { ...LSTM_512x2, input: 'id-float', init: 'tf-default' },
    batch: 1,
    optimizer: { kind: 'rmsprop', lr: 0.001, decay: 0.9, epsilon: 1e-10 },
    iterations: 50_000,
    metricsEvery: 1000,
  },
  // Same network size; an embedding, 64 random windows per step, Adam.
  fast: {
    name: 'fast',
    model: { ...LSTM_512x2, input: 'embedding', init: 'uniform', initScale: 0.05 },
    batch: 64,
    optimizer: { kind: 'adam', lr: 0.003, clipNorm: 5 },
    iterations: 300,
    metricsEvery: 10,
  },
};
