// The training worker: owns the GPU device and every model; the page only sends messages (protocol.ts).
// Training never blocks the page: it runs here, yielding between steps so pause/stop arrive at once.
/// <reference lib="webworker" />
import { loadMnist, MNIST_FILE_NAMES, MNIST_ROLES, identifyMnistFile, mnistImage, type MnistData, type MnistFiles, type MnistRole } from '../data/idx.ts';
import { DataError } from '../data/errors.ts';
import { acquireGpu, type GpuContext } from '../gpu/device.ts';
import { enableKernelTuningOnGpu } from '../nn/kernelChoice.ts';
import { GpuError } from '../gpu/errors.ts';
import { RateMeter, RunControl } from './control.ts';
import { ConfigError } from './errors.ts';
import { runGradientCheck } from './gradcheck.ts';
import { FableWorker } from './fableWorker.ts';
import { defaultMnistConfig, MnistSession, type MnistTrainConfig } from './mnist.ts';
import type { FromWorker, NamedFile, Task, ToWorker } from './protocol.ts';
import { PtbWorker } from './ptbWorker.ts';

declare const self: DedicatedWorkerGlobalScope;

function post(msg: FromWorker, transfer: Transferable[] = []): void {
  self.postMessage(msg, transfer);
}

let gpu: GpuContext | null = null;
let mnistData: MnistData | null = null;
let mnist: { session: MnistSession; trained: boolean } | null = null;
const controls = new Map<Task, RunControl>();
/** The task whose training started last: GPU errors outside a request are reported there. */
let lastTrained: Task = 'mnist';
const fable = new FableWorker(() => {
  if (!gpu) throw new GpuError('no-adapter', 'WebGPU is not ready');
  return gpu.device;
}, post);
const ptb = new PtbWorker(() => {
  if (!gpu) throw new GpuError('no-adapter', 'WebGPU is not ready');
  return gpu.device;
}, post);

async function init(): Promise<void> {
  try {
    gpu = await acquireGpu(self.navigator.gpu);
    enableKernelTuningOnGpu(gpu); // real GPUs: sessions time the LSTM step-kernel variants for their shapes
    gpu.lost.then((e) => post({ type: 'fatal', kind: e.kind, message: e.message }));
    gpu.device.addEventListener('uncapturederror', (ev) => {
      post({ type: 'error', scope: lastTrained === 'fable' ? 'fable' : lastTrained === 'ptb' ? 'ptb' : 'mnist-train', message: `GPU error: ${(ev as GPUUncapturedErrorEvent).error.message}` });
    });
    post({ type: 'ready', adapter: gpu.adapterInfo });
  } catch (e) {
    const err = e instanceof GpuError ? e : new GpuError('internal', String(e));
    post({ type: 'fatal', kind: err.kind, message: err.message });
  }
}

async function fetchWithProgress(url: string, file: string): Promise<Uint8Array> {
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
      post({ type: 'mnist-load-progress', file, loaded, total });
      lastPost = loaded;
    }
  }
  post({ type: 'mnist-load-progress', file, loaded, total: total || loaded });
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

async function loadBuiltinMnist(baseUrl: string): Promise<void> {
  const files = {} as MnistFiles;
  for (const role of MNIST_ROLES) {
    const name = MNIST_FILE_NAMES[role];
    files[role] = await fetchWithProgress(`${baseUrl}data/mnist/${name}`, name);
  }
  mnistData = await loadMnist(files);
  post({ type: 'mnist-loaded', source: 'builtin', train: mnistData.train.count, test: mnistData.test.count });
}

async function loadMnistFiles(list: NamedFile[]): Promise<void> {
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
  const data = await loadMnist(files as MnistFiles, names);
  mnistData = data;
  post({ type: 'mnist-loaded', source: 'files', train: data.train.count, test: data.test.count });
}

function messageOf(e: unknown): string {
  if (e instanceof DataError || e instanceof ConfigError || e instanceof GpuError) return e.message;
  return e instanceof Error ? e.message : String(e);
}

/** Settles when the current MNIST run has returned (its GPU buffers are no longer used). */
let mnistRun: Promise<void> = Promise.resolve();

async function trainMnist(config: MnistTrainConfig): Promise<void> {
  controls.get('mnist')?.stop();
  const previous = mnistRun;
  let finished!: () => void;
  mnistRun = new Promise((resolve) => (finished = resolve));
  try {
    await previous; // the old run stops at its next step boundary
    await runMnist(config);
  } finally {
    finished();
  }
}

async function runMnist(config: MnistTrainConfig): Promise<void> {
  if (!gpu) throw new GpuError('no-adapter', 'WebGPU is not ready');
  if (!mnistData) throw new DataError('MNIST', 'load the data first');
  const control = new RunControl();
  controls.set('mnist', control);
  post({ type: 'train-state', task: 'mnist', state: 'preparing' });
  const session = await MnistSession.create(gpu.device, mnistData, config);
  mnist?.session.destroy();
  mnist = { session, trained: false };
  post({ type: 'train-started', task: 'mnist', epochs: config.epochs, stepsPerEpoch: session.stepsPerEpoch, dispatchesPerStep: session.dispatchesPerStep, batch: config.batch, gpuBytes: session.gpuBytes });
  post({ type: 'train-state', task: 'mnist', state: 'running' });
  const meter = new RateMeter(control);
  let diverged = false;
  for (let epoch = 0; epoch < config.epochs && !control.isStopped && !diverged; epoch++) {
    const t0 = performance.now();
    const finished = await session.trainEpoch(
      control,
      (m) => {
        if (!Number.isFinite(m.loss)) {
          diverged = true;
          control.stop();
          return;
        }
        post({ type: 'train-metrics', task: 'mnist', step: m.step, epoch: m.epoch, loss: m.loss, accuracy: m.accuracy });
      },
      (epochStep) => {
        mnist!.trained = true;
        const stepsPerSecond = meter.tick(epochStep === session.stepsPerEpoch);
        if (stepsPerSecond !== null) {
          const stepsLeft = (config.epochs - epoch) * session.stepsPerEpoch - epochStep;
          post({
            type: 'train-progress', task: 'mnist', step: session.globalStep, epoch, epochStep, stepsPerEpoch: session.stepsPerEpoch,
            stepsPerSecond, samplesPerSecond: stepsPerSecond * config.batch, secondsLeft: stepsPerSecond > 0 ? stepsLeft / stepsPerSecond : Infinity,
          });
        }
      },
    );
    if (!finished || diverged) break;
    const ev = await session.evaluate();
    if (!Number.isFinite(ev.loss)) {
      diverged = true;
      break;
    }
    session.snapshot();
    post({ type: 'train-epoch', task: 'mnist', epoch: epoch + 1, testAccuracy: ev.accuracy, testLoss: ev.loss, seconds: (performance.now() - t0) / 1000 });
  }
  if (diverged) {
    const restored = session.restoreSnapshot();
    post({
      type: 'train-state', task: 'mnist', state: 'diverged',
      message: `Training diverged: the loss became NaN or infinite. ${restored ? 'The weights of the last good epoch were restored. ' : ''}Try a lower learning rate.`,
    });
  } else {
    post({ type: 'train-state', task: 'mnist', state: control.isStopped ? 'stopped' : 'done' });
  }
}

async function inspectMnist(requestId: number, image: Float32Array): Promise<void> {
  if (!gpu) throw new GpuError('no-adapter', 'WebGPU is not ready');
  if (!mnist) mnist = { session: await MnistSession.create(gpu.device, null, defaultMnistConfig('lstm')), trained: false };
  const r = await mnist.session.inspect(image);
  const cfg = mnist.session.config.model;
  post(
    { type: 'mnist-inspection', requestId, trained: mnist.trained, cell: cfg.cell, probs: r.probs, hidden: r.hidden, gates: r.gates ?? null, hiddenSize: cfg.hidden },
    [r.probs.buffer, r.hidden.buffer],
  );
}

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case 'mnist-load-builtin':
      return guard('mnist-data', () => loadBuiltinMnist(msg.baseUrl));
    case 'mnist-load-files':
      return guard('mnist-data', () => loadMnistFiles(msg.files));
    case 'mnist-train':
      lastTrained = 'mnist';
      return guard('mnist-train', () => trainMnist(msg.config), () => post({ type: 'train-state', task: 'mnist', state: 'failed' }));
    case 'mnist-inspect':
      return guard('mnist-inspect', () => inspectMnist(msg.requestId, msg.image));
    case 'mnist-test-image': {
      if (!mnistData) return post({ type: 'error', scope: 'mnist-inspect', message: 'Load MNIST first to browse test images.' });
      const i = Math.max(0, Math.min(mnistData.test.count - 1, Math.floor(msg.index)));
      const image = mnistImage(mnistData.test, i);
      return post({ type: 'mnist-test-image', requestId: msg.requestId, index: i, image, label: mnistData.test.labels[i] }, [image.buffer]);
    }
    case 'fable-load-builtin':
      return guard('fable', () => fable.loadBuiltin(msg.baseUrl));
    case 'fable-load-text':
      return guard('fable', () => fable.loadText(msg.name, msg.text, msg.maxVocab));
    case 'fable-train':
      lastTrained = 'fable';
      return guard('fable', () => fable.train(msg.preset, msg.iterations), () => post({ type: 'train-state', task: 'fable', state: 'failed' }));
    case 'fable-generate':
      return guard('fable', () => fable.generate(msg.requestId, msg.input, msg.count, msg.temperature));
    case 'ptb-load-files':
      return guard('ptb', () => ptb.loadFiles(msg.files));
    case 'ptb-train':
      lastTrained = 'ptb';
      return guard('ptb', () => ptb.train(msg.config, msg.options), () => post({ type: 'train-state', task: 'ptb', state: 'failed' }));
    case 'ptb-evaluate-test':
      lastTrained = 'ptb';
      return guard('ptb', () => ptb.evaluateTest(msg.limit), () => post({ type: 'ptb-test-cancelled', reason: 'failed' }));
    case 'ptb-sample':
      return guard('ptb', () => ptb.sample(msg.requestId, msg.prompt, msg.count, msg.temperature));
    case 'pause':
      controlOf(msg.task)?.pause();
      return post({ type: 'train-state', task: msg.task, state: 'paused' });
    case 'resume':
      controlOf(msg.task)?.resume();
      return post({ type: 'train-state', task: msg.task, state: 'running' });
    case 'stop':
      controlOf(msg.task)?.stop();
      return;
    case 'simulate-device-loss':
      gpu?.device.destroy(); // device.lost resolves: reported as 'fatal' by init()
      return;
    case 'check-gradients':
      return guard('diagnostics', async () => {
        if (!gpu) throw new GpuError('no-adapter', 'WebGPU is not ready');
        const t0 = performance.now();
        const results = await runGradientCheck(gpu.device);
        post({ type: 'gradient-check', results, seconds: (performance.now() - t0) / 1000 });
      });
    default: {
      const never: never = msg;
      throw new Error(`unknown message ${(never as { type: string }).type}`);
    }
  }
}

function controlOf(task: Task): RunControl | null | undefined {
  return task === 'fable' ? fable.runControl : task === 'ptb' ? ptb.runControl : controls.get(task);
}

async function guard(scope: Extract<FromWorker, { type: 'error' }>['scope'], fn: () => Promise<void>, onError?: () => void): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof GpuError && e.kind === 'device-lost') return post({ type: 'fatal', kind: e.kind, message: e.message });
    post({ type: 'error', scope, message: messageOf(e) });
    onError?.();
  }
}

const ready = init();
self.onmessage = (ev: MessageEvent<ToWorker>) => {
  void ready.then(() => handle(ev.data));
};
