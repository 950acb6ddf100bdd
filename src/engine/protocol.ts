// The message protocol between the UI and the training worker: two discriminated unions, handled by an
// exhaustive switch on each side. Payloads are plain data (numbers, strings, typed arrays), never GPU objects.
import type { AdapterSummary } from '../gpu/device.ts';
import type { GpuErrorKind } from '../gpu/errors.ts';
import type { FablePresetName } from './fable.ts';
import type { PromptResult } from './fablePrompt.ts';
import type { MnistTrainConfig } from './mnist.ts';
import type { PtbConfig } from './ptb.ts';

export type Task = 'mnist' | 'fable' | 'ptb';

/** The name of the fable's own text (the one the shipped weights are for). */
export const FABLE_TITLE = 'Belling the Cat (Aesop)';

export interface NamedFile {
  name: string;
  bytes: ArrayBuffer;
}

export type ToWorker =
  | { type: 'mnist-load-builtin'; baseUrl: string }
  | { type: 'mnist-load-files'; files: NamedFile[] }
  | { type: 'mnist-train'; config: MnistTrainConfig }
  | { type: 'mnist-inspect'; requestId: number; image: Float32Array }
  | { type: 'mnist-test-image'; requestId: number; index: number }
  /** Test accuracy of the model in use on the full test set, now (answered with 'evaluated'). */
  | { type: 'mnist-evaluate' }
  | { type: 'pause'; task: Task }
  | { type: 'resume'; task: Task }
  | { type: 'stop'; task: Task }
  | { type: 'check-gradients' }
  /** Diagnostics: destroys the device so the app's handling of a lost GPU can be seen (and tested). */
  | { type: 'simulate-device-loss' }
  | { type: 'fable-load-builtin'; baseUrl: string }
  | { type: 'fable-load-text'; name: string; text: string; maxVocab: number }
  | { type: 'fable-train'; preset: FablePresetName; iterations: number }
  /** Puts the weights shipped with the app back in use (after a training run replaced them). */
  | { type: 'fable-restore-shipped' }
  | { type: 'fable-generate'; requestId: number; input: string; count: number; temperature: number }
  /** PTB files by name (train / valid / test in the name); one, two or all three at a time. */
  | { type: 'ptb-load-files'; files: NamedFile[] }
  | { type: 'ptb-train'; config: PtbConfig; options: PtbRunOptions }
  /** Test perplexity of the current model (batch 1, one step per window); `limit`: first windows only. */
  | { type: 'ptb-evaluate-test'; limit: number | null }
  | { type: 'ptb-sample'; requestId: number; prompt: string; count: number; temperature: number };

export type PtbSplitName = 'train' | 'valid' | 'test';

/** Run options beside the tutorial's hyperparameters (null: the default). */
export interface PtbRunOptions {
  /** Training steps per epoch (default: the full epoch). */
  stepLimit: number | null;
  /** Validation windows per epoch (default: all). */
  validLimit: number | null;
  /** Test windows at the end (default: all). */
  testLimit: number | null;
  /** Steps between training perplexity reports (default: about 100 reports per epoch). */
  reportEvery: number | null;
  seed: number;
}

/** The PTB data the worker holds (after all three files were accepted). */
export interface PtbDataInfo {
  files: Record<PtbSplitName, string>;
  /** Tokens per split, <eos> included. */
  tokens: Record<PtbSplitName, number>;
  vocabSize: number;
  /** valid / test words outside the train vocabulary, mapped to <unk>. */
  oov: { valid: number; test: number };
}

/** Which weights the playground uses now. */
export interface FableWeightsInfo {
  kind: 'shipped' | 'trained' | 'untrained';
  description: string;
}

export type RunState = 'idle' | 'preparing' | 'running' | 'paused' | 'stopped' | 'done' | 'diverged' | 'failed';

export interface KernelCheck {
  kernel: string;
  /** Worst relative error of the analytic gradient against central finite differences on this GPU. */
  worstRelError: number;
  tolerance: number;
  ok: boolean;
  checked: number;
}

export type FromWorker =
  | { type: 'ready'; adapter: AdapterSummary }
  /** WebGPU unusable (no adapter, device lost): the app shows it and offers a reload. */
  | { type: 'fatal'; kind: GpuErrorKind; message: string }
  /** Something went wrong in one area; everything else keeps working. */
  | { type: 'error'; scope: 'mnist-data' | 'mnist-train' | 'mnist-inspect' | 'diagnostics' | 'fable' | 'ptb'; message: string }
  | { type: 'mnist-load-progress'; file: string; loaded: number; total: number }
  | { type: 'mnist-loaded'; source: 'builtin' | 'files'; train: number; test: number }
  | { type: 'train-state'; task: Task; state: RunState; message?: string }
  | { type: 'train-started'; task: Task; epochs: number; stepsPerEpoch: number; dispatchesPerStep: number; batch: number; gpuBytes: number }
  | { type: 'train-metrics'; task: Task; step: number; epoch: number; loss: number; accuracy: number }
  | {
      type: 'train-progress';
      task: Task;
      step: number;
      epoch: number;
      epochStep: number;
      stepsPerEpoch: number;
      stepsPerSecond: number;
      samplesPerSecond: number;
      secondsLeft: number;
    }
  | { type: 'train-epoch'; task: Task; epoch: number; testAccuracy: number; testLoss: number; seconds: number }
  /** A phase result asked for outside the run's own schedule: metrics of a split, over `rows` examples. */
  | { type: 'evaluated'; task: Task; split: 'valid' | 'test'; metrics: Record<string, number>; rows: number; seconds: number }
  | {
      type: 'mnist-inspection';
      requestId: number;
      trained: boolean;
      cell: 'lstm' | 'rnn' | null;
      probs: Float32Array;
      hidden: Float32Array;
      gates: { input: Float32Array; forget: Float32Array; output: Float32Array } | null;
      hiddenSize: number;
    }
  | { type: 'mnist-test-image'; requestId: number; index: number; image: Float32Array; label: number }
  | { type: 'gradient-check'; results: KernelCheck[]; seconds: number }
  | {
      type: 'fable-ready';
      name: string;
      tokens: number;
      vocab: string[];
      /** Words mapped to <unk> when the vocabulary was capped (0 when it fits). */
      unkCount: number;
      maxVocab: number | null;
      weights: FableWeightsInfo;
    }
  | { type: 'fable-weights'; weights: FableWeightsInfo }
  | { type: 'fable-generated'; requestId: number; prompt: PromptResult; words: string[] }
  /** Files accepted so far; `missing` are still needed before the data can be used. */
  | { type: 'ptb-files'; staged: Partial<Record<PtbSplitName, string>>; missing: PtbSplitName[] }
  | { type: 'ptb-loaded'; data: PtbDataInfo }
  | {
      type: 'ptb-started';
      config: PtbConfig;
      /** Windows of a full training epoch, and of the epochs of this run (the step limit applied). */
      fullStepsPerEpoch: number;
      stepsPerEpoch: number;
      fullValidSteps: number;
      validSteps: number;
      fullTestSteps: number;
      reportEvery: number;
      /** 0-based epoch the run starts at. */
      firstEpoch: number;
    }
  /** Training perplexity: `perplexity` since the start of the epoch (the tutorial's figure), `recent` since the
   *  previous report. `step` counts every training step of the run. */
  | { type: 'ptb-metrics'; step: number; epoch: number; epochStep: number; perplexity: number; recentPerplexity: number; wps: number; lr: number }
  | { type: 'ptb-phase'; phase: 'train' | 'valid' | 'test'; epoch: number }
  | { type: 'ptb-eval-progress'; split: 'valid' | 'test'; step: number; total: number }
  /** One finished epoch (1-based `epoch`). */
  | {
      type: 'ptb-epoch';
      epoch: number;
      trainPerplexity: number;
      validPerplexity: number;
      lr: number;
      seconds: number;
      wps: number;
      trainSteps: number;
      validSteps: number;
      /** Fewer windows than the full epoch / validation set. */
      partial: boolean;
    }
  | { type: 'ptb-test'; perplexity: number; steps: number; total: number; partial: boolean; seconds: number }
  | { type: 'ptb-test-cancelled'; reason: 'stopped' | 'failed' }
  | { type: 'ptb-sampled'; requestId: number; prompt: string[]; unknown: string[]; words: string[] };
