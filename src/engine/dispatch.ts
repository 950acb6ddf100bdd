// What the training worker does with each message, written apart from the worker global so it runs (and is
// tested) in Node too: one host per task, the device and its loss, the routing of every message in one switch,
// and an answer for a message the page could not have sent.
import type { GpuContext } from '../gpu/device.ts';
import { GpuError } from '../gpu/errors.ts';
import { enableKernelTuningOnGpu } from '../nn/kernelChoice.ts';
import { FableTask } from './fableTask.ts';
import { runGradientCheck } from './gradcheck.ts';
import { messageOf, type Post, type TaskHost } from './host.ts';
import { MnistTask } from './mnistTask.ts';
import type { FromWorker, Task, ToWorker } from './protocol.ts';
import { PtbTask } from './ptbTask.ts';
import type { RunStart } from './runStart.ts';
import { SAVE_SECONDS } from './runSaver.ts';
import { adapterName, SavedRuns } from './savedRuns.ts';

type ErrorScope = Extract<FromWorker, { type: 'error' }>['scope'];
const trainScope = (task: Task): ErrorScope => (task === 'mnist' ? 'mnist-train' : task);
const TASKS: readonly string[] = ['mnist', 'fable', 'ptb'];

/** A message the page could not have sent (not an object, no type, an unknown type, a run control without a
 *  known task); null when it has the shape of a ToWorker. */
export function malformed(data: unknown): string | null {
  if (typeof data !== 'object' || data === null || typeof (data as { type?: unknown }).type !== 'string') return 'a message without a type';
  const m = data as { type: string; task?: unknown };
  if (!Object.hasOwn(KNOWN_TYPES, m.type)) return `a message of an unknown type (${JSON.stringify(m.type.slice(0, 40))})`;
  if (['pause', 'resume', 'stop', 'model-export', 'model-import'].includes(m.type) && !TASKS.includes(m.task as string)) return `${m.type} for an unknown task (${String(m.task)})`;
  if (m.type === 'run-resume' && typeof (data as { id?: unknown }).id !== 'string') return 'a run-resume without the id of a saved run';
  if (m.type === 'save-settings' && !Number.isFinite((data as { everySeconds?: unknown }).everySeconds)) return 'save-settings without a number of seconds';
  if (m.type === 'model-import') {
    const f = (data as { file?: { name?: unknown; bytes?: unknown } }).file;
    if (typeof f?.name !== 'string' || !(f.bytes instanceof ArrayBuffer)) return 'a model-import without a file (name and bytes)';
  }
  return null;
}

/** Every message the page may send (a type added to ToWorker and not here fails the type check). */
const KNOWN_TYPES: Record<ToWorker['type'], true> = {
  'mnist-load-builtin': true, 'mnist-load-files': true, 'mnist-train': true, 'mnist-inspect': true, 'mnist-test-image': true, 'mnist-evaluate': true,
  'fable-load-builtin': true, 'fable-load-text': true, 'fable-restore-shipped': true, 'fable-train': true, 'fable-generate': true,
  'ptb-load-files': true, 'ptb-train': true, 'ptb-evaluate-test': true, 'ptb-sample': true,
  'model-export': true, 'model-import': true, 'run-resume': true, 'save-settings': true,
  pause: true, resume: true, stop: true, 'simulate-device-loss': true, 'check-gradients': true,
};

/** A second lost device within this time stops instead of trying again. */
export const DEVICE_LOSS_WINDOW_MS = 60_000;

export interface DispatcherOptions {
  /** Keep the page's runs in the browser as they train (IndexedDB: the worker; not the headless trainer). */
  saving?: boolean;
  /** Gets a new device after a loss (the worker); without it, a lost device is fatal. */
  acquire?: () => Promise<GpuContext>;
}

export class Dispatcher {
  private gpu: GpuContext | null = null;
  readonly runs: SavedRuns;
  private lastLoss = -Infinity;
  /** Where the page's built-in data is (the last baseUrl it sent): a resume after a lost device loads from there. */
  private baseUrl = '';
  readonly mnist: MnistTask;
  readonly fable: FableTask;
  readonly ptb: PtbTask;
  private readonly hosts: Record<Task, TaskHost>;
  /** The task whose training started last: GPU errors outside a request are reported there. */
  private lastTrained: Task = 'mnist';

  constructor(
    private readonly post: Post,
    private readonly options: DispatcherOptions = {},
  ) {
    const device = (): GPUDevice => {
      if (!this.gpu) throw new GpuError('no-adapter', 'WebGPU is not ready');
      return this.gpu.device;
    };
    this.mnist = new MnistTask(device, post);
    this.fable = new FableTask(device, post);
    this.ptb = new PtbTask(device, post);
    this.hosts = { mnist: this.mnist.host, fable: this.fable.host, ptb: this.ptb.host };
    this.runs = new SavedRuns(this, this.hosts, post, () => (this.gpu ? adapterName(this.gpu.adapterInfo) : 'unknown adapter'), options.saving ?? false);
  }

  /** The device is there: real GPUs time the LSTM step-kernel variants per shape; a lost device fails every run
   *  at once and is reported as fatal. */
  attach(gpu: GpuContext): void {
    this.gpu = gpu;
    enableKernelTuningOnGpu(gpu);
    void gpu.lost.then((e) => this.lost(gpu, e));
    gpu.device.addEventListener('uncapturederror', (ev) => {
      this.post({ type: 'error', scope: trainScope(this.lastTrained), message: `GPU error: ${(ev as GPUUncapturedErrorEvent).error.message}` });
    });
    this.post({ type: 'ready', adapter: gpu.adapterInfo });
  }

  /**
   * The device is gone: every run stops at once ('failed'). With a way to get another device, the app goes on:
   * a new device, the tasks' models made again, and the runs that were training resumed from their last saves
   * (saying how many steps are redone). A second loss within a minute is fatal instead of a loop.
   */
  private async lost(gpu: GpuContext, e: GpuError): Promise<void> {
    if (gpu !== this.gpu) return;
    const now = performance.now();
    const again = now - this.lastLoss < DEVICE_LOSS_WINDOW_MS;
    this.lastLoss = now;
    this.gpu = null;
    const recover = this.options.acquire !== undefined && !again;
    const reload = 'reload the page: the interrupted runs are offered there, from their last saves; your settings are kept.';
    const advice = recover
      ? 'rnnlab gets a new device, and the run goes on from its last save.'
      : again
        ? `It was lost twice within a minute, so rnnlab stopped instead of trying again: ${reload}`
        : `To go on, ${reload}`;
    for (const h of Object.values(this.hosts)) h.fail(`${e.message} ${advice}`);
    if (!recover) {
      this.post({ type: 'fatal', kind: e.kind, message: `${e.message} ${advice}` });
      return;
    }
    let next: GpuContext;
    try {
      next = await this.options.acquire!();
    } catch (err) {
      this.post({ type: 'fatal', kind: e.kind, message: `${e.message} No new device could be had (${messageOf(err)}): ${reload}` });
      return;
    }
    this.attach(next);
    this.mnist.deviceReplaced();
    this.ptb.deviceReplaced();
    await this.guard('fable', () => this.fable.deviceReplaced());
    // the runs that were training end first (their device is gone): then their last saves are known
    await Promise.all(Object.values(this.hosts).map((h) => Promise.race([h.whenIdle(), new Promise((r) => setTimeout(r, 5000))])));
    const interrupted = this.runs.interrupted();
    const saved = interrupted.filter((r) => r.savedStep !== null);
    const resumed = saved.map((r) => ({ task: r.task, name: r.name, fromStep: r.savedStep!, redone: Math.max(0, r.reached - r.savedStep!) }));
    const what = [
      ...resumed.map((r) => `"${r.name}" goes on from its save at step ${r.fromStep} (${r.redone} step${r.redone === 1 ? '' : 's'} redone)`),
      ...interrupted.filter((r) => r.savedStep === null).map((r) => `"${r.name}" had no save yet: start it again`),
    ];
    this.post({ type: 'device-recovered', message: `${e.message.replace(/\.$/, '')}; rnnlab got a new one.${what.length ? ` ${what.join('; ')}.` : ''}`, resumed });
    // each goes on once its old run has ended, however long that takes
    for (const r of saved) void this.hosts[r.task].whenIdle().then(() => this.guard(trainScope(r.task), () => this.runs.resume(r.id, this.baseUrl, r.paused)));
  }

  /** Any message from the page: checked, then handled; what goes wrong is answered with an error message. */
  async receive(data: unknown): Promise<void> {
    const bad = malformed(data);
    if (bad) return this.post({ type: 'error', scope: 'diagnostics', message: `The worker ignored ${bad}.` });
    try {
      await this.handle(data as ToWorker);
    } catch (e) {
      this.post({ type: 'error', scope: 'diagnostics', message: `The worker could not handle a ${(data as { type: string }).type} message: ${messageOf(e)}` });
    }
  }

  /** Runs a request or a load; its failure is reported in `scope` (a lost device is reported by gpu.lost). */
  private async guard(scope: ErrorScope, fn: () => unknown): Promise<void> {
    try {
      await fn();
    } catch (e) {
      if (e instanceof GpuError && e.kind === 'device-lost') return;
      this.post({ type: 'error', scope, message: messageOf(e) });
    }
  }

  /** An export or import: its failure is answered with 'model-file-error' for the task's model-file controls. */
  private async modelFile(task: Task, action: 'export' | 'import', fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      if (e instanceof GpuError && e.kind === 'device-lost') return;
      this.post({ type: 'model-file-error', task, action, message: messageOf(e) });
    }
  }

  /** A run the page starts: saved as it trains where runs are kept (the worker). */
  private train(start: RunStart): Promise<void> {
    this.lastTrained = start.task;
    return this.runs.train(start);
  }

  private handle(msg: ToWorker): Promise<void> {
    if ('baseUrl' in msg) this.baseUrl = msg.baseUrl;
    const { mnist, fable, ptb, hosts } = this;
    const guard = this.guard.bind(this);
    switch (msg.type) {
      case 'mnist-load-builtin':
        return guard('mnist-data', () => mnist.loadBuiltin(msg.baseUrl));
      case 'mnist-load-files':
        return guard('mnist-data', () => mnist.loadFiles(msg.files));
      case 'mnist-train':
        return this.train({ task: 'mnist', config: msg.config });
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
        return this.train({ task: 'fable', preset: msg.preset, iterations: msg.iterations });
      case 'fable-generate':
        return guard('fable', () => fable.generate(msg.requestId, msg.input, msg.count, msg.temperature));
      case 'ptb-load-files':
        return guard('ptb', () => ptb.loadFiles(msg.files));
      case 'ptb-train':
        return this.train({ task: 'ptb', config: msg.config, options: msg.options });
      case 'ptb-evaluate-test':
        this.lastTrained = 'ptb';
        return guard('ptb', () => ptb.evaluateTest(msg.limit));
      case 'ptb-sample':
        return guard('ptb', () => ptb.sample(msg.requestId, msg.prompt, msg.count, msg.temperature));
      case 'model-export':
        return this.modelFile(msg.task, 'export', async () => {
          const { bytes, name } = await this[msg.task].exportModel();
          const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
          this.post({ type: 'model-exported', task: msg.task, name, bytes: buffer }, [buffer]);
        });
      case 'model-import':
        return this.modelFile(msg.task, 'import', async () => {
          const description = await this[msg.task].importModel(new Uint8Array(msg.file.bytes), msg.file.name);
          this.post({ type: 'model-imported', task: msg.task, name: msg.file.name, description });
        });
      case 'run-resume': {
        const task = TASKS.find((t) => msg.id.startsWith(`${t}-`)) as Task | undefined;
        if (task) this.lastTrained = task;
        return guard(task ? trainScope(task) : 'diagnostics', () => this.runs.resume(msg.id, msg.baseUrl));
      }
      case 'save-settings':
        this.runs.everySeconds = Math.min(SAVE_SECONDS.max, Math.max(SAVE_SECONDS.min, msg.everySeconds));
        return Promise.resolve();
      case 'pause':
        return Promise.resolve(hosts[msg.task].pause());
      case 'resume':
        return Promise.resolve(hosts[msg.task].resume());
      case 'stop':
        return Promise.resolve(hosts[msg.task].stop());
      case 'simulate-device-loss':
        this.gpu?.device.destroy(); // device.lost resolves: every run fails, and 'fatal' is posted
        return Promise.resolve();
      case 'check-gradients':
        return guard('diagnostics', async () => {
          if (!this.gpu) throw new GpuError('no-adapter', 'WebGPU is not ready');
          const t0 = performance.now();
          const results = await runGradientCheck(this.gpu.device);
          this.post({ type: 'gradient-check', results, seconds: (performance.now() - t0) / 1000 });
        });
      default: {
        const never: never = msg;
        throw new Error(`unknown message ${(never as { type: string }).type}`);
      }
    }
  }
}
