// The benchmark workloads (issue #6): one training step of each model, described once so that rnnlab and
// every peer (TF.js, jax-js) run exactly the same shapes, optimizer and batch.
import { mulberry32 } from '../src/data/batch.ts';

export type WorkloadId = 'mnist-lstm' | 'mnist-rnn' | 'fable-b1' | 'fable-b64' | 'ptb-small';

export type OptimizerSpec =
  | { kind: 'adam'; lr: number; beta1: number; beta2: number; epsilon: number }
  | { kind: 'rmsprop'; lr: number; decay: number; epsilon: number }
  | { kind: 'sgd'; lr: number; clipNorm: number };

export interface WorkloadSpec {
  id: WorkloadId;
  label: string;
  cell: 'lstm' | 'rnn';
  batch: number;
  /** Time steps unrolled per training step. */
  steps: number;
  /**
   * 'dense': each time step is a float vector of `size` (MNIST: one image row; fable original recipe: the word id
   * as one float, size 1). 'embedding': each time step is an integer id in [0, vocab) looked up in a
   * [vocab, size] table that is trained too.
   */
  input: { kind: 'dense'; size: number } | { kind: 'embedding'; vocab: number; size: number };
  hidden: number;
  layers: number;
  /**
   * 'last': the last layer's hidden state at the last time step -> linear -> `classes` logits, softmax
   * cross-entropy averaged over the batch (MNIST, fable).
   * 'every-step': a linear -> `classes` softmax at every time step; loss = sum over time steps of the
   * batch-mean cross-entropy (the PTB tutorial); the final (h, c) of each layer is carried into the next step.
   */
  output: 'last' | 'every-step';
  classes: number;
  optimizer: OptimizerSpec;
  /** Added to the forget-gate bias at init (LSTM only). */
  forgetBias: number;
}

const ADAM = { kind: 'adam', lr: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const;
const RMSPROP = { kind: 'rmsprop', lr: 0.001, decay: 0.9, epsilon: 1e-10 } as const;

export const WORKLOADS: Record<WorkloadId, WorkloadSpec> = {
  'mnist-lstm': {
    id: 'mnist-lstm', label: 'MNIST row-LSTM (B128, T28, I28, H128, Adam)', cell: 'lstm', batch: 128, steps: 28,
    input: { kind: 'dense', size: 28 }, hidden: 128, layers: 1, output: 'last', classes: 10, optimizer: ADAM, forgetBias: 1,
  },
  'mnist-rnn': {
    id: 'mnist-rnn', label: 'MNIST row-RNN tanh (B128, T28, I28, H128, Adam)', cell: 'rnn', batch: 128, steps: 28,
    input: { kind: 'dense', size: 28 }, hidden: 128, layers: 1, output: 'last', classes: 10, optimizer: ADAM, forgetBias: 0,
  },
  'fable-b1': {
    id: 'fable-b1', label: 'Fable 2xLSTM-512, T3, id as float, 112 classes, RMSProp, B1', cell: 'lstm', batch: 1, steps: 3,
    input: { kind: 'dense', size: 1 }, hidden: 512, layers: 2, output: 'last', classes: 112, optimizer: RMSPROP, forgetBias: 1,
  },
  'fable-b64': {
    id: 'fable-b64', label: 'Fable 2xLSTM-512, T3, id as float, 112 classes, RMSProp, B64', cell: 'lstm', batch: 64, steps: 3,
    input: { kind: 'dense', size: 1 }, hidden: 512, layers: 2, output: 'last', classes: 112, optimizer: RMSPROP, forgetBias: 1,
  },
  'ptb-small': {
    id: 'ptb-small', label: 'PTB small (emb 10000x200, 2xLSTM-200, T20, B20, softmax 10000, SGD + clip 5)', cell: 'lstm',
    batch: 20, steps: 20, input: { kind: 'embedding', vocab: 10_000, size: 200 }, hidden: 200, layers: 2,
    output: 'every-step', classes: 10_000, optimizer: { kind: 'sgd', lr: 1, clipNorm: 5 }, forgetBias: 0,
  },
};

/** A tiny version of a workload (same structure, small shapes) for tests of the bench itself. */
export function tinyWorkload(id: WorkloadId): WorkloadSpec {
  const w = WORKLOADS[id];
  const input = w.input.kind === 'dense' ? { kind: 'dense' as const, size: Math.min(w.input.size, 5) } : { kind: 'embedding' as const, vocab: 50, size: 8 };
  return { ...w, label: `${w.label} [tiny]`, batch: Math.min(w.batch, 4), steps: Math.min(w.steps, 4), input, hidden: 8, classes: Math.min(w.classes, 7) };
}

/** Multiply-add FLOPs (x2) of one training step: forward, backward (incl. input gradients of upper layers and the
 *  embedding), weight gradients. Element-wise work is not counted. */
export function workloadFlops(w: WorkloadSpec): number {
  const G = (w.cell === 'lstm' ? 4 : 1) * w.hidden;
  const inSize = w.input.kind === 'dense' ? w.input.size : w.input.size;
  const TB = w.steps * w.batch;
  let macs = 0;
  for (let l = 0; l < w.layers; l++) {
    const I = l === 0 ? inSize : w.hidden;
    macs += TB * (I + w.hidden) * G; // forward: input projection + recurrent product
    macs += TB * w.hidden * G; // backward: recurrent dh
    macs += TB * (I + w.hidden) * G; // weight gradients dWx, dWh
    if (l > 0 || w.input.kind === 'embedding') macs += TB * I * G; // input gradient to the layer below / embedding
  }
  const outRows = w.output === 'last' ? w.batch : TB;
  macs += 3 * outRows * w.hidden * w.classes; // logits, dW, dh
  return 2 * macs;
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), so every implementation can draw the same data. */
export const rng = mulberry32;

/**
 * One fixed batch for a peer: inputs time-major [steps][batch][size] for 'dense' (uniform [0,1); for the fable
 * id-as-float inputs, ids in [0, 112) as floats), or ids [steps][batch] for 'embedding'; targets [batch] ('last') or
 * [steps][batch] ('every-step'). Training repeatedly on it must make the loss fall.
 */
export function fixedBatch(w: WorkloadSpec, seed = 1): { x: Float32Array | Int32Array; y: Int32Array } {
  const r = rng(seed);
  const TB = w.steps * w.batch;
  let x: Float32Array | Int32Array;
  if (w.input.kind === 'dense') {
    x = new Float32Array(TB * w.input.size);
    const idFloat = w.input.size === 1;
    for (let i = 0; i < x.length; i++) x[i] = idFloat ? Math.floor(r() * 112) : r();
  } else {
    x = new Int32Array(TB);
    for (let i = 0; i < x.length; i++) x[i] = Math.floor(r() * w.input.vocab);
  }
  const y = new Int32Array(w.output === 'last' ? w.batch : TB);
  for (let i = 0; i < y.length; i++) y[i] = Math.floor(r() * w.classes);
  return { x, y };
}

/** What a peer implementation gives the bench harness for one workload on one backend. */
export interface PeerRunner {
  /** What ran: library, version, backend, and any way it differs from the spec (say it, don't hide it). */
  readonly note: string;
  /** Runs n training steps back to back on the fixed batch; resolves once the device has finished them. */
  run(n: number): Promise<void>;
  /** The loss of the most recent step (reads it back). */
  lastLoss(): Promise<number>;
  dispose(): Promise<void> | void;
}

export type PeerBackend = 'webgpu' | 'cpu' | 'webgl' | 'wasm';
