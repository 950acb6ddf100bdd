// MNIST row by row: the data on the GPU, the training step, the test-set evaluation and single-image
// inference (with the hidden states and gates for the "inside the network" view).
// Runs wherever a GPUDevice exists: the training Web Worker, or Node (npm run train).
import type { MnistData } from '../data/idx.ts';
import { permutation } from '../data/batch.ts';
import { DataError } from '../data/errors.ts';
import { fingerprintIds, readFingerprint } from '../data/fingerprint.ts';
import { decodeSafetensors, encodeSafetensors, metadataReader } from '../data/safetensors.ts';
import { Program, type CompiledProgram } from '../gpu/program.ts';
import { download, submitPrograms, upload } from '../gpu/runner.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { classifierForward, classifierParams } from '../models/classifier.ts';
import { recordImageBatch, uploadImageSet, type GpuImageSet } from '../nn/data.ts';
import { probabilities, recordLoss, recordTrainingStep } from '../models/step.ts';
import { Graph } from '../nn/graph.ts';
import { checkTensors, splitMoments, withMoments } from './checkpoint.ts';
import type { RunControl } from './control.ts';
import { validateConfig, type MnistTrainConfig } from '../models/mnist.ts';
import type { LoopResult } from './loop.ts';
import { Session } from './session.ts';

export { defaultMnistConfig, validateConfig, type MnistTrainConfig } from '../models/mnist.ts';

/** Everything a training run needs to go on exactly where it stopped. */
export interface MnistCheckpoint {
  config: MnistTrainConfig;
  /** 0-based epoch being trained, and the steps of it done. */
  epoch: number;
  epochStep: number;
  globalStep: number;
  optimizerStep: number;
  /** Fingerprint of the training images and labels. */
  data: string;
  weights: Record<string, Float32Array>;
  moments: { m?: Float32Array; v?: Float32Array };
  /** The run's own record kept with the state. */
  notes: Record<string, string>;
}

const CHECKPOINT_KIND = 'rnnlab mnist training checkpoint';

export function encodeMnistCheckpoint(c: MnistCheckpoint): Uint8Array {
  const tensors = withMoments(c.weights, c.moments);
  return encodeSafetensors(tensors, {
    kind: CHECKPOINT_KIND,
    config: JSON.stringify(c.config),
    epoch: String(c.epoch),
    epochStep: String(c.epochStep),
    globalStep: String(c.globalStep),
    optimizerStep: String(c.optimizerStep),
    data: c.data,
    notes: JSON.stringify(c.notes),
  });
}

export function decodeMnistCheckpoint(bytes: Uint8Array, name = 'checkpoint'): MnistCheckpoint {
  const st = decodeSafetensors(bytes, name);
  const meta = st.metadata;
  if (meta.kind !== CHECKPOINT_KIND) throw new DataError(name, `not an MNIST training checkpoint (kind: ${meta.kind ?? 'none'})`);
  const { int, json, stringMap } = metadataReader(meta, name);
  const config = json<MnistTrainConfig>('config');
  try {
    validateConfig(config);
  } catch (e) {
    throw new DataError(name, `config: ${(e as Error).message} (a damaged checkpoint)`);
  }
  const { weights, moments } = splitMoments(st.tensors);
  return {
    config, epoch: int('epoch'), epochStep: int('epochStep'), globalStep: int('globalStep'), optimizerStep: int('optimizerStep'),
    data: readFingerprint(meta, name), weights, moments, notes: stringMap('notes', '{}'),
  };
}

/** The fingerprint of a training set's images and labels (kept in checkpoints and saved runs). */
export function mnistFingerprint(train: { pixels: ArrayLike<number>; labels: ArrayLike<number> }): string {
  return `pixels=${fingerprintIds(train.pixels)} labels=${fingerprintIds(train.labels)}`;
}

export interface StepMetrics {
  step: number;
  epoch: number;
  /** Mean loss and accuracy over the steps since the previous report. */
  loss: number;
  accuracy: number;
  samples: number;
}

export interface Inspection {
  probs: Float32Array;
  /** [T][H] hidden state after each row */
  hidden: Float32Array;
  /** LSTM only: [T][H] input, forget and output gates */
  gates?: { input: Float32Array; forget: Float32Array; output: Float32Array };
}

export class MnistSession extends Session {
  private readonly train?: GpuImageSet;
  private readonly test?: GpuImageSet;
  private readonly perm: Tensor;
  private readonly stepOffset: Tensor;
  private readonly metrics: Tensor;
  private readonly evalMetrics: Tensor;
  private readonly evalPerm: Tensor;
  private trainStep!: CompiledProgram;
  private evalStep!: CompiledProgram;
  private infer!: { program: CompiledProgram; x: Tensor; logits: Tensor; Hs: Tensor; G?: Tensor };
  readonly stepsPerEpoch: number;
  /** The host copy of the training set (its fingerprint goes into checkpoints). */
  private readonly trainData: MnistData['train'] | null;
  globalStep = 0;
  epoch = 0;

  /** `data` null: a model for inference only (the untrained network before any data is loaded). */
  private constructor(device: GPUDevice, data: MnistData | null, readonly config: MnistTrainConfig) {
    validateConfig(config);
    super(device, 'mnist', classifierParams(config.model), config.seed, config.optimizer);
    const c = config.model;
    const setup = this.setup;
    if (data) {
      this.train = uploadImageSet(setup, data.train.pixels, data.train.labels, c.inputSize, c.steps, 'mnist.train');
      this.test = uploadImageSet(setup, data.test.pixels, data.test.labels, c.inputSize, c.steps, 'mnist.test');
    }
    this.perm = setup.persistent([this.train?.count ?? 1], 'mnist.perm', 'u32');
    this.evalPerm = setup.persistent([this.test?.count ?? 1], 'mnist.evalPerm', 'u32');
    if (this.test) upload(device, this.evalPerm, Uint32Array.from({ length: this.test.count }, (_, i) => i));
    this.stepOffset = setup.persistent([4], 'mnist.step', 'u32');
    this.metrics = setup.persistent([4], 'mnist.metrics');
    this.evalMetrics = setup.persistent([4], 'mnist.evalMetrics');
    this.stepsPerEpoch = Math.floor((this.train?.count ?? 0) / config.batch);
    this.trainData = data?.train ?? null;
  }

  /** Builds a session; a model too big for the device, or out of memory, throws a GpuError after freeing what
   *  was made (whatever the caller had stays as it was). */
  static create(device: GPUDevice, data: MnistData | null, config: MnistTrainConfig): Promise<MnistSession> {
    const H = config.model.hidden;
    return Session.open(
      device, 'Building the MNIST model', () => new MnistSession(device, data, config),
      () => (config.model.cell === 'lstm' ? [[config.batch, H], [config.evalBatch, H]] : []),
      (s) => s.build(),
    );
  }

  /** Whether the session holds the data to train and evaluate (an inference-only session does not). */
  get hasData(): boolean {
    return this.train !== undefined;
  }

  get testCount(): number {
    return this.test?.count ?? 0;
  }

  private async build(): Promise<void> {
    const { model: c, batch: B, evalBatch: E } = this.config;
    const device = this.device;

    await this.buildInference();
    if (!this.train || !this.test) return;
    const p = new Program(device, 'mnist train step');
    const g = new Graph(p);
    const X = p.transient([c.steps * B, c.inputSize], 'X');
    const labels = p.transient([B], 'labels', 'u32');
    recordImageBatch(p, this.train, this.perm, this.stepOffset, B, X, labels);
    const { logits } = classifierForward(g, this.params.values(g), g.value(X), c, B);
    recordTrainingStep(g, logits, g.value(labels), { scale: 1 / B, metrics: this.metrics }, this.optimizer);
    this.trainStep = await this.own(p);
    this.dispatchesPerStep = this.trainStep.dispatchCount;

    const e = new Program(device, 'mnist eval batch');
    const ge = new Graph(e);
    const Xe = e.transient([c.steps * E, c.inputSize], 'Xe');
    const le = e.transient([E], 'labels', 'u32');
    recordImageBatch(e, this.test, this.evalPerm, this.stepOffset, E, Xe, le);
    const out = classifierForward(ge, this.params.values(ge), ge.value(Xe), c, E);
    recordLoss(ge, out.logits, ge.value(le), { scale: 1, metrics: this.evalMetrics });
    this.evalStep = await this.own(e);
  }

  private async buildInference(): Promise<void> {
    const c = this.config.model;
    const q = new Program(this.device, 'mnist inference');
    const gq = new Graph(q);
    const x = q.persistent([c.steps, c.inputSize], 'drawn digit');
    const r = classifierForward(gq, this.params.values(gq), gq.value(x), c, 1);
    const saved = gq.savedOf(r.hs);
    q.keep(r.logits.tensor);
    q.keep(saved.Hs);
    if (saved.G) q.keep(saved.G);
    this.infer = { program: await this.own(q), x, logits: r.logits.tensor, Hs: saved.Hs, G: saved.G };
  }

  /** Trains one epoch (or its first `limit` steps). `onMetrics` is called asynchronously as readbacks arrive;
   *  nothing ever waits for them inside a step. A non-finite loss ends the epoch (`diverged`). */
  /** Steps `from` .. `limit` of the current epoch (from: the steps already done, e.g. after a checkpoint). */
  async trainEpoch(control: RunControl, onMetrics: (m: StepMetrics) => void, onStep?: (step: number) => void, limit = this.stepsPerEpoch, from = 0, cut?: () => boolean): Promise<LoopResult> {
    if (!this.train) throw new Error('no training data loaded');
    const device = this.device;
    const B = this.config.batch;
    upload(device, this.perm, permutation(this.train.count, this.config.seed * 1000 + this.epoch));
    const epoch = this.epoch;
    const step0 = this.globalStep - from;
    const offset = new Uint32Array(4);
    const r = await this.loop({
      label: 'mnist step',
      program: this.trainStep,
      metrics: this.metrics,
      first: from,
      steps: Math.min(limit, this.stepsPerEpoch),
      control,
      prepare: (s) => {
        offset[0] = s * B;
        upload(device, this.stepOffset, offset);
        this.optimizer.prepareStep();
        this.globalStep++;
      },
      readAfter: (s) => (s + 1) % this.config.metricsEvery === 0,
      onRead: (upTo, m) => onMetrics({ step: step0 + upTo, epoch, loss: m.loss / m.rows, accuracy: m.correct / m.rows, samples: m.rows }),
      onStep,
      cut,
    });
    // the epoch is done when its last step is (a run stopped, or trained in pieces, goes on from epochStep)
    const end = Math.min(limit, this.stepsPerEpoch);
    if (r.completed && end === this.stepsPerEpoch) {
      this.epoch++;
      this.epochStep = 0;
    } else this.epochStep = from + r.steps;
    return r;
  }

  /** Steps of the current epoch done (0 between epochs): where a checkpoint taken now goes on. */
  epochStep = 0;

  /** The whole training state between steps (nothing in flight: call between trainEpoch calls). */
  async checkpoint(notes: Record<string, string> = {}): Promise<MnistCheckpoint> {
    if (!this.train) throw new Error('no training data loaded');
    const { weights, moments } = await this.params.exportState(); // one readback
    return {
      config: structuredClone(this.config),
      epoch: this.epoch,
      epochStep: this.epochStep,
      globalStep: this.globalStep,
      optimizerStep: this.optimizer.step,
      data: this.dataFingerprint,
      weights,
      moments,
      notes,
    };
  }

  /**
   * Goes on from a checkpoint of the same config and data: training continues exactly as it would have (the
   * batch order of an epoch is a function of the seed and the epoch). Anything else, or a position the run could
   * not have reached, is a DataError naming the file (`name`).
   */
  restore(c: MnistCheckpoint, name = 'checkpoint'): void {
    const refuse = (why: string) => new DataError(name, why);
    const recipe = (x: MnistTrainConfig) => JSON.stringify({ ...x, epochs: 0 });
    if (recipe(c.config) !== recipe(this.config)) throw refuse('is a run of another configuration (cell, sizes, learning rate, batch or seed differ)');
    if (c.data !== this.dataFingerprint) throw refuse(`was trained on other data (${c.data}; this data: ${this.dataFingerprint})`);
    if (!(Number.isInteger(c.epochStep) && c.epochStep >= 0 && c.epochStep < this.stepsPerEpoch)) throw refuse(`step ${c.epochStep} is not inside an epoch of ${this.stepsPerEpoch} steps: a damaged checkpoint`);
    if (!(Number.isInteger(c.epoch) && c.epoch >= 0 && c.globalStep === c.epoch * this.stepsPerEpoch + c.epochStep)) {
      throw refuse(`globalStep ${c.globalStep} is not epoch ${c.epoch} x ${this.stepsPerEpoch} + ${c.epochStep}: a damaged checkpoint`);
    }
    if (c.optimizerStep !== c.globalStep) throw refuse(`optimizerStep ${c.optimizerStep} differs from globalStep ${c.globalStep} (one step each): a damaged checkpoint`);
    checkTensors(c.weights, this.params, c.moments, refuse);
    this.params.import(c.weights);
    this.params.importMoments(c.moments);
    this.optimizer.step = c.optimizerStep;
    this.epoch = c.epoch;
    this.epochStep = c.epochStep;
    this.globalStep = c.globalStep;
  }

  /** A fingerprint of the training images and labels (a checkpoint goes on only with the data it was made on). */
  private get dataFingerprint(): string {
    this.fingerprint ??= this.trainData ? mnistFingerprint(this.trainData) : '0:0000000000000000';
    return this.fingerprint;
  }
  private fingerprint?: string;

  /** Accuracy and mean loss on the full test set, batched on the GPU. */
  async evaluate(): Promise<{ accuracy: number; loss: number }> {
    if (!this.test) throw new Error('no test data loaded');
    const E = this.config.evalBatch;
    // the last batch would overlap the previous one when E does not divide the test set
    if (this.test.count % E !== 0) throw new Error(`evalBatch ${E} must divide the test set size ${this.test.count}`);
    const offset = new Uint32Array(4);
    const r = await this.loop({
      label: 'mnist eval',
      program: this.evalStep,
      metrics: this.evalMetrics,
      steps: this.test.count / E,
      prepare: (i) => {
        offset[0] = i * E;
        upload(this.device, this.stepOffset, offset);
      },
      readAfter: () => false,
    });
    return { accuracy: r.sums.correct / r.sums.rows, loss: r.sums.loss / r.sums.rows };
  }

  /** Classifies one 28x28 image (floats in [0,1]) and returns what the network saw row by row. */
  async inspect(image: Float32Array): Promise<Inspection> {
    const c = this.config.model;
    upload(this.device, this.infer.x, image);
    submitPrograms(this.device, [this.infer.program], [], 'mnist inference');
    const logits = await download(this.device, this.infer.logits);
    const Hs = await download(this.device, this.infer.Hs);
    const probs = Float32Array.from(probabilities(logits));
    const H = c.hidden;
    const hidden = Hs.slice(H, H * (c.steps + 1));
    if (!this.infer.G) return { probs, hidden };
    const G = await download(this.device, this.infer.G);
    const pick = (gate: number) => Float32Array.from({ length: c.steps * H }, (_, k) => G[k * 4 + gate]);
    return { probs, hidden, gates: { input: pick(0), forget: pick(1), output: pick(3) } };
  }
}

