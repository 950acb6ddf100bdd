// The training worker: owns the GPU device and one host per task; the page only sends messages (protocol.ts),
// routed here in one place. Training never blocks the page: it runs here, yielding between steps so pause, stop
// and requests arrive at once. A lost device fails every run at once.
/// <reference lib="webworker" />
import { acquireGpu, type GpuContext } from '../gpu/device.ts';
import { GpuError } from '../gpu/errors.ts';
import { enableKernelTuningOnGpu } from '../nn/kernelChoice.ts';
import { FableTask } from './fableTask.ts';
import { runGradientCheck } from './gradcheck.ts';
import { messageOf, type TaskHost } from './host.ts';
import { MnistTask } from './mnistTask.ts';
import type { FromWorker, Task, ToWorker } from './protocol.ts';
import { PtbTask } from './ptbTask.ts';

declare const self: DedicatedWorkerGlobalScope;

function post(msg: FromWorker, transfer: Transferable[] = []): void {
  self.postMessage(msg, transfer);
}

let gpu: GpuContext | null = null;
const device = (): GPUDevice => {
  if (!gpu) throw new GpuError('no-adapter', 'WebGPU is not ready');
  return gpu.device;
};
const mnist = new MnistTask(device, post);
const fable = new FableTask(device, post);
const ptb = new PtbTask(device, post);
const hosts: Record<Task, TaskHost> = { mnist: mnist.host, fable: fable.host, ptb: ptb.host };
const tasks = { mnist, fable, ptb };
/** The task whose training started last: GPU errors outside a request are reported there. */
let lastTrained: Task = 'mnist';

type ErrorScope = Extract<FromWorker, { type: 'error' }>['scope'];
const trainScope = (task: Task): ErrorScope => (task === 'mnist' ? 'mnist-train' : task);

async function init(): Promise<void> {
  try {
    gpu = await acquireGpu(self.navigator.gpu);
    enableKernelTuningOnGpu(gpu); // real GPUs: sessions time the LSTM step-kernel variants for their shapes
    void gpu.lost.then((e) => {
      for (const h of Object.values(hosts)) h.fail(e.message);
      post({ type: 'fatal', kind: e.kind, message: e.message });
    });
    gpu.device.addEventListener('uncapturederror', (ev) => {
      post({ type: 'error', scope: trainScope(lastTrained), message: `GPU error: ${(ev as GPUUncapturedErrorEvent).error.message}` });
    });
    post({ type: 'ready', adapter: gpu.adapterInfo });
  } catch (e) {
    const err = e instanceof GpuError ? e : new GpuError('internal', String(e));
    post({ type: 'fatal', kind: err.kind, message: err.message });
  }
}

/** Runs a request or a load; its failure is reported in `scope` (a lost device is reported by gpu.lost). */
async function guard(scope: ErrorScope, fn: () => unknown): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof GpuError && e.kind === 'device-lost') return;
    post({ type: 'error', scope, message: messageOf(e) });
  }
}

/** An export or import: its failure is answered with 'model-file-error' for the task's model-file controls. */
async function modelFile(task: Task, action: 'export' | 'import', fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof GpuError && e.kind === 'device-lost') return;
    post({ type: 'model-file-error', task, action, message: messageOf(e) });
  }
}

function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case 'mnist-load-builtin':
      return guard('mnist-data', () => mnist.loadBuiltin(msg.baseUrl));
    case 'mnist-load-files':
      return guard('mnist-data', () => mnist.loadFiles(msg.files));
    case 'mnist-train':
      lastTrained = 'mnist';
      return mnist.train(msg.config);
    case 'mnist-inspect':
      return guard('mnist-inspect', () => mnist.inspect(msg.requestId, msg.image));
    case 'mnist-test-image':
      return guard('mnist-inspect', () => mnist.testImage(msg.requestId, msg.index));
    case 'mnist-evaluate':
      return guard('mnist-train', () => mnist.evaluate());
    case 'fable-load-builtin':
      return guard('fable', () => fable.loadBuiltin(msg.baseUrl));
    case 'fable-load-text':
      return guard('fable', () => fable.loadText(msg.name, msg.text, msg.maxVocab));
    case 'fable-restore-shipped':
      return guard('fable', () => fable.restoreShipped());
    case 'fable-train':
      lastTrained = 'fable';
      return fable.train(msg.preset, msg.iterations);
    case 'fable-generate':
      return guard('fable', () => fable.generate(msg.requestId, msg.input, msg.count, msg.temperature));
    case 'ptb-load-files':
      return guard('ptb', () => ptb.loadFiles(msg.files));
    case 'ptb-train':
      lastTrained = 'ptb';
      return ptb.train(msg.config, msg.options);
    case 'ptb-evaluate-test':
      lastTrained = 'ptb';
      return guard('ptb', () => ptb.evaluateTest(msg.limit));
    case 'ptb-sample':
      return guard('ptb', () => ptb.sample(msg.requestId, msg.prompt, msg.count, msg.temperature));
    case 'model-export':
      return modelFile(msg.task, 'export', async () => {
        const { bytes, name } = await tasks[msg.task].exportModel();
        const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
        post({ type: 'model-exported', task: msg.task, name, bytes: buffer }, [buffer]);
      });
    case 'model-import':
      return modelFile(msg.task, 'import', async () => {
        const description = await tasks[msg.task].importModel(new Uint8Array(msg.file.bytes), msg.file.name);
        post({ type: 'model-imported', task: msg.task, name: msg.file.name, description });
      });
    case 'pause':
      return Promise.resolve(hosts[msg.task].pause());
    case 'resume':
      return Promise.resolve(hosts[msg.task].resume());
    case 'stop':
      return Promise.resolve(hosts[msg.task].stop());
    case 'simulate-device-loss':
      gpu?.device.destroy(); // device.lost resolves: every run fails, and 'fatal' is posted
      return Promise.resolve();
    case 'check-gradients':
      return guard('diagnostics', async () => {
        const t0 = performance.now();
        const results = await runGradientCheck(device());
        post({ type: 'gradient-check', results, seconds: (performance.now() - t0) / 1000 });
      });
    default: {
      const never: never = msg;
      throw new Error(`unknown message ${(never as { type: string }).type}`);
    }
  }
}

const TASKS: readonly string[] = ['mnist', 'fable', 'ptb'];

/** A message the page could not have sent (no type, an unknown one, a run control without a known task). */
function malformed(data: unknown): string | null {
  if (typeof data !== 'object' || data === null || typeof (data as { type?: unknown }).type !== 'string') return 'a message without a type';
  const m = data as { type: string; task?: unknown };
  if (['pause', 'resume', 'stop', 'model-export', 'model-import'].includes(m.type) && !TASKS.includes(m.task as string)) return `${m.type} for an unknown task (${String(m.task)})`;
  if (m.type === 'model-import') {
    const f = (data as { file?: { name?: unknown; bytes?: unknown } }).file;
    if (typeof f?.name !== 'string' || !(f.bytes instanceof ArrayBuffer)) return 'a model-import without a file (name and bytes)';
  }
  return null;
}

const ready = init();
self.onmessage = (ev: MessageEvent<unknown>) => {
  void ready.then(async () => {
    const bad = malformed(ev.data);
    if (bad) return post({ type: 'error', scope: 'diagnostics', message: `The worker ignored ${bad}.` });
    try {
      await handle(ev.data as ToWorker);
    } catch (e) {
      post({ type: 'error', scope: 'diagnostics', message: `The worker could not handle a ${(ev.data as { type: string }).type} message: ${messageOf(e)}` });
    }
  });
};
