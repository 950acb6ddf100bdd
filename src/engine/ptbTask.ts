// Penn TreeBank in the worker: the three files (validated as they arrive, used once all three are there), the
// model being trained (PtbSession), training with validation after every epoch, the test evaluation and sampling
// (also while a run trains). The policies are the host's. Recipe: ../shared/docs/reference-results.md section 3.
import { DataError } from '../data/errors.ts';
import { fingerprintSplits } from '../data/fingerprint.ts';
import { decodeInterop, encodeInterop, type LmConfig } from '../data/interop.ts';
import { tokenize, type Vocab } from '../data/fable.ts';
import { decodePtbText, EOS, preparePtb, PTB_UNK, type PtbData } from '../data/ptb.ts';
import type { RunControl } from './control.ts';
import { ConfigError } from './errors.ts';
import { divergedMessage, ProgressReporter, savePiece, SessionSlot, TaskHost, type Post, type RunEnd, type RunPieces } from './host.ts';
import { PTB_CONFIGS, PtbSession, ptbModel, validatePtbConfig, type PtbCheckpoint, type PtbConfig, type PtbEpochProgress, type PtbEpochResult } from './ptb.ts';
import type { NamedFile, PtbDataInfo, PtbRunOptions, PtbRunPlan, PtbSplitName } from './protocol.ts';

export const PTB_SPLITS: readonly PtbSplitName[] = ['train', 'valid', 'test'];
export const PTB_MAX_SAMPLE_WORDS = 1000;
export const PTB_MAX_TEMPERATURE = 10;
/** Training perplexity reports per epoch when the run options leave it open. */
const AUTO_REPORTS_PER_EPOCH = 100;
/** Progress messages at most this often (ms). */
const PROGRESS_EVERY_MS = 500;

/** The split a file name stands for: the one of "train", "valid", "test" it contains (case-insensitive). */
export function identifyPtbFile(name: string): PtbSplitName | null {
  const base = name.toLowerCase().split(/[\\/]/).pop() ?? '';
  const hits = PTB_SPLITS.filter((s) => base.includes(s));
  return hits.length === 1 ? hits[0]! : null;
}

/** What a headless run adds to the page's options. */
export interface PtbRunExtras {
  /** Training perplexity read at the tutorial's points (step % (epoch_size // 10) == 10) instead of reportEvery. */
  tutorialReports?: boolean;
  /** A run in pieces (checkpoints), and the name its checkpoint goes by in messages. */
  pieces?: RunPieces<PtbCheckpoint>;
  name?: string;
  /** The weights the run starts from (readModel's) instead of a fresh initialisation; a resumed run ignores them. */
  init?: Record<string, Float32Array>;
}

/** Thrown from an evaluation's progress callback when the run is stopped. */
class Cancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'Cancelled';
  }
}

interface StagedFile {
  name: string;
  text: string;
}

interface LoadedData {
  prepared: PtbData;
  info: PtbDataInfo;
  texts: Record<PtbSplitName, StagedFile>;
}

function optionalCount(v: number | null, name: string, max = 1e9): void {
  if (v === null) return;
  if (!Number.isInteger(v) || v < 1 || v > max) throw new ConfigError(`${name} must be a whole number of at least 1 (got ${v}).`);
}

export class PtbTask {
  readonly host: TaskHost;
  private staged: Partial<Record<PtbSplitName, StagedFile>> = {};
  private data: LoadedData | null = null;
  private readonly slot = new SessionSlot<PtbSession>();
  /** The vocabulary of each session (the data may be replaced while a model trained on the old one stays). */
  private readonly vocabOf = new WeakMap<PtbSession, Vocab>();

  constructor(private readonly device: () => GPUDevice, private readonly out: Post) {
    this.host = new TaskHost('ptb', out);
  }

  /** The session in use (for tests). */
  get session(): PtbSession | null {
    return this.slot.get();
  }

  private post(msg: Parameters<Post>[0]): void {
    this.host.post(msg);
  }

  /**
   * Files by name, validated one by one; nothing changes unless every file of the message is good. The data is
   * (re)built once train, valid and test are all there; the data loaded before stays in use until then.
   */
  async loadFiles(files: NamedFile[]): Promise<void> {
    if (files.length === 0) throw new DataError('Penn TreeBank', 'no files were given');
    const accepted: Partial<Record<PtbSplitName, StagedFile>> = {};
    for (const f of files) {
      const role = identifyPtbFile(f.name);
      if (!role) {
        throw new DataError(f.name, 'not a Penn TreeBank file name: the name must contain train, valid or test (ptb.train.txt, ptb.valid.txt, ptb.test.txt)');
      }
      if (accepted[role]) throw new DataError(f.name, `two ${role} files were given (${accepted[role]!.name} and ${f.name}); pick one of each`);
      accepted[role] = { name: f.name, text: decodePtbText(new Uint8Array(f.bytes), f.name) };
    }
    const staged = { ...this.staged, ...accepted };
    const missing = PTB_SPLITS.filter((s) => !staged[s]);
    if (missing.length > 0) {
      this.staged = staged;
      this.out({ type: 'ptb-files', task: 'ptb', staged: Object.fromEntries(PTB_SPLITS.filter((s) => staged[s]).map((s) => [s, staged[s]!.name])), missing });
      return;
    }
    const texts = staged as Record<PtbSplitName, StagedFile>;
    // Built completely before anything is replaced: a file that fails here leaves the loaded data as it was.
    const prepared = preparePtb(
      { train: texts.train.text, valid: texts.valid.text, test: texts.test.text },
      { train: texts.train.name, valid: texts.valid.name, test: texts.test.name },
    );
    if (prepared.vocab.words.length < 2) throw new DataError(texts.train.name, 'the training text has fewer than two distinct words');
    const info: PtbDataInfo = {
      files: { train: texts.train.name, valid: texts.valid.name, test: texts.test.name },
      tokens: { train: prepared.train.length, valid: prepared.valid.length, test: prepared.test.length },
      vocabSize: prepared.vocab.words.length,
      oov: prepared.oov,
    };
    this.staged = texts;
    this.data = { prepared, info, texts };
    this.out({ type: 'ptb-loaded', task: 'ptb', data: info });
  }

  /** The files in use (a saved run records them; null: not all three loaded). */
  get dataSource(): { source: 'files'; names: string[] } | null {
    return this.data ? { source: 'files', names: PTB_SPLITS.map((k) => this.data!.info.files[k]) } : null;
  }

  /** The fingerprint of the three files in use (a saved run goes on only with the same), null: not loaded. */
  dataFingerprint(): string | null {
    const p = this.data?.prepared;
    return p ? fingerprintSplits({ train: p.train, valid: p.valid, test: p.test }, ['train', 'valid', 'test']) : null;
  }

  /** The device was replaced (the old one was lost): the model in use was on it. */
  deviceReplaced(): void {
    this.slot.set(null);
  }

  /** Trains max_max_epoch epochs (validation after each), then measures the test perplexity. */
  train(config: PtbConfig, options: PtbRunOptions, extras: PtbRunExtras = {}): Promise<void> {
    return this.host.start((control) => this.runTraining(config, options, extras, control));
  }

  private async runTraining(config: PtbConfig, options: PtbRunOptions, extras: PtbRunExtras, control: RunControl): Promise<RunEnd> {
    const data = this.data;
    if (!data) throw new DataError('Penn TreeBank', 'load ptb.train.txt, ptb.valid.txt and ptb.test.txt first');
    const c: PtbConfig = { ...config, vocabSize: data.prepared.vocab.words.length };
    validatePtbConfig(c);
    optionalCount(options.stepLimit, 'Steps per epoch (limit)');
    optionalCount(options.validLimit, 'Validation steps (limit)');
    optionalCount(options.testLimit, 'Test steps (limit)');
    optionalCount(options.reportEvery, 'Report every');
    const { prepared } = data;
    const session = await PtbSession.create(this.device(), { train: prepared.train, valid: prepared.valid, test: prepared.test }, c, options.seed >>> 0 || 1);
    const resume = extras.pieces?.resume;
    let from: PtbEpochProgress = { step: 0, lossSum: 0, rows: 0, seconds: 0 };
    try {
      if (resume) from = session.restore(resume, extras.name);
      else if (extras.init) session.importWeights(extras.init);
    } catch (e) {
      session.destroy();
      throw e;
    }
    this.vocabOf.set(session, prepared.vocab);
    this.slot.set(session);
    if (control.isStopped) return { state: 'stopped' };
    return this.slot.use(() => this.trainEpochs(session, c, options, extras, from, control), session);
  }

  private async trainEpochs(session: PtbSession, c: PtbConfig, options: PtbRunOptions, extras: PtbRunExtras, from: PtbEpochProgress, control: RunControl): Promise<RunEnd> {

    const fullSteps = session.stepsPerEpoch;
    const stepsPerEpoch = Math.min(options.stepLimit ?? fullSteps, fullSteps);
    const fullValid = session.evalSteps('valid');
    const validSteps = Math.min(options.validLimit ?? fullValid, fullValid);
    const reportEvery = extras.tutorialReports
      ? Math.max(1, Math.floor(stepsPerEpoch / 10))
      : Math.min(options.reportEvery ?? Math.max(1, Math.floor(stepsPerEpoch / AUTO_REPORTS_PER_EPOCH)), stepsPerEpoch);
    session.metricsEvery = reportEvery;
    // Reads after steps reportEvery, 2·reportEvery, … of the epoch (and after its last step); the tutorial's
    // printout: when step % (epoch_size // 10) == 10.
    session.metricsPhase = extras.tutorialReports ? 10 % reportEvery : reportEvery - 1;
    const words = c.numSteps * c.batchSize;
    const plan: PtbRunPlan = {
      config: c, fullStepsPerEpoch: fullSteps, stepsPerEpoch, fullValidSteps: fullValid, validSteps,
      fullTestSteps: session.evalSteps('test'), reportEvery, firstEpoch: session.epoch,
    };
    const progressPlan = { epochs: c.maxMaxEpoch, stepsPerEpoch, samplesPerStep: words };
    this.host.started({ ...progressPlan, dispatchesPerStep: session.dispatchesPerStep, kernels: session.kernelTimings, parameters: session.params.count, batch: c.batchSize, gpuBytes: session.gpuBytes, ptb: plan });
    const pieces = extras.pieces;
    const save = (at: PtbEpochProgress, epoch = session.epoch) => savePiece(pieces, () => session.checkpoint(at, pieces!.notes(), epoch));
    const cut = pieces?.due && (() => pieces.due!());

    let diverged = false;
    /** The last epoch whose validation was finite: its weights are kept on the GPU (snapshot) for a divergence. */
    let lastGood: { epoch: number; valid: number } | null = null;
    let validSeconds = 0;
    for (let epoch = session.epoch; epoch < c.maxMaxEpoch && !control.isStopped && !diverged; epoch++) {
      this.post({ type: 'phase', task: 'ptb', phase: 'train', epoch, from: from.step });
      const t0 = performance.now() - from.seconds * 1000;
      const paused0 = control.pausedMs();
      const progress = new ProgressReporter(this.host, control, progressPlan);
      const base = epoch * stepsPerEpoch;
      // in pieces of pieces.every steps, each saved (a run not in pieces: the whole epoch at once)
      let r: PtbEpochResult & { progress: PtbEpochProgress };
      do {
        r = await session.trainEpoch(
          control,
          (m) => {
            const secs = (performance.now() - t0 - (control.pausedMs() - paused0)) / 1000;
            this.post({
              type: 'train-metrics', task: 'ptb', step: base + m.step, epoch, epochStep: m.step,
              values: { perplexity: m.perplexity, recent: m.recentPerplexity, wps: secs > 0 ? (m.step * words) / secs : 0, lr: m.lr, fraction: m.fraction },
            });
          },
          (step) => progress.step(base + step, epoch, step, (c.maxMaxEpoch - epoch) * validSeconds),
          stepsPerEpoch,
          { from, until: pieces ? Math.min(from.step + pieces.every, stepsPerEpoch) : stepsPerEpoch, cut },
        );
        from = r.progress;
        if ((r.completed || r.cut) && from.step < stepsPerEpoch) await save(from);
      } while ((r.completed || r.cut) && from.step < stepsPerEpoch);
      if (r.diverged || (r.steps > 0 && !Number.isFinite(r.perplexity))) {
        diverged = true;
        break;
      }
      if (!r.completed) {
        await save(from); // a stopped run can go on later from where it stopped
        break;
      }
      const trainSeconds = (performance.now() - t0 - (control.pausedMs() - paused0)) / 1000;
      // A pause that came during the last steps takes effect here, before the validation. A stop now (or during
      // the validation) saves the epoch's training: going on, the run validates it at once.
      if (!(await control.checkpoint())) {
        await save(from, epoch);
        break;
      }
      this.post({ type: 'phase', task: 'ptb', phase: 'valid', epoch, from: 0 });
      const v0 = performance.now();
      let valid: { perplexity: number; steps: number };
      try {
        valid = await this.evaluate(session, 'valid', validSteps, control);
      } catch (e) {
        if (!(e instanceof Cancelled)) throw e;
        await save(from, epoch);
        break;
      }
      validSeconds = (performance.now() - v0) / 1000;
      if (!Number.isFinite(valid.perplexity)) {
        diverged = true;
        break;
      }
      session.snapshot();
      lastGood = { epoch: epoch + 1, valid: valid.perplexity };
      const seconds = (performance.now() - t0 - (control.pausedMs() - paused0)) / 1000;
      this.post({
        type: 'phase-result', task: 'ptb', phase: 'epoch', epoch: epoch + 1, seconds, partial: r.steps < fullSteps || valid.steps < fullValid,
        values: {
          train: r.perplexity, valid: valid.perplexity, lr: r.lr, wps: trainSeconds > 0 ? (r.steps * words) / trainSeconds : 0,
          trainSteps: r.steps, validSteps: valid.steps, trainSeconds, validSeconds,
        },
      });
      from = { step: 0, lossSum: 0, rows: 0, seconds: 0 };
      await save(from);
    }

    if (diverged) {
      const restored = lastGood && session.restoreSnapshot() ? lastGood : null;
      return {
        state: 'diverged',
        message: divergedMessage(
          'perplexity',
          restored ? `The weights after epoch ${restored.epoch} (validation perplexity ${restored.valid.toFixed(2)}) were restored: sampling and the test use them.` : null,
          'Try a lower learning_rate or max_grad_norm, or a smaller init_scale.',
        ),
      };
    }
    // All epochs done: the test perplexity (batch 1, one step per window). A pause during the last validation
    // takes effect before it.
    if (control.isStopped || !(await control.checkpoint())) return { state: 'stopped' };
    this.post({ type: 'phase', task: 'ptb', phase: 'test', epoch: c.maxMaxEpoch, from: 0 });
    try {
      await this.runTest(session, options.testLimit, control);
      return { state: 'done' };
    } catch (e) {
      if (!(e instanceof Cancelled)) throw e;
      this.post({ type: 'phase-cancelled', task: 'ptb', phase: 'test', reason: 'stopped' });
      return { state: 'done', message: 'Training finished; the test evaluation was stopped before the end.' };
    }
  }

  /** Validation or test windows with progress messages; a stop of `control` cancels it (Cancelled). */
  private async evaluate(session: PtbSession, split: 'valid' | 'test', total: number, control: RunControl): Promise<{ perplexity: number; steps: number; seconds: number }> {
    let last = performance.now();
    this.post({ type: 'phase-progress', task: 'ptb', phase: split, step: 0, total });
    const r = await session.evaluateDetailed(split, total, (step) => {
      if (control.isStopped) throw new Cancelled();
      const now = performance.now();
      if (now - last >= PROGRESS_EVERY_MS || step === total) {
        last = now;
        this.post({ type: 'phase-progress', task: 'ptb', phase: split, step, total });
      }
    });
    return { perplexity: r.perplexity, steps: r.steps, seconds: r.seconds };
  }

  private async runTest(session: PtbSession, limit: number | null, control: RunControl): Promise<void> {
    const full = session.evalSteps('test');
    const total = Math.min(limit ?? full, full);
    const r = await this.evaluate(session, 'test', total, control);
    this.post({ type: 'phase-result', task: 'ptb', phase: 'test', epoch: session.epoch, values: { perplexity: r.perplexity }, steps: r.steps, total: full, partial: r.steps < full, seconds: r.seconds });
  }

  /** The words of the model in use, by id. */
  vocabulary(): string[] {
    const s = this.slot.get();
    return s ? this.vocabOf.get(s)!.words : [];
  }

  /**
   * A PTB model file in PyTorch's layout (src/data/interop.ts) for the loaded data, checked: the task, the
   * vocabulary of the loaded text, and the layers and hidden size of `config` (the config a run will train).
   */
  readModel(bytes: Uint8Array, name: string, config: PtbConfig): Record<string, Float32Array> {
    const data = this.data;
    if (!data) throw new DataError('Penn TreeBank', 'load ptb.train.txt, ptb.valid.txt and ptb.test.txt first: a model comes with its vocabulary');
    return decodeInterop(bytes, name, { task: 'ptb', vocab: data.prepared.vocab.words, config: { layers: config.numLayers, hidden: config.hiddenSize } }).weights;
  }

  /** A model file in PyTorch's layout for the loaded vocabulary becomes the model in use (sampling and the test use
   *  it at once), once it passed every check and its session is built; the model in use is untouched otherwise.
   *  Its config: the one named in the file (else small) with the file's layers and hidden size. Not during a run. */
  async importModel(bytes: Uint8Array, name: string): Promise<string> {
    if (this.host.busy) throw new ConfigError('Stop the training run first: an imported model replaces the model in use.');
    const data = this.data;
    if (!data) throw new DataError('Penn TreeBank', 'load ptb.train.txt, ptb.valid.txt and ptb.test.txt first: a model comes with its vocabulary');
    const { model, weights, metadata } = decodeInterop(bytes, name, { task: 'ptb', vocab: data.prepared.vocab.words });
    const c = model.config as LmConfig;
    const named = metadata.ptbConfig !== undefined && Object.hasOwn(PTB_CONFIGS, metadata.ptbConfig) ? metadata.ptbConfig as keyof typeof PTB_CONFIGS : null;
    const base = PTB_CONFIGS[named ?? 'small'];
    const config: PtbConfig = { ...base, name: named ?? 'imported', numLayers: c.layers, hiddenSize: c.hidden, keepProb: c.keepProb, vocabSize: c.vocab };
    const { prepared } = data;
    const session = await PtbSession.create(this.device(), { train: prepared.train, valid: prepared.valid, test: prepared.test }, config);
    try {
      session.importWeights(weights);
    } catch (e) {
      session.destroy();
      throw e;
    }
    this.vocabOf.set(session, prepared.vocab);
    this.slot.set(session);
    return `a ${c.layers}-layer LSTM-${c.hidden} over ${c.vocab} words`;
  }

  /** The model in use as a file in PyTorch's layout. */
  exportModel(): Promise<{ bytes: Uint8Array; name: string }> {
    return this.host.request(() =>
      this.slot.use(async (s) => {
        const model = { task: 'ptb' as const, config: ptbModel(s.config), vocab: this.vocabOf.get(s)!.words };
        const bytes = encodeInterop(model, await s.exportWeights(), { ptbConfig: s.config.name, epochs: String(s.epoch) });
        return { bytes, name: `ptb-${s.config.name}.safetensors` };
      }),
    );
  }

  /** The weights of the model in use. */
  exportWeights(): Promise<Record<string, Float32Array>> {
    return this.slot.use((s) => s.exportWeights());
  }

  /** The test perplexity of the model in use on request (not during a run; a stop cancels it). */
  async evaluateTest(limit: number | null): Promise<void> {
    if (!this.slot.get()) throw new ConfigError('There is no model yet: start a training run first.');
    if (this.host.busy) throw new ConfigError('Wait for the current run to end (or stop it) first.');
    optionalCount(limit, 'Test steps (limit)');
    await this.host.start(async (control) => {
      try {
        await this.slot.use((s) => this.runTest(s, limit, control));
      } catch (e) {
        this.post({ type: 'phase-cancelled', task: 'ptb', phase: 'test', reason: e instanceof Cancelled ? 'stopped' : 'failed' });
        if (!(e instanceof Cancelled)) throw e;
      }
      return { state: 'done' };
    }, false);
  }

  /** Continues a prompt with the current model (also while it trains). Unknown words become <unk>. */
  async sample(requestId: number, prompt: string, count: number, temperature: number): Promise<void> {
    const session = this.slot.get();
    if (!session) throw new ConfigError('There is no model yet: start a training run first (sampling uses the model being trained).');
    if (!Number.isInteger(count) || count < 1 || count > PTB_MAX_SAMPLE_WORDS) {
      throw new ConfigError(`The number of words must be a whole number from 1 to ${PTB_MAX_SAMPLE_WORDS} (got ${count}).`);
    }
    if (!(temperature >= 0 && temperature <= PTB_MAX_TEMPERATURE)) throw new ConfigError(`Temperature must be from 0 to ${PTB_MAX_TEMPERATURE} (got ${temperature}).`);
    const { index, words } = this.vocabOf.get(session)!;
    const unknown: string[] = [];
    const promptWords: string[] = [];
    for (const raw of tokenize(prompt)) {
      const w = index.has(raw) ? raw : index.has(raw.toLowerCase()) ? raw.toLowerCase() : /^[+-]?\d[\d.,:/-]*$/.test(raw) && index.has('N') ? 'N' : null;
      if (w !== null) {
        promptWords.push(w);
        continue;
      }
      if (!index.has(PTB_UNK)) throw new ConfigError(`"${raw}" is not in the vocabulary, which has no ${PTB_UNK} to map it to.`);
      unknown.push(raw);
      promptWords.push(PTB_UNK);
    }
    // No prompt: start a new sentence (after an end of sentence).
    if (promptWords.length === 0) promptWords.push(index.has(EOS) ? EOS : words[0]!);
    const ids = promptWords.map((w) => index.get(w)!);
    const out = await this.host.request(() => this.slot.use((s) => s.sample(ids, count, temperature, requestId + 1), session));
    this.out({ type: 'ptb-sampled', task: 'ptb', requestId, prompt: promptWords, unknown, words: out.map((i) => words[i] ?? PTB_UNK) });
  }
}
