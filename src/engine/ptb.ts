// The Penn TreeBank word language model (the TensorFlow tutorial ptb_word_lm.py): training, validation, the
// test evaluation (batch 1, one step at a time) and text generation. Runs in the worker or in Node.
// Recipe and published numbers: ../shared/docs/reference-results.md section 3.
//
// Everything runs on the GPU with programs recorded once:
//   - each split is uploaded ONCE in the reader's [batch_size][batch_len] layout; a step's window is drawn on the
//     GPU (token_window); the host writes only the window's column offset (and the dropout seed) per step;
//   - the LSTM state is carried between windows in persistent [2][B][H] tensors per layer (zeroed at the start
//     of each epoch / evaluation), so truncated backprop through time needs no host work;
//   - a training step is one submit: window, forward, loss, backward, global-norm clipping, SGD;
//   - the loss sums (Σ xent, rows) accumulate on the GPU and are read asynchronously every few steps (AsyncReader):
//     no step ever waits for a readback. The host adds the partial sums in f64.
import { mulberry32 } from '../data/batch.ts';
import { DataError } from '../data/errors.ts';
import { fingerprintSplits, readFingerprint } from '../data/fingerprint.ts';
import { ptbBatches, type PtbBatches } from '../data/ptb.ts';
import { decodeSafetensors, encodeSafetensors, metadataReader } from '../data/safetensors.ts';
import { Program, type CompiledProgram } from '../gpu/program.ts';
import { download, downloadU32, generateOnGpu, upload } from '../gpu/runner.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { lmForward, lmParams, type LmConfig } from '../models/lm.ts';
import { recordTokenWindow } from '../nn/data.ts';
import { recordLoss, recordTrainingStep } from '../models/step.ts';
import { Graph } from '../nn/graph.ts';
import { checkTensors } from './checkpoint.ts';
import type { RunControl } from './control.ts';
import { ConfigError } from './errors.ts';
import { PTB_CONFIGS, ptbDropoutSeed, ptbLearningRate, ptbModel, validatePtbConfig, type PtbConfig } from '../models/ptb.ts';
import { Session } from './session.ts';

export { PTB_CONFIGS, ptbDropoutSeed, ptbLearningRate, ptbModel, validatePtbConfig, type PtbConfig, type PtbConfigName } from '../models/ptb.ts';

export interface PtbIdsData {
  train: Uint32Array;
  valid: Uint32Array;
  test: Uint32Array;
}

export interface PtbMetrics {
  /** 0-based epoch. */
  epoch: number;
  /** Steps of this epoch done so far (the metrics cover steps 1..step). */
  step: number;
  epochSize: number;
  /** The tutorial's progress figure: (step - 1) / epoch_size (its 0-based step index over the epoch size). */
  fraction: number;
  /** exp(Σ loss / Σ rows) since the start of the epoch (what the tutorial prints). */
  perplexity: number;
  /** The same over the steps since the previous report. */
  recentPerplexity: number;
  /** Σ cross-entropy and rows (num_steps · batch_size per step) since the previous report. */
  lossSum: number;
  rows: number;
  /** Words (num_steps · batch_size per step) per second since the start of the epoch. */
  wps: number;
  lr: number;
}

export interface PtbEpochResult {
  /** False when stopped (or diverged) before the end. */
  completed: boolean;
  /** The loss became NaN or infinite: the epoch ended there. */
  diverged: boolean;
  /** Ended early to be saved (the run's piece ended on time): the epoch goes on from its progress. */
  cut?: boolean;
  epoch: number;
  steps: number;
  perplexity: number;
  seconds: number;
  wps: number;
  lr: number;
}

/** Where a training epoch stands: the first `step` windows done, with the sums of their loss and rows and the
 *  seconds they took (so a run can stop inside an epoch and go on later; see PtbSession.checkpoint). */
export interface PtbEpochProgress {
  step: number;
  lossSum: number;
  rows: number;
  seconds: number;
}

/** The whole training state of a PTB run between two steps. */
export interface PtbCheckpoint {
  config: PtbConfig;
  seed: number;
  /** 0-based epoch being trained, and where inside it. */
  epoch: number;
  progress: PtbEpochProgress;
  globalStep: number;
  weights: Record<string, Float32Array>;
  /** The carried LSTM state of every layer ([2][B][H] each). */
  states: Float32Array[];
  /** fingerprintSplits of the train, valid and test ids (src/data/fingerprint.ts): a run goes on only on its data. */
  data: string;
  notes: Record<string, string>;
}

const CHECKPOINT_KIND = 'rnnlab ptb training checkpoint';

export function encodePtbCheckpoint(c: PtbCheckpoint): Uint8Array {
  const tensors: Record<string, Float32Array> = { ...c.weights };
  c.states.forEach((st, l) => (tensors[`state.l${l}`] = st));
  return encodeSafetensors(tensors, {
    kind: CHECKPOINT_KIND,
    config: JSON.stringify(c.config),
    seed: String(c.seed),
    epoch: String(c.epoch),
    globalStep: String(c.globalStep),
    progress: JSON.stringify(c.progress),
    data: c.data,
    notes: JSON.stringify(c.notes),
  });
}

export function decodePtbCheckpoint(bytes: Uint8Array, name = 'checkpoint'): PtbCheckpoint {
  const st = decodeSafetensors(bytes, name);
  const m = st.metadata;
  if (m.kind !== CHECKPOINT_KIND) throw new DataError(name, `not a PTB training checkpoint (kind: ${m.kind ?? 'none'})`);
  const { int, json, stringMap } = metadataReader(m, name);
  const damaged = (why: string) => new DataError(name, `${why}: a damaged checkpoint (delete it to start the run anew)`);
  const config = json<unknown>('config');
  const template = PTB_CONFIGS.test;
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw damaged('config is not an object');
  for (const [k, v] of Object.entries(template)) {
    if (typeof (config as Record<string, unknown>)[k] !== typeof v) throw damaged(`config.${k} is missing or not a ${typeof v}`);
  }
  try {
    validatePtbConfig(config as PtbConfig);
  } catch (e) {
    throw damaged(`config: ${(e as Error).message}`);
  }
  const c = config as PtbConfig;
  const weights: Record<string, Float32Array> = Object.create(null);
  const states: Float32Array[] = [];
  for (const [key, t] of Object.entries(st.tensors)) {
    const layer = /^state\.l(0|[1-9][0-9]*)$/.exec(key);
    if (layer && Number(layer[1]) < c.numLayers) states[Number(layer[1])] = t.data;
    else weights[key] = t.data;
  }
  const stateSize = 2 * c.batchSize * c.hiddenSize;
  for (let l = 0; l < c.numLayers; l++) {
    if (!states[l]) throw damaged(`the carried state of layer ${l} (state.l${l}) is missing`);
    if (states[l]!.length !== stateSize) throw damaged(`state.l${l} has ${states[l]!.length} values, [2][${c.batchSize}][${c.hiddenSize}] expected`);
  }
  const progress = json<unknown>('progress');
  if (typeof progress !== 'object' || progress === null) throw damaged('progress is not an object');
  const { step, lossSum, rows, seconds } = progress as Record<string, unknown>;
  const count = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  const amount = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  if (!count(step) || !count(rows) || !amount(lossSum) || !amount(seconds)) {
    throw damaged(`progress ${JSON.stringify(progress)} is not a position in an epoch (whole step and rows, finite lossSum and seconds, none negative)`);
  }
  if (rows !== (step as number) * c.batchSize * c.numSteps) throw damaged(`progress: ${rows} rows after ${step} steps of ${c.batchSize} x ${c.numSteps}`);
  const epoch = int('epoch');
  const globalStep = int('globalStep');
  if (epoch > c.maxMaxEpoch) throw damaged(`epoch ${epoch} is beyond the run's ${c.maxMaxEpoch} epochs`);
  if (globalStep < (step as number)) throw damaged(`globalStep ${globalStep} is before the epoch's step ${step}`);
  return {
    config: c, seed: int('seed'), epoch, globalStep, progress: { step, lossSum, rows, seconds } as PtbEpochProgress,
    weights, states, data: readFingerprint(m, name), notes: stringMap('notes', '{}'),
  };
}

interface GpuSplit {
  batches: Omit<PtbBatches, 'data'>;
  data: Tensor;
}

export class PtbSession extends Session {
  readonly model: LmConfig;
  private readonly splits: Record<'train' | 'valid' | 'test', GpuSplit>;
  /** Column offset of the window ([start, 0, 0, 0]), one per program family. */
  private readonly trainStepOffset: Tensor;
  private readonly validStepOffset: Tensor;
  private readonly testStepOffset: Tensor;
  private readonly seedTensor: Tensor;
  private readonly trainStates: Tensor[];
  private readonly validStates: Tensor[];
  private readonly testStates: Tensor[];
  private readonly genStates: Tensor[];
  private readonly trainMetrics: Tensor;
  private readonly evalMetrics: Tensor;
  private readonly genInput: Tensor;
  private readonly genU: Tensor;
  private trainStep!: CompiledProgram;
  private validStep!: CompiledProgram;
  private testStep!: CompiledProgram;
  private readonly genPrograms = new Map<number, Promise<CompiledProgram>>();
  /** The data's fingerprint (kept in checkpoints: a run goes on only with the data it was trained on). */
  readonly dataFingerprint: string;
  /** Training epochs completed (0-based index of the next epoch). */
  epoch = 0;
  globalStep = 0;
  /** Metrics are read after 0-based step s when s % metricsEvery === metricsPhase (and after the last step):
   *  by default the tutorial's `step % (epoch_size // 10) == 10`. */
  metricsEvery: number;
  metricsPhase: number;
  /** Steps between the (asynchronous) metric reads of an evaluation. */
  evalReadEvery = 200;

  private constructor(device: GPUDevice, data: PtbIdsData, readonly config: PtbConfig, readonly seed: number) {
    validatePtbConfig(config);
    super(device, 'ptb', lmParams(ptbModel(config)), seed, { kind: 'sgd', lr: config.learningRate, clipNorm: config.maxGradNorm });
    for (const split of ['train', 'valid', 'test'] as const) {
      const ids = data[split];
      for (let i = 0; i < ids.length; i++) {
        if (ids[i]! >= config.vocabSize) {
          throw new ConfigError(`${split} data: id ${ids[i]} at token ${i} is outside the vocabulary of ${config.vocabSize} words.`);
        }
      }
    }
    this.model = ptbModel(config);
    this.dataFingerprint = fingerprintSplits(data, ['train', 'valid', 'test']);
    const B = config.batchSize, H = config.hiddenSize, L = config.numLayers;
    const setup = this.setup;
    const uploadSplit = (ids: Uint32Array, b: number, t: number, name: string): GpuSplit => {
      const { data: rows, ...batches } = ptbBatches(ids, b, t, name);
      const tensor = setup.persistent([rows.length], `ptb.${name}.data`, 'u32');
      upload(device, tensor, rows);
      return { batches, data: tensor };
    };
    this.splits = {
      train: uploadSplit(data.train, B, config.numSteps, 'train'),
      valid: uploadSplit(data.valid, B, config.numSteps, 'valid'),
      test: uploadSplit(data.test, 1, 1, 'test'),
    };
    this.trainStepOffset = setup.persistent([4], 'ptb.train.step', 'u32');
    this.validStepOffset = setup.persistent([4], 'ptb.valid.step', 'u32');
    this.testStepOffset = setup.persistent([4], 'ptb.test.step', 'u32');
    this.seedTensor = setup.persistent([1], 'ptb.seed', 'u32');
    const states = (b: number, name: string) => Array.from({ length: L }, (_, l) => setup.persistent([2, b, H], `ptb.${name}.state${l}`));
    this.trainStates = states(B, 'train');
    this.validStates = states(B, 'valid');
    this.testStates = states(1, 'test');
    this.genStates = states(1, 'gen');
    this.trainMetrics = setup.persistent([4], 'ptb.metrics');
    this.evalMetrics = setup.persistent([4], 'ptb.evalMetrics');
    this.genInput = setup.persistent([1], 'ptb.gen.input', 'u32');
    this.genU = setup.persistent([1], 'ptb.gen.u');
    const every = Math.max(1, Math.floor(this.stepsPerEpoch / 10));
    this.metricsEvery = every;
    this.metricsPhase = 10 % every;
  }

  /** Builds a session; a model too big for the device, or out of memory, throws a GpuError after freeing what
   *  was made (the caller's session stays usable). */
  static create(device: GPUDevice, data: PtbIdsData, config: PtbConfig, seed = 1): Promise<PtbSession> {
    return Session.open(device, 'Building the PTB model', () => new PtbSession(device, data, config, seed), () => [[config.batchSize, config.hiddenSize]], (s) => s.build());
  }

  /** Windows per training epoch: ((len // batch_size) - 1) // num_steps. */
  get stepsPerEpoch(): number {
    return this.splits.train.batches.epochSize;
  }

  evalSteps(split: 'valid' | 'test'): number {
    return this.splits[split].batches.epochSize;
  }

  /** The learning rate of 0-based epoch i (default: the next epoch). */
  learningRate(epoch = this.epoch): number {
    return ptbLearningRate(this.config, epoch);
  }

  /** One program: window -> forward -> loss (-> backward -> clip -> SGD when training). */
  private async buildStep(kind: 'train' | 'valid' | 'test'): Promise<CompiledProgram> {
    const c = this.config;
    const train = kind === 'train';
    const B = kind === 'test' ? 1 : c.batchSize;
    const T = kind === 'test' ? 1 : c.numSteps;
    const split = this.splits[kind];
    const step = { train: this.trainStepOffset, valid: this.validStepOffset, test: this.testStepOffset }[kind];
    const states = { train: this.trainStates, valid: this.validStates, test: this.testStates }[kind];
    const p = new Program(this.device, `ptb ${kind} step`);
    const g = new Graph(p);
    const ids = p.transient([T * B], 'ptb.ids', 'u32');
    const targets = p.transient([T * B], 'ptb.targets', 'u32');
    recordTokenWindow(p, split.data, split.batches.batchLen, step, B, T, ids, targets);
    const model = T === this.model.steps ? this.model : { ...this.model, steps: T };
    const logits = lmForward(g, this.params.values(g), g.value(ids), model, {
      batch: B, states, train, seed: train && c.keepProb < 1 ? this.seedTensor : undefined,
    });
    // loss = Σ_t mean_b xent: every row's xent scaled by 1/B. The metrics hold (Σ xent, Σ correct, rows).
    const loss = { scale: 1 / B, metrics: train ? this.trainMetrics : this.evalMetrics };
    if (train) recordTrainingStep(g, logits, g.value(targets), loss, this.optimizer);
    else recordLoss(g, logits, g.value(targets), loss);
    return this.own(p);
  }

  private async build(): Promise<void> {
    this.trainStep = await this.buildStep('train');
    this.dispatchesPerStep = this.trainStep.dispatchCount;
    this.validStep = await this.buildStep('valid');
    this.testStep = await this.buildStep('test');
  }

  private zero(tensors: readonly Tensor[]): void {
    for (const t of tensors) upload(this.device, t, new Float32Array(t.size));
  }

  /**
   * Trains one epoch (or its first `limit` steps) from a zero state, with the learning rate of this epoch.
   * `onMetrics` arrives asynchronously (by default at the tutorial's ~10% points); nothing waits for it inside a
   * step. Returns the epoch's training perplexity; `completed` false when stopped (the epoch counter then stays).
   * `piece`: only steps [from.step, until) of the epoch, going on from `from` (the carried state as it is): the
   * epoch counts as done when `until` reaches its end. `progress` in the result is where the next piece starts.
   */
  async trainEpoch(
    control: RunControl,
    onMetrics: (m: PtbMetrics) => void,
    onStep?: (step: number) => void,
    limit = this.stepsPerEpoch,
    piece?: { from: PtbEpochProgress; until: number; cut?: () => boolean },
  ): Promise<PtbEpochResult & { progress: PtbEpochProgress }> {
    const device = this.device;
    const c = this.config;
    const epoch = this.epoch;
    const lr = this.learningRate(epoch);
    const steps = Math.max(0, Math.min(limit, this.stepsPerEpoch));
    const from = piece?.from ?? { step: 0, lossSum: 0, rows: 0, seconds: 0 };
    const until = Math.min(piece?.until ?? steps, steps);
    const words = c.numSteps * c.batchSize;
    if (from.step === 0) this.zero(this.trainStates);
    const stepBuf = new Uint32Array(4);
    const seedBuf = new Uint32Array(1);
    let sumLoss = from.lossSum;
    let sumRows = from.rows;
    const t0 = performance.now() - from.seconds * 1000;
    const r = await this.loop({
      label: 'ptb step',
      program: this.trainStep,
      metrics: this.trainMetrics,
      first: from.step,
      steps: until,
      control,
      prepare: (s) => {
        stepBuf[0] = s * c.numSteps;
        upload(device, this.trainStepOffset, stepBuf);
        if (c.keepProb < 1) {
          seedBuf[0] = ptbDropoutSeed(this.seed, this.globalStep);
          upload(device, this.seedTensor, seedBuf);
        }
        this.optimizer.prepareStep(lr);
        this.globalStep++;
      },
      readAfter: (s) => s % this.metricsEvery === this.metricsPhase,
      onRead: (upTo, { loss, rows }) => {
        sumLoss += loss;
        sumRows += rows;
        const secs = (performance.now() - t0) / 1000;
        onMetrics({
          epoch, step: upTo, epochSize: this.stepsPerEpoch, fraction: (upTo - 1) / this.stepsPerEpoch,
          perplexity: Math.exp(sumLoss / sumRows), recentPerplexity: Math.exp(loss / rows), lossSum: loss, rows,
          wps: (upTo * words) / Math.max(secs, 1e-9), lr,
        });
      },
      onStep,
      cut: piece?.cut,
    });
    const seconds = (performance.now() - t0) / 1000;
    const done = from.step + r.steps;
    // a stopped epoch is run again (from a zero state, at the same learning rate)
    if (r.completed && until === steps) this.epoch++;
    const lossSum = from.lossSum + r.sums.loss;
    const rows = from.rows + r.sums.rows;
    return {
      completed: r.completed, diverged: r.diverged, cut: r.cut, epoch, steps: done, perplexity: Math.exp(lossSum / rows), seconds,
      wps: (done * words) / Math.max(seconds, 1e-9), lr,
      progress: { step: done, lossSum, rows, seconds },
    };
  }

  /** The training state between steps (nothing in flight: call between trainEpoch calls). */
  /** `epoch`: the epoch `progress` is in (the one just trained, when its last step is done: it is counted as
   *  finished only after its validation). */
  async checkpoint(progress: PtbEpochProgress, notes: Record<string, string> = {}, epoch = this.epoch): Promise<PtbCheckpoint> {
    const state = await this.params.exportState(this.trainStates); // one readback
    return {
      config: { ...this.config },
      seed: this.seed,
      epoch,
      progress: { ...progress },
      globalStep: this.globalStep,
      weights: state.weights,
      states: state.extra,
      data: this.dataFingerprint,
      notes,
    };
  }

  /**
   * Goes on from a checkpoint of the same config, seed and data; returns where to resume the epoch. Anything
   * else, or a position this run could not have reached, is a DataError naming the file (`name`).
   */
  restore(c: PtbCheckpoint, name = 'checkpoint'): PtbEpochProgress {
    const refuse = (why: string) => new DataError(name, why);
    // the number of epochs may change between pieces (a run extended); everything else must be the same
    const recipe = (x: PtbConfig) => JSON.stringify({ ...x, maxMaxEpoch: 0 });
    if (recipe(c.config) !== recipe(this.config)) {
      throw refuse(`is a run of another configuration (${c.config.name}: ${c.config.numLayers} x LSTM-${c.config.hiddenSize}, batch ${c.config.batchSize} x ${c.config.numSteps}); pass --config ${c.config.name} to go on with it`);
    }
    if (c.seed !== this.seed) throw refuse(`is a run with seed ${c.seed}, this run has seed ${this.seed}: pass --seed ${c.seed} to go on with it`);
    if (c.data !== this.dataFingerprint) {
      throw refuse(`was trained on other data (${c.data}; these files: ${this.dataFingerprint}); go on with the --data it was made with, or delete it to start anew`);
    }
    const p = c.progress;
    if (!(Number.isInteger(p.step) && p.step >= 0 && p.step <= this.stepsPerEpoch)) throw refuse(`step ${p.step} is beyond its epoch of ${this.stepsPerEpoch} steps: a damaged checkpoint`);
    if (!(Number.isInteger(c.epoch) && c.epoch >= 0)) throw refuse(`epoch ${c.epoch} is not a whole number >= 0: a damaged checkpoint`);
    if (!(Number.isInteger(c.globalStep) && c.globalStep >= p.step && c.globalStep <= c.epoch * this.stepsPerEpoch + p.step)) {
      throw refuse(`globalStep ${c.globalStep} cannot be reached at step ${p.step} of epoch ${c.epoch + 1} (${this.stepsPerEpoch} steps each): a damaged checkpoint`);
    }
    if (c.states.length !== this.trainStates.length) throw refuse(`has ${c.states.length} layer states, the model ${this.trainStates.length}`);
    c.states.forEach((st, l) => {
      if (st?.length !== this.trainStates[l]!.size) throw refuse(`layer ${l} state: ${st?.length ?? 0} values, ${this.trainStates[l]!.size} expected`);
    });
    checkTensors(c.weights, this.params, undefined, refuse);
    this.params.import(c.weights);
    c.states.forEach((st, l) => upload(this.device, this.trainStates[l]!, st));
    this.epoch = c.epoch;
    this.globalStep = c.globalStep;
    return { ...c.progress };
  }

  /**
   * Perplexity of a split from a zero state, no dropout: 'valid' with the training config's batch size and
   * steps, 'test' with batch size 1 and one step per window (a separate program and state). `limit`: only the
   * first windows (a quick look).
   */
  async evaluate(split: 'valid' | 'test', limit = Infinity): Promise<number> {
    const r = await this.evaluateDetailed(split, limit);
    return r.perplexity;
  }

  async evaluateDetailed(split: 'valid' | 'test', limit = Infinity, onProgress?: (step: number) => void): Promise<{ perplexity: number; steps: number; rows: number; seconds: number }> {
    const T = split === 'test' ? 1 : this.config.numSteps;
    const stepTensor = split === 'test' ? this.testStepOffset : this.validStepOffset;
    this.zero(split === 'test' ? this.testStates : this.validStates);
    const steps = Math.max(0, Math.min(limit, this.evalSteps(split)));
    const stepBuf = new Uint32Array(4);
    const t0 = performance.now();
    const r = await this.loop({
      label: `ptb ${split}`,
      program: split === 'test' ? this.testStep : this.validStep,
      metrics: this.evalMetrics,
      steps,
      prepare: (s) => {
        stepBuf[0] = s * T;
        upload(this.device, stepTensor, stepBuf);
      },
      readAfter: (s) => (s + 1) % this.evalReadEvery === 0,
      onStep: onProgress,
    });
    return { perplexity: Math.exp(r.sums.loss / r.sums.rows), steps: r.steps, rows: r.sums.rows, seconds: (performance.now() - t0) / 1000 };
  }

  /** Generation program for a temperature (0: greedy): one word in (genInput), the next word written back into
   *  genInput, so consecutive submits chain on the GPU. */
  private genProgram(temperature: number): Promise<CompiledProgram> {
    let prog = this.genPrograms.get(temperature);
    if (prog) return prog;
    const q = new Program(this.device, `ptb generate T=${temperature}`);
    const g = new Graph(q);
    const logits = lmForward(g, this.params.values(g), g.value(this.genInput), { ...this.model, steps: 1 }, {
      batch: 1, states: this.genStates, train: false,
    });
    const V = this.model.vocab;
    if (temperature > 0) {
      q.dispatch('sample_temperature', { N: 1, V, offLogits: logits.offset, temperature }, { logits: logits.tensor, u: this.genU, out: this.genInput }, [1]);
    } else {
      q.dispatch('sample_argmax', { N: 1, V, offLogits: logits.offset, temperature: 1 }, { logits: logits.tensor, out: this.genInput }, [1]);
    }
    prog = this.own(q);
    this.genPrograms.set(temperature, prog);
    prog.catch(() => this.genPrograms.delete(temperature)); // a failed build is tried again next time
    return prog;
  }

  /**
   * Feeds the prompt (from a zero state) and continues it by `count` words, sampled from softmax(z / temperature)
   * (temperature 0: the most likely word). One submission: each run writes its word into the next run's input on
   * the GPU; the ids are collected there and read once.
   */
  async sample(promptIds: readonly number[], count: number, temperature = 1, seed = 1): Promise<number[]> {
    if (promptIds.length === 0) throw new ConfigError('The prompt needs at least one word.');
    for (const id of promptIds) {
      if (!Number.isInteger(id) || id < 0 || id >= this.model.vocab) throw new ConfigError(`Prompt word id ${id} is outside the vocabulary.`);
    }
    if (!(temperature >= 0) || !Number.isFinite(temperature)) throw new ConfigError(`Temperature must be 0 or more (got ${temperature}).`);
    if (count <= 0) return [];
    const program = await this.genProgram(temperature);
    this.zero(this.genStates);
    const runs = promptIds.length - 1 + count;
    const rand = mulberry32(seed);
    return generateOnGpu(this.device, {
      label: 'ptb generate',
      program,
      runs,
      uniforms: temperature > 0 ? { values: Float32Array.from({ length: runs }, () => rand()), u: this.genU } : undefined,
      feed: { ids: Uint32Array.from(promptIds), input: this.genInput },
      out: this.genInput,
      firstOut: promptIds.length - 1,
    });
  }

  /** The id the last generation ended on (for tests). */
  async lastGenerated(): Promise<number> {
    return (await downloadU32(this.device, this.genInput))[0]!;
  }

  /** The carried training state of layer l ([2][B][H]: h then c). */
  async trainState(l: number): Promise<Float32Array> {
    return download(this.device, this.trainStates[l]!);
  }
}
