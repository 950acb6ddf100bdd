// MNIST in the worker: the data (built in, fetched with progress, or the user's IDX files), training runs with a
// test evaluation after every epoch, and the requests a person makes meanwhile (classify a drawing, a test image,
// evaluate now). The policies (one run, requests between steps, sessions freed once, device loss, NaN) are the
// host's.
import { concatBytes, loadMnist, MNIST_FILE_NAMES, MNIST_ROLES, identifyMnistFile, mnistImage, type MnistData, type MnistFiles, type MnistRole } from '../data/idx.ts';
import { DataError } from '../data/errors.ts';
import { decodeInterop, encodeInterop, interopFileName } from '../data/interop.ts';
import type { ClassifierConfig } from '../models/classifier.ts';
import type { RunControl } from './control.ts';
import { ConfigError } from './errors.ts';
import { divergedMessage, ProgressReporter, savePiece, SessionSlot, TaskHost, type Post, type RunEnd, type RunPieces } from './host.ts';
import { defaultMnistConfig, mnistFingerprint, MnistSession, type MnistCheckpoint, type MnistTrainConfig } from './mnist.ts';
import type { NamedFile } from './protocol.ts';

/**
 * An MNIST model file in PyTorch's layout (src/data/interop.ts), checked: the task, the shapes of MNIST row by row
 * (28 steps of 28 pixels, 10 classes), and any of `want`'s keys (e.g. the cell and hidden size a run asked for).
 */
export function readMnistModel(bytes: Uint8Array, name: string, want: Partial<ClassifierConfig> = {}): { config: ClassifierConfig; weights: Record<string, Float32Array> } {
  const { model, weights } = decodeInterop(bytes, name, { task: 'mnist', config: { steps: 28, inputSize: 28, classes: 10, ...want } });
  return { config: model.config as ClassifierConfig, weights };
}

export class MnistTask {
  readonly host: TaskHost;
  private data: MnistData | null = null;
  private readonly slot = new SessionSlot<MnistSession>();
  /** Sessions that have taken at least one training step (an inspection says whether the model is trained). */
  private readonly trained = new WeakSet<MnistSession>();

  constructor(private readonly device: () => GPUDevice, private readonly out: Post) {
    this.host = new TaskHost('mnist', out);
  }

  /** The session in use (for tests). */
  get session(): MnistSession | null {
    return this.slot.get();
  }

  private async fetchWithProgress(url: string, file: string): Promise<Uint8Array> {
    const res = await fetch(url);
    if (!res.ok || !res.body) throw new DataError(file, `could not be fetched from the app (${res.status} ${res.statusText})`);
    const total = Number(res.headers.get('Content-Length') ?? 0);
    const reader = res.body.getReader();
    const chunks: Uint8Array[] = [];
    let loaded = 0;
    let lastPost = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.length;
      if (loaded - lastPost > 1 << 20) {
        this.out({ type: 'mnist-load-progress', task: 'mnist', file, loaded, total });
        lastPost = loaded;
      }
    }
    this.out({ type: 'mnist-load-progress', task: 'mnist', file, loaded, total: total || loaded });
    return concatBytes(chunks, loaded);
  }

  async loadBuiltin(baseUrl: string): Promise<void> {
    const files = {} as MnistFiles;
    for (const role of MNIST_ROLES) {
      const name = MNIST_FILE_NAMES[role];
      files[role] = await this.fetchWithProgress(`${baseUrl}data/mnist/${name}`, name);
    }
    this.useData(await loadMnist(files), 'builtin');
  }

  async loadFiles(list: NamedFile[]): Promise<void> {
    const files: Partial<MnistFiles> = {};
    const names: Partial<Record<MnistRole, string>> = {};
    for (const f of list) {
      const role = identifyMnistFile(f.name);
      if (!role) throw new DataError(f.name, 'not an MNIST file name (expected train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte or t10k-labels-idx1-ubyte, optionally .gz)');
      files[role] = new Uint8Array(f.bytes);
      names[role] = f.name;
    }
    const missing = MNIST_ROLES.filter((r) => !files[r]).map((r) => MNIST_FILE_NAMES[r]);
    if (missing.length) throw new DataError(missing.join(', '), 'missing: pick all four IDX files');
    // Parsed completely before it replaces anything: a bad file leaves the loaded data untouched.
    this.useData(await loadMnist(files as MnistFiles, names), 'files', MNIST_ROLES.map((r) => names[r]!));
  }

  /** Where the data in use came from (a saved run records it; null: none loaded). */
  get dataSource(): { source: 'builtin' | 'files'; names: string[] } | null {
    return this.source;
  }
  private source: { source: 'builtin' | 'files'; names: string[] } | null = null;

  /** The fingerprint of the training data in use (a saved run goes on only with the same), null: none loaded. */
  dataFingerprint(): string | null {
    return this.data ? mnistFingerprint(this.data.train) : null;
  }

  /** The data itself, already parsed (the headless trainer and tests). */
  useData(data: MnistData, source: 'builtin' | 'files', names: string[] = MNIST_ROLES.map((r) => MNIST_FILE_NAMES[r])): void {
    this.data = data;
    this.source = { source, names };
    this.out({ type: 'mnist-loaded', task: 'mnist', source, train: data.train.count, test: data.test.count });
  }

  /** `maxSteps`: the run stops after that many training steps (the headless trainer's --steps); `init`: the
   *  weights it starts from (readMnistModel's, of config.model) instead of a fresh initialisation. */
  train(config: MnistTrainConfig, maxSteps = Infinity, init?: Record<string, Float32Array>, pieces?: RunPieces<MnistCheckpoint>, name?: string): Promise<void> {
    return this.host.start((control) => this.run(config, maxSteps, init, pieces, name, control));
  }

  private async run(
    config: MnistTrainConfig,
    maxSteps: number,
    init: Record<string, Float32Array> | undefined,
    pieces: RunPieces<MnistCheckpoint> | undefined,
    name: string | undefined,
    control: RunControl,
  ): Promise<RunEnd> {
    const data = this.data;
    if (!data) throw new DataError('MNIST', 'load the data first');
    const host = this.host;
    const session = await MnistSession.create(this.device(), data, config);
    try {
      if (init) session.importWeights(init);
      if (pieces?.resume) session.restore(pieces.resume, name);
    } catch (e) {
      session.destroy();
      throw e;
    }
    this.slot.set(session);
    const plan = { epochs: config.epochs, stepsPerEpoch: session.stepsPerEpoch, samplesPerStep: config.batch };
    host.started({ ...plan, dispatchesPerStep: session.dispatchesPerStep, kernels: session.kernelTimings, parameters: session.params.count, batch: config.batch, gpuBytes: session.gpuBytes });
    return this.slot.use(async () => {
      const progress = new ProgressReporter(host, control, plan);
      let goodEpoch = 0;
      const save = () => savePiece(pieces, () => session.checkpoint(pieces!.notes()));
      const due = pieces?.due && (() => pieces.due!());
      for (let epoch = session.epoch; epoch < config.epochs; epoch++) {
        const t0 = performance.now();
        // in pieces of pieces.every steps, each saved (a run not in pieces: the whole epoch at once)
        let r;
        do {
          const from = session.epochStep;
          r = await session.trainEpoch(
            control,
            (m) => host.post({ type: 'train-metrics', task: 'mnist', step: m.step, epoch: m.epoch, epochStep: m.step - epoch * session.stepsPerEpoch, values: { loss: m.loss, accuracy: m.accuracy } }),
            (epochStep) => {
              this.trained.add(session);
              progress.step(session.globalStep, epoch, epochStep);
              if (session.globalStep >= maxSteps) control.stop();
            },
            pieces ? Math.min(from + pieces.every, session.stepsPerEpoch) : session.stepsPerEpoch,
            from,
            due,
          );
          if ((r.completed || r.cut) && session.epoch === epoch) await save();
        } while ((r.completed || r.cut) && session.epoch === epoch);
        if (r.diverged) return this.diverged(session, goodEpoch);
        if (!r.completed) {
          await save(); // a stopped run can go on later from where it stopped
          return { state: 'stopped' };
        }
        const ev = await session.evaluate();
        if (!Number.isFinite(ev.loss)) return this.diverged(session, goodEpoch);
        session.snapshot();
        goodEpoch = epoch + 1;
        // the epoch's result first: it is part of the run's curves the save keeps
        host.post({ type: 'phase-result', task: 'mnist', phase: 'epoch', epoch: epoch + 1, values: { accuracy: ev.accuracy, loss: ev.loss }, seconds: (performance.now() - t0) / 1000, steps: session.testCount, total: session.testCount });
        await save();
      }
      return { state: 'done' };
    }, session);
  }

  private diverged(session: MnistSession, goodEpoch: number): RunEnd {
    const restored = session.restoreSnapshot() ? `The weights after epoch ${goodEpoch} were restored.` : null;
    return { state: 'diverged', message: divergedMessage('loss', restored, 'Try a lower learning rate.') };
  }

  /** Classifies a drawing with the model in use (the one training, between two of its steps), or an untrained
   *  LSTM before any run. */
  inspect(requestId: number, image: Float32Array): Promise<void> {
    if (!(image instanceof Float32Array) || image.length !== 28 * 28) {
      return Promise.reject(new DataError('image', `28 x 28 = 784 pixel values in a Float32Array are expected (got ${image instanceof Float32Array ? image.length : typeof image})`));
    }
    return this.host.request(async () => {
      if (!this.slot.get()) this.slot.set(await MnistSession.create(this.device(), null, defaultMnistConfig('lstm')));
      await this.slot.use(async (s) => {
        const r = await s.inspect(image);
        const cfg = s.config.model;
        this.out(
          { type: 'mnist-inspection', task: 'mnist', requestId, trained: this.trained.has(s), cell: cfg.cell, probs: r.probs, hidden: r.hidden, gates: r.gates ?? null, hiddenSize: cfg.hidden },
          [r.probs.buffer, r.hidden.buffer],
        );
      });
    });
  }

  /** The model in use as a file in PyTorch's layout, and the name to save it as. */
  exportModel(): Promise<{ bytes: Uint8Array; name: string }> {
    return this.host.request(() =>
      this.slot.use(async (s) => {
        const model = { task: 'mnist' as const, config: s.config.model };
        return { bytes: encodeInterop(model, await s.exportWeights()), name: interopFileName(model) };
      }),
    );
  }

  /** A model file in PyTorch's layout becomes the model in use (drawings are classified with it at once), once it
   *  passed every check and its session is built; the model in use is untouched otherwise. Not during a run. */
  async importModel(bytes: Uint8Array, name: string): Promise<string> {
    if (this.host.busy) throw new ConfigError('Stop the training run first: an imported model replaces the model in use.');
    const file = readMnistModel(bytes, name);
    const session = await MnistSession.create(this.device(), this.data, { ...defaultMnistConfig(file.config.cell), model: file.config });
    try {
      session.importWeights(file.weights);
    } catch (e) {
      session.destroy();
      throw e;
    }
    this.slot.set(session);
    this.trained.add(session);
    return `an ${file.config.cell.toUpperCase()} with ${file.config.hidden} hidden units`;
  }

  /** The device was replaced (the old one was lost): the model in use was on it; drawings get a new one. */
  deviceReplaced(): void {
    this.slot.set(null);
  }

  testImage(requestId: number, index: number): void {
    const data = this.data;
    if (!data) throw new DataError('MNIST', 'load MNIST first to browse test images');
    const i = Math.max(0, Math.min(data.test.count - 1, Math.floor(index)));
    const image = mnistImage(data.test, i);
    this.out({ type: 'mnist-test-image', task: 'mnist', requestId, index: i, image, label: data.test.labels[i]! }, [image.buffer]);
  }

  /** Test accuracy of the model in use on the full test set, now (also between two training steps). */
  evaluate(): Promise<void> {
    return this.host.request(() =>
      this.slot.use(async (s) => {
        if (!s.hasData) throw new DataError('MNIST', 'train a model first: the model in use has not seen the data');
        const t0 = performance.now();
        const ev = await s.evaluate();
        this.out({ type: 'phase-result', task: 'mnist', phase: 'test', epoch: s.epoch, values: { accuracy: ev.accuracy, loss: ev.loss }, seconds: (performance.now() - t0) / 1000, steps: s.testCount, total: s.testCount, partial: false });
      }),
    );
  }
}
