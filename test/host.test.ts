// The one host's policies, for each of the three tasks, on the real GPU with the real data: three starts give one
// run; a request during training is answered before the run ends; a session replaced while a request uses it is
// freed exactly once, after that request; a lost device fails the run at once and nothing is counted after it;
// NaN gives the one message and the restore of the last good weights.
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { MnistData } from '../src/data/idx.ts';
import { FableTask } from '../src/engine/fableTask.ts';
import type { TaskHost } from '../src/engine/host.ts';
import { defaultMnistConfig } from '../src/engine/mnist.ts';
import { MnistTask } from '../src/engine/mnistTask.ts';
import type { FromWorker, Task } from '../src/engine/protocol.ts';
import { PTB_CONFIGS } from '../src/engine/ptb.ts';
import { PtbTask } from '../src/engine/ptbTask.ts';
import { Session } from '../src/engine/session.ts';
import { acquireNodeGpu } from '../src/gpu/node.ts';
import type { ParamSet } from '../src/nn/params.ts';
import { testDevice } from './gpu.ts';
import { fableText, mnistSubset, ptbFile } from './task-data.ts';

let mnistData: MnistData;
beforeAll(async () => {
  mnistData = await mnistSubset(960); // 60 steps of 16 an epoch
});

afterEach(() => vi.restoreAllMocks());

/** One task in the host, driven as the worker drives it. */
interface Driver {
  host: TaskHost;
  /** Starts a run of a few seconds. */
  start(): Promise<void>;
  /** A request the page makes during training, and whether a message answers it. */
  request(): Promise<void>;
  answers(m: FromWorker): boolean;
  /** Something that replaces the session in use (a new run, or new data). */
  replace(): Promise<void>;
  /** The session a run trains. */
  training(): Session | null;
  /** The session requests use. */
  inUse(): Session | null;
  /** Makes a model to answer requests where the task has none before a run (PTB). */
  ensureModel(): Promise<void>;
}

type Make = (device: GPUDevice, post: (m: FromWorker) => void) => Promise<Driver>;

const tasks: [Task, Make][] = [
  ['mnist', async (device, post) => {
    const t = new MnistTask(() => device, post);
    t.useData(mnistData, 'files');
    const config = { ...defaultMnistConfig('lstm'), epochs: 3, batch: 16, metricsEvery: 5 };
    config.model = { ...config.model, hidden: 8 };
    const image = new Float32Array(784).fill(0.5);
    return {
      host: t.host,
      start: () => t.train(config),
      request: () => t.inspect(7, image),
      answers: (m) => m.type === 'mnist-inspection' && m.requestId === 7 && m.probs.every(Number.isFinite),
      replace: () => t.train({ ...config, epochs: 1 }),
      training: () => t.session,
      inUse: () => t.session,
      ensureModel: async () => {},
    };
  }],
  ['fable', async (device, post) => {
    const t = new FableTask(() => device, post);
    await t.loadText('belling-the-cat.txt', fableText, 1000);
    return {
      host: t.host,
      start: () => t.train('original', 40),
      request: () => t.generate(7, 'long ago ,', 32, 0),
      answers: (m) => m.type === 'fable-generated' && m.requestId === 7 && m.words.length === 32,
      replace: () => t.loadText('again.txt', fableText, 1000),
      training: () => t.trainingSession,
      inUse: () => t.session,
      ensureModel: async () => {},
    };
  }],
  ['ptb', async (device, post) => {
    const t = new PtbTask(() => device, post);
    await t.loadFiles(['train', 'valid', 'test'].map(ptbFile));
    const config = { ...PTB_CONFIGS.test, maxMaxEpoch: 3 };
    const options = { stepLimit: 40, validLimit: 20, testLimit: 20, reportEvery: 5, seed: 1 };
    const replace = () => t.train({ ...config, maxMaxEpoch: 1 }, { ...options, stepLimit: 5 });
    return {
      host: t.host,
      start: () => t.train(config, options),
      request: () => t.sample(7, 'the company said', 12, 0),
      answers: (m) => m.type === 'ptb-sampled' && m.requestId === 7 && m.words.length === 12,
      replace,
      training: () => t.session,
      inUse: () => t.session,
      ensureModel: replace,
    };
  }],
];

const states = (log: FromWorker[], task: Task) =>
  log.filter((m): m is Extract<FromWorker, { type: 'train-state' }> => m.type === 'train-state' && m.task === task).map((m) => m.state);

/** Resolves at the first message that `pred` accepts. */
function waitFor(log: { on?: (m: FromWorker) => void }, pred: (m: FromWorker) => boolean): Promise<FromWorker> {
  return new Promise((r) => {
    log.on = (m) => {
      if (pred(m)) r(m);
    };
  });
}

function recorder() {
  const log: FromWorker[] & { on?: (m: FromWorker) => void } = [];
  const post = (m: FromWorker) => {
    log.push(m);
    log.on?.(m);
  };
  return { log, post };
}

function poison(params: ParamSet): void {
  const first = params.specs[0]!;
  params.set(first.name, new Float32Array(first.shape.reduce((a, b) => a * b, 1)).fill(NaN));
}

describe.each(tasks)('%s host', (task, make) => {
  it('three starts give one run; a request during training is answered before the run ends', async () => {
    const { log, post } = recorder();
    const d = await make(await testDevice(), post);
    const runs = Promise.all([d.start(), d.start(), d.start()]);
    await waitFor(log, (m) => m.type === 'train-state' && m.task === task && m.state === 'running');
    await d.request();
    const answered = log.findIndex(d.answers);
    await runs;
    expect(states(log, task).filter((s) => s === 'preparing')).toHaveLength(1);
    expect(log.filter((m) => m.type === 'error' && /already in progress/.test(m.message))).toHaveLength(2);
    expect(answered).toBeGreaterThan(-1);
    const ended = log.findIndex((m) => m.type === 'train-state' && m.task === task && m.state === 'done');
    expect(ended).toBeGreaterThan(answered); // answered while the run trained
    expect(states(log, task).at(-1)).toBe('done');
  }, 300_000);

  it('a session replaced while a request uses it is freed exactly once, when the request ends', async () => {
    const { log, post } = recorder();
    const d = await make(await testDevice(), post);
    await d.ensureModel();
    await d.request(); // the session in use exists (MNIST: an untrained one is made)
    const old = d.inUse()!;
    const destroyed: Session[] = [];
    const real = Session.prototype.destroy;
    vi.spyOn(Session.prototype, 'destroy').mockImplementation(function (this: Session) {
      destroyed.push(this);
      real.call(this);
    });
    log.length = 0;
    const request = d.request();
    const replacing = d.replace();
    await request;
    expect(log.some(d.answers)).toBe(true); // the request was answered with the old session's (finite) output
    await replacing;
    expect(d.inUse()).not.toBe(old);
    expect(destroyed.filter((s) => s === old)).toHaveLength(1);
    expect(old.isDestroyed).toBe(true);
    expect(log.filter((m) => m.type === 'error')).toEqual([]);
  }, 300_000);

  it('a lost device fails the run at once, and no step is counted after it', async () => {
    const gpu = await acquireNodeGpu(); // a device of its own, destroyed here
    const { log, post } = recorder();
    const d = await make(gpu.device, post);
    void gpu.lost.then((e) => d.host.fail(e.message)); // as the worker wires it
    const run = d.start();
    await waitFor(log, (m) => m.type === 'train-progress' || m.type === 'train-metrics');
    const t0 = performance.now();
    gpu.device.destroy();
    await waitFor(log, (m) => m.type === 'train-state' && m.state === 'failed');
    expect(performance.now() - t0).toBeLessThan(2000);
    const failedAt = log.length;
    await run;
    await new Promise((r) => setTimeout(r, 300));
    expect(log.slice(failedAt).filter((m) => m.type === 'train-progress' || m.type === 'train-metrics' || m.type === 'train-state')).toEqual([]);
    const failed = log.find((m) => m.type === 'train-state' && m.state === 'failed') as Extract<FromWorker, { type: 'train-state' }>;
    expect(failed.message).toMatch(/destroyed|lost/i);
  }, 300_000);

  it('NaN in training: one message, and the last good weights back', async () => {
    const { log, post } = recorder();
    const d = await make(await testDevice(), post);
    let poisoned = false;
    log.on = (m) => {
      // after the first completed epoch where there is one (MNIST, PTB), else during the run (fable)
      const point = task === 'fable' ? m.type === 'train-progress' : m.type === 'phase-result' && m.phase === 'epoch';
      if (point && !poisoned) {
        poisoned = true;
        poison(d.training()!.params);
      }
    };
    await d.start();
    const last = log.filter((m): m is Extract<FromWorker, { type: 'train-state' }> => m.type === 'train-state').at(-1)!;
    expect(last.state).toBe('diverged');
    expect(last.message).toMatch(/^Training diverged: the (loss|perplexity) became NaN or infinite\. /);
    expect(last.message).toMatch(task === 'fable' ? /weights in use are kept/ : /weights after epoch 1 .*restored/);
    // what is in use afterwards answers with finite output
    log.length = 0;
    await d.request();
    expect(log.some(d.answers)).toBe(true);
  }, 300_000);
});
