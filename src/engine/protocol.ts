// The message protocol between the UI and the training worker: two discriminated unions, handled by an
// exhaustive switch on each side. Payloads are plain data (numbers, strings, typed arrays), never GPU objects.
import type { AdapterSummary } from '../gpu/device.ts';
import type { GpuErrorKind } from '../gpu/errors.ts';
import type { LstmTiming } from '../nn/tune.ts';
import type { FablePresetName } from './fable.ts';
import type { PromptResult } from './fablePrompt.ts';
import type { MnistTrainConfig } from './mnist.ts';
import type { PtbConfig } from './ptb.ts';
import type { RunCurves, SavedRun } from './runStore.ts';

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
  | { type: 'ptb-sample'; requestId: number; prompt: string; count: number; temperature: number }
  /** The model in use as a file in PyTorch's layout (answered with 'model-exported'). */
  | { type: 'model-export'; task: Task }
  /** A file in PyTorch's layout becomes the model in use once it passed every check ('model-imported'). */
  | { type: 'model-import'; task: Task; file: NamedFile }
  /** Goes on with a saved run from its last save (loading the built-in data it needs from `baseUrl`). */
  | { type: 'run-resume'; id: string; baseUrl: string }
  /** Runs are saved at least every this many seconds of training (and after each epoch, and when stopped). */
  | { type: 'save-settings'; everySeconds: number };

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

/** Metric values by series name: MNIST and the fable report loss and accuracy, PTB perplexity (since the start
 *  of the epoch, the tutorial's figure), recent (since the previous report), wps and lr. */
export type Metrics = Record<string, number>;

/** What a PTB run will do (its config with the data's vocabulary, and the limits of this run's epochs). */
export interface PtbRunPlan {
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

/** The phases of a run: training, validation after an epoch, the test pass. */
export type Phase = 'train' | 'valid' | 'test';

/**
 * Every message names its task (the app's own: ready, fatal, gradient-check and diagnostics errors, name none);
 * the page routes them by task in one place (taskOf). Run state, progress, metrics, phases and phase results are
 * the same messages for every task.
 */
export type FromWorker =
  | { type: 'ready'; adapter: AdapterSummary }
  /** WebGPU unusable (no adapter, device lost): the app shows it and offers a reload. */
  | { type: 'fatal'; kind: GpuErrorKind; message: string }
  /** Something went wrong in one area; everything else keeps working. */
  | { type: 'error'; scope: 'mnist-data' | 'mnist-train' | 'mnist-inspect' | 'diagnostics' | 'fable' | 'ptb'; message: string }
  | { type: 'gradient-check'; results: KernelCheck[]; seconds: number }
  | { type: 'train-state'; task: Task; state: RunState; message?: string }
  /** `kernels`: the LSTM step-kernel variants the session timed for its shapes (real GPUs only). */
  | { type: 'train-started'; task: Task; epochs: number; stepsPerEpoch: number; dispatchesPerStep: number; batch: number; gpuBytes: number; parameters: number; kernels: LstmTiming[]; ptb?: PtbRunPlan }
  /** Metrics since the previous report; `step` counts every training step of the run. */
  | { type: 'train-metrics'; task: Task; step: number; epoch: number; epochStep: number; values: Metrics }
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
  /** A phase starts; `from`: the step it goes on from (a run resumed inside an epoch), else 0. */
  | { type: 'phase'; task: Task; phase: Phase; epoch: number; from: number }
  | { type: 'phase-progress'; task: Task; phase: 'valid' | 'test'; step: number; total: number }
  /**
   * A phase's result: 'epoch' after each epoch (1-based `epoch`; MNIST: accuracy and loss on the test set; PTB:
   * train and valid perplexity, lr, wps, trainSteps, validSteps), 'test' for a test pass (PTB: perplexity; MNIST's
   * Evaluate: accuracy and loss). `steps` of `total` windows or examples; `partial` when fewer than all.
   */
  | { type: 'phase-result'; task: Task; phase: 'epoch' | 'test'; epoch: number; values: Metrics; seconds: number; steps?: number; total?: number; partial?: boolean }
  | { type: 'phase-cancelled'; task: Task; phase: 'test'; reason: 'stopped' | 'failed' }
  | { type: 'mnist-load-progress'; task: 'mnist'; file: string; loaded: number; total: number }
  | { type: 'mnist-loaded'; task: 'mnist'; source: 'builtin' | 'files'; train: number; test: number }
  | {
      type: 'mnist-inspection';
      task: 'mnist';
      requestId: number;
      trained: boolean;
      cell: 'lstm' | 'rnn' | null;
      probs: Float32Array;
      hidden: Float32Array;
      gates: { input: Float32Array; forget: Float32Array; output: Float32Array } | null;
      hiddenSize: number;
    }
  | { type: 'mnist-test-image'; task: 'mnist'; requestId: number; index: number; image: Float32Array; label: number }
  | {
      type: 'fable-ready';
      task: 'fable';
      name: string;
      tokens: number;
      vocab: string[];
      /** Words mapped to <unk> when the vocabulary was capped (0 when it fits). */
      unkCount: number;
      maxVocab: number | null;
      weights: FableWeightsInfo;
    }
  | { type: 'fable-weights'; task: 'fable'; weights: FableWeightsInfo }
  /** `candidates`: the most likely words after the prompt with their probabilities at the request's temperature
   *  (the model's own distribution when greedy). */
  | { type: 'fable-generated'; task: 'fable'; requestId: number; prompt: PromptResult; words: string[]; temperature: number; candidates: { word: string; p: number }[] }
  /** Files accepted so far; `missing` are still needed before the data can be used. */
  | { type: 'ptb-files'; task: 'ptb'; staged: Partial<Record<PtbSplitName, string>>; missing: PtbSplitName[] }
  | { type: 'ptb-loaded'; task: 'ptb'; data: PtbDataInfo }
  | { type: 'ptb-sampled'; task: 'ptb'; requestId: number; prompt: string[]; unknown: string[]; words: string[] }
  /** `name`: the file name to save it as (`<task>-<config>.safetensors`). */
  | { type: 'model-exported'; task: Task; name: string; bytes: ArrayBuffer }
  /** The imported model is the one in use (`description`: what it is). */
  | { type: 'model-imported'; task: Task; name: string; description: string }
  /** An export or import that failed (the model in use is unchanged); the message names the file and tensor. */
  | { type: 'model-file-error'; task: Task; action: 'export' | 'import'; message: string }
  /** A run's save was written (or its record changed: its state at the end). */
  | { type: 'run-saved'; task: Task; run: SavedRun }
  /** A save the browser refused (full or denied): training goes on, the earlier save of the run is kept. */
  | { type: 'run-save-error'; task: Task; kind: 'full' | 'denied' | 'failed' | 'deleted'; message: string }
  /** A resumed run's curves up to its save (the page replays them, then the new points follow). */
  | { type: 'train-history'; task: Task; run: SavedRun; curves: RunCurves }
  /** The GPU device was lost and replaced by a new one; the runs that were training go on from their saves. */
  | { type: 'device-recovered'; message: string; resumed: { task: Task; name: string; fromStep: number; redone: number }[] };

/** The task a message belongs to (null: the app's own), by which the page routes it: the one place that decides. */
export function taskOf(msg: FromWorker): Task | null {
  if ('task' in msg) return msg.task;
  if (msg.type !== 'error') return null;
  switch (msg.scope) {
    case 'mnist-data':
    case 'mnist-train':
    case 'mnist-inspect':
      return 'mnist';
    case 'fable':
    case 'ptb':
      return msg.scope;
    case 'diagnostics':
      return null;
  }
}
