// The fable next-word model: training (two presets) and generation. Runs in the worker or in Node.
// Recipe and published numbers: ../shared/docs/reference-results.md section 2.
import { mulberry32, type SeededRng } from '../data/batch.ts';
import { DataError } from '../data/errors.ts';
import { FableWalker, type FableData } from '../data/fable.ts';
import { fingerprintIds, readFingerprint } from '../data/fingerprint.ts';
import { decodeSafetensors, encodeSafetensors, metadataReader } from '../data/safetensors.ts';
import { Program, type CompiledProgram } from '../gpu/program.ts';
import { download, generateOnGpu, submitPrograms, upload } from '../gpu/runner.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { lmForward, lmParams, type LmConfig } from '../models/lm.ts';
import { probabilities, recordTrainingStep } from '../models/step.ts';
import { Graph } from '../nn/graph.ts';
import type { FablePreset, FablePresetName } from '../models/fable.ts';
import { checkTensors, splitMoments, withMoments } from './checkpoint.ts';
import type { RunControl } from './control.ts';
import type { LoopResult } from './loop.ts';
import { Session } from './session.ts';

export { FABLE_PRESETS, type FablePreset, type FablePresetName } from '../models/fable.ts';

export interface FableMetrics {
  iteration: number;
  loss: number;
  accuracy: number;
}

/** Everything a training run needs to go on exactly where it stopped (a long run in pieces). */
export interface FableCheckpoint {
  preset: FablePresetName;
  seed: number;
  iteration: number;
  optimizerStep: number;
  rngState: number;
  walkerOffset: number;
  /** The vocabulary, space-separated: a checkpoint only resumes on the same text. */
  vocab: string;
  /** fingerprintIds of the text's token ids (src/data/fingerprint.ts): the same text, word for word. */
  data: string;
  weights: Record<string, Float32Array>;
  moments: { m?: Float32Array; v?: Float32Array };
  /** The run's own record kept with the state (e.g. its log so far and the wall time spent). */
  notes: Record<string, string>;
}

const CHECKPOINT_KIND = 'rnnlab fable training checkpoint';

export function encodeFableCheckpoint(c: FableCheckpoint): Uint8Array {
  const tensors = withMoments(c.weights, c.moments);
  const meta: Record<string, string> = {
    kind: CHECKPOINT_KIND,
    preset: c.preset,
    seed: String(c.seed),
    iteration: String(c.iteration),
    optimizerStep: String(c.optimizerStep),
    rngState: String(c.rngState),
    walkerOffset: String(c.walkerOffset),
    vocab: c.vocab,
    data: c.data,
    notes: JSON.stringify(c.notes),
  };
  return encodeSafetensors(tensors, meta);
}

export function decodeFableCheckpoint(bytes: Uint8Array, name = 'checkpoint'): FableCheckpoint {
  const st = decodeSafetensors(bytes, name);
  const meta = st.metadata;
  if (meta.kind !== CHECKPOINT_KIND) throw new DataError(name, `not a fable training checkpoint (kind: ${meta.kind ?? 'none'})`);
  const { int, stringMap } = metadataReader(meta, name);
  if (meta.preset !== 'original' && meta.preset !== 'fast') throw new DataError(name, `unknown preset ${meta.preset}`);
  if (meta.vocab === undefined) throw new DataError(name, 'the vocabulary is missing');
  const { weights, moments } = splitMoments(st.tensors);
  const c: FableCheckpoint = {
    preset: meta.preset,
    seed: int('seed'),
    iteration: int('iteration'),
    optimizerStep: int('optimizerStep'),
    rngState: int('rngState'),
    walkerOffset: int('walkerOffset'),
    vocab: meta.vocab,
    data: readFingerprint(meta, name),
    weights,
    moments,
    notes: stringMap('notes', '{}'),
  };
  // one optimizer step per iteration; the random stream's state is a u32
  if (c.optimizerStep !== c.iteration) throw new DataError(name, `optimizerStep ${c.optimizerStep} differs from iteration ${c.iteration} (one step per iteration): a damaged checkpoint`);
  if (c.rngState > 0xffffffff) throw new DataError(name, `rngState ${c.rngState} is not a 32-bit state: a damaged checkpoint`);
  return c;
}

export class FableSession extends Session {
  readonly model: LmConfig;
  private readonly metrics: Tensor;
  private readonly input: Tensor;
  private readonly labels: Tensor;
  private trainStep!: CompiledProgram;
  private gen!: { program: CompiledProgram; input: Tensor; next: Tensor; u: Tensor; logits: Tensor; logitsOffset: number };
  private readonly walker: FableWalker;
  private readonly rng: SeededRng;
  iteration = 0;

  private constructor(device: GPUDevice, readonly data: FableData, readonly preset: FablePreset, readonly seed: number) {
    const model = { ...preset.model, vocab: data.vocab.words.length };
    super(device, 'fable', lmParams(model), seed, preset.optimizer);
    this.model = model;
    const setup = this.setup;
    this.metrics = setup.persistent([4], 'fable.metrics');
    const n = this.model.steps * preset.batch;
    this.input = setup.persistent([n], 'fable.input', this.model.input === 'embedding' ? 'u32' : 'f32');
    this.labels = setup.persistent([preset.batch], 'fable.labels', 'u32');
    this.rng = mulberry32(seed);
    this.walker = new FableWalker(data.ids, { rng: this.rng });
  }

  /** Builds a session; a model too big for the device, or out of memory, throws a GpuError after freeing what
   *  was made. */
  static create(device: GPUDevice, data: FableData, preset: FablePreset, seed = 1): Promise<FableSession> {
    return Session.open(device, 'Building the fable model', () => new FableSession(device, data, preset, seed), (s) => [[preset.batch, s.model.hidden]], (s) => s.build());
  }

  private inputValue(g: Graph, t: Tensor, rows: number) {
    return this.model.input === 'embedding' ? g.value(t, [rows]) : g.value(t, [rows, 1]);
  }

  private async build(): Promise<void> {
    const B = this.preset.batch;
    const p = new Program(this.device, 'fable train step');
    const g = new Graph(p);
    const logits = lmForward(g, this.params.values(g), this.inputValue(g, this.input, this.model.steps * B), this.model, { batch: B, train: true });
    recordTrainingStep(g, logits, g.value(this.labels), { scale: 1 / B, metrics: this.metrics }, this.optimizer);
    this.trainStep = await this.own(p);
    this.dispatchesPerStep = this.trainStep.dispatchCount;

    const q = new Program(this.device, 'fable generate');
    const gq = new Graph(q);
    const input = q.persistent([this.model.steps], 'fable.prompt', this.model.input === 'embedding' ? 'u32' : 'f32');
    const l = lmForward(gq, this.params.values(gq), this.inputValue(gq, input, this.model.steps), this.model, { batch: 1, train: false });
    const u = q.persistent([1], 'fable.u');
    const next = q.persistent([1], 'fable.next', 'u32');
    const V = this.model.vocab;
    // A run: the window's next word (greedy here; sampling programs are built on first use for a temperature),
    // which then joins the window on the GPU, so a whole continuation is one submission.
    const push = { T: this.model.steps, asFloat: this.model.input === 'embedding' ? 0 : 1 };
    q.dispatch('sample_argmax', { N: 1, V, offLogits: l.offset, temperature: 1 }, { logits: l.tensor, out: next }, [1]);
    q.dispatch('sample_push', push, { next, window: input }, [1]);
    q.keep(l.tensor); // read by nextWords
    this.gen = { program: await this.own(q), input, next, u, logits: l.tensor, logitsOffset: l.offset };
    this.sampleTemperature = (temperature: number) => {
      let program = this.samplePrograms.get(temperature);
      if (!program) {
        const p2 = new Program(this.device, `fable sample T=${temperature}`);
        const g2 = new Graph(p2);
        const l2 = lmForward(g2, this.params.values(g2), this.inputValue(g2, input, this.model.steps), this.model, { batch: 1, train: false });
        p2.dispatch('sample_temperature', { N: 1, V, offLogits: l2.offset, temperature }, { logits: l2.tensor, u, out: next }, [1]);
        p2.dispatch('sample_push', push, { next, window: input }, [1]);
        program = this.own(p2);
        this.samplePrograms.set(temperature, program);
        program.catch(() => this.samplePrograms.delete(temperature)); // a failed build is tried again next time
      }
      return program;
    };
  }

  /** Sampling programs by temperature, built on first use and kept (a few KiB each) until the session goes. */
  private readonly samplePrograms = new Map<number, Promise<CompiledProgram>>();
  private sampleTemperature!: (t: number) => Promise<CompiledProgram>;

  /** Fills one step's windows: the tutorial's walk for batch 1, random windows otherwise. */
  private nextBatch(): void {
    const B = this.preset.batch;
    const T = this.model.steps;
    const ids = this.data.ids;
    const inputs = new Float32Array(T * B);
    const labels = new Uint32Array(B);
    for (let b = 0; b < B; b++) {
      let start: number;
      if (B === 1) start = this.walker.next().offset;
      else start = Math.floor(this.rng() * (ids.length - T));
      for (let t = 0; t < T; t++) inputs[t * B + b] = ids[start + t];
      labels[b] = ids[start + T];
    }
    upload(this.device, this.input, this.model.input === 'embedding' ? Uint32Array.from(inputs) : inputs);
    upload(this.device, this.labels, labels);
  }

  /** Trains `iterations` steps; metrics (averages since the last report) arrive asynchronously. A non-finite loss
   *  ends the run (`diverged`). */
  async train(iterations: number, control: RunControl, onMetrics: (m: FableMetrics) => void, onStep?: (i: number) => void, cut?: () => boolean): Promise<LoopResult> {
    const it0 = this.iteration;
    return this.loop({
      label: 'fable step',
      program: this.trainStep,
      metrics: this.metrics,
      steps: iterations,
      control,
      prepare: () => {
        this.nextBatch();
        this.optimizer.prepareStep();
        this.iteration++;
      },
      readAfter: () => this.iteration % this.preset.metricsEvery === 0,
      onRead: (upTo, m) => onMetrics({ iteration: it0 + upTo, loss: m.loss / m.rows, accuracy: m.correct / m.rows }),
      onStep: () => onStep?.(this.iteration),
      cut,
    });
  }

  /** Greedy (temperature 0) or sampled continuation of three word ids, `count` words long: one submission, the
   *  chosen ids fed back on the GPU, one readback. */
  async generate(prompt: readonly number[], count: number, temperature = 0, seed = 1): Promise<number[]> {
    const T = this.model.steps;
    if (prompt.length !== T) throw new Error(`the prompt must have exactly ${T} words`);
    const program = temperature > 0 ? await this.sampleTemperature(temperature) : this.gen.program;
    upload(this.device, this.gen.input, this.model.input === 'embedding' ? Uint32Array.from(prompt) : Float32Array.from(prompt));
    const rand = mulberry32(seed);
    return generateOnGpu(this.device, {
      label: 'fable generate',
      program,
      runs: count,
      uniforms: temperature > 0 ? { values: Float32Array.from({ length: count }, () => rand()), u: this.gen.u } : undefined,
      out: this.gen.next,
      firstOut: 0,
    });
  }

  /**
   * The model's distribution over the word after `prompt`: softmax(logits / temperature) (temperature 0, greedy:
   * the model's own, at 1), its `k` most likely words first, as sampling at that temperature draws them.
   */
  async nextWords(prompt: readonly number[], k: number, temperature: number): Promise<{ id: number; p: number }[]> {
    upload(this.device, this.gen.input, this.model.input === 'embedding' ? Uint32Array.from(prompt) : Float32Array.from(prompt));
    submitPrograms(this.device, [this.gen.program], [], 'fable next words');
    const all = await download(this.device, this.gen.logits);
    const p = probabilities(all.subarray(this.gen.logitsOffset, this.gen.logitsOffset + this.model.vocab), temperature > 0 ? temperature : 1);
    return Array.from(p, (v, id) => ({ id, p: v }))
      .sort((a, b) => b.p - a.p || a.id - b.id)
      .slice(0, k);
  }

  /** The whole training state (call between `train` calls, when nothing is in flight). */
  async checkpoint(notes: Record<string, string> = {}): Promise<FableCheckpoint> {
    const { weights, moments } = await this.params.exportState(); // one readback
    return {
      preset: this.preset.name,
      seed: this.seed,
      iteration: this.iteration,
      optimizerStep: this.optimizer.step,
      rngState: this.rng.state,
      walkerOffset: this.walker.offset,
      vocab: this.data.vocab.words.join(' '),
      data: fingerprintIds(this.data.ids),
      weights,
      moments,
      notes,
    };
  }

  /**
   * Goes on from a checkpoint of the same preset, seed and text: training continues exactly as it would have.
   * Anything else, or a state this session could not have been in, is a DataError naming the file (`name`).
   */
  restore(c: FableCheckpoint, name = 'checkpoint'): void {
    const refuse = (why: string) => new DataError(name, why);
    if (c.preset !== this.preset.name) throw refuse(`is a run of the ${c.preset} preset, this run is ${this.preset.name}: pass --preset ${c.preset} to go on with it`);
    if (c.seed !== this.seed) throw refuse(`is a run with seed ${c.seed}, this run has seed ${this.seed}: pass --seed ${c.seed} to go on with it`);
    const fp = fingerprintIds(this.data.ids);
    if (c.vocab !== this.data.vocab.words.join(' ') || c.data !== fp) {
      throw refuse(`was trained on another text (data fingerprint ${c.data}, this text's ${fp}); go on with the text it was made with, or delete it to start anew`);
    }
    if (!(Number.isInteger(c.walkerOffset) && c.walkerOffset >= 0 && c.walkerOffset <= this.data.ids.length)) {
      throw refuse(`walkerOffset ${c.walkerOffset} is outside the text's ${this.data.ids.length} tokens: a damaged checkpoint`);
    }
    for (const [k, v] of [['iteration', c.iteration], ['optimizerStep', c.optimizerStep], ['rngState', c.rngState]] as const) {
      if (!(Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) throw refuse(`${k} ${v} is not a whole number from 0 to 2^32-1: a damaged checkpoint`);
    }
    if (c.optimizerStep !== c.iteration) throw refuse(`optimizerStep ${c.optimizerStep} differs from iteration ${c.iteration}: a damaged checkpoint`);
    checkTensors(c.weights, this.params, c.moments, refuse);
    this.params.import(c.weights);
    this.params.importMoments(c.moments);
    this.optimizer.step = c.optimizerStep;
    this.rng.state = c.rngState;
    this.walker.offset = c.walkerOffset;
    this.iteration = c.iteration;
  }

  async lastMetrics(): Promise<Float32Array> {
    return download(this.device, this.metrics);
  }
}
