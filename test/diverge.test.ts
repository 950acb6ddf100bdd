// NaN in training loses nothing: sessions keep a copy of the weights on the GPU after a good epoch and put it back
// when the loss turns NaN (MNIST, PTB; the fable trains a new session, so its weights in use are never touched).
// The NaN is injected into the real weights (a finite learning rate rarely makes one on these models); everything
// after that is the real path: the metrics show it, the copy comes back bit for bit, training goes on.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MnistData } from '../src/data/idx.ts';
import { RunControl } from '../src/engine/control.ts';
import { defaultMnistConfig, MnistSession } from '../src/engine/mnist.ts';
import type { FromWorker } from '../src/engine/protocol.ts';
import { PTB_CONFIGS, PtbSession } from '../src/engine/ptb.ts';
import { PtbTask } from '../src/engine/ptbTask.ts';
import { preparePtb } from '../src/data/ptb.ts';
import type { ParamSet } from '../src/nn/params.ts';
import { testDevice } from './gpu.ts';
import { loadRealMnist } from './mnist-files.ts';

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
const ptbDir = resolve(repoRoot, '..', 'shared', 'data', 'ptb');

/** Writes NaN into the first parameter (as a run that blew up would leave it). */
function poison(params: ParamSet): void {
  const first = params.specs[0]!;
  params.set(first.name, new Float32Array(first.shape.reduce((a, b) => a * b, 1)).fill(NaN));
}

describe('MNIST: NaN, then the last good weights', () => {
  let data: MnistData;
  beforeAll(async () => {
    data = await loadRealMnist();
  });

  it('restoreSnapshot brings back the weights of the snapshot exactly, and training goes on', async () => {
    const device = await testDevice();
    const cfg = defaultMnistConfig('lstm');
    cfg.model.hidden = 8;
    cfg.batch = 16;
    cfg.metricsEvery = 5;
    const s = await MnistSession.create(device, data, cfg);
    expect(s.restoreSnapshot()).toBe(false); // nothing saved yet
    const losses: number[] = [];
    await s.trainEpoch(new RunControl(), (m) => losses.push(m.loss), undefined, 20);
    s.snapshot();
    const good = await s.params.export();
    const evalGood = await s.evaluate();
    expect(Number.isFinite(evalGood.loss)).toBe(true);

    poison(s.params);
    const after: number[] = [];
    await s.trainEpoch(new RunControl(), (m) => after.push(m.loss), undefined, 5);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((l) => Number.isNaN(l))).toBe(true); // what the worker watches for
    expect(Number.isNaN((await s.evaluate()).loss)).toBe(true);

    expect(s.restoreSnapshot()).toBe(true);
    const back = await s.params.export();
    for (const [name, w] of Object.entries(good)) expect(back[name], name).toEqual(w);
    expect(await s.evaluate()).toEqual(evalGood);
    const resumed: number[] = [];
    await s.trainEpoch(new RunControl(), (m) => resumed.push(m.loss), undefined, 10);
    expect(resumed.length).toBeGreaterThan(0);
    expect(resumed.every((l) => Number.isFinite(l))).toBe(true);
    s.destroy();
  }, 300_000);
});

describe('PTB: NaN, then the last good weights', () => {
  const read = (s: string) => new Uint8Array(readFileSync(resolve(ptbDir, `ptb.${s}.txt`)));

  it('the session restores its snapshot exactly', async () => {
    const device = await testDevice();
    const full = preparePtb({ train: read('train'), valid: read('valid'), test: read('test') });
    const data = { train: full.train.slice(0, 4000), valid: full.valid.slice(0, 600), test: full.test.slice(0, 120) };
    const s = await PtbSession.create(device, data, PTB_CONFIGS.test, 3);
    expect(s.restoreSnapshot()).toBe(false);
    await s.trainEpoch(new RunControl(), () => {}, undefined, 20);
    s.snapshot();
    const valid = await s.evaluate('valid');
    expect(Number.isFinite(valid)).toBe(true);
    poison(s.params);
    const r = await s.trainEpoch(new RunControl(), () => {}, undefined, 5);
    expect(Number.isNaN(r.perplexity)).toBe(true);
    expect(s.restoreSnapshot()).toBe(true);
    expect(await s.evaluate('valid')).toBe(valid);
    s.destroy();
  }, 300_000);

  it('the worker says what happened and keeps the last good epoch for sampling', async () => {
    const device = await testDevice();
    const messages: FromWorker[] = [];
    let worker!: PtbTask;
    let poisoned = false;
    worker = new PtbTask(() => device, (m) => {
      messages.push(m);
      // a fault after the first epoch's validation: the second epoch's training turns NaN
      if (m.type === 'phase-result' && m.phase === 'epoch' && m.epoch === 1 && !poisoned) {
        poisoned = true;
        poison(worker.session!.params);
      }
    });
    const file = (s: string) => ({ name: `ptb.${s}.txt`, bytes: read(s).slice().buffer as ArrayBuffer });
    await worker.loadFiles([file('train'), file('valid'), file('test')]);
    await worker.train({ ...PTB_CONFIGS.test, maxMaxEpoch: 3 }, { stepLimit: 30, validLimit: 30, testLimit: 5, reportEvery: 10, seed: 1 });
    const epochs = messages.filter((m): m is Extract<FromWorker, { type: 'phase-result' }> => m.type === 'phase-result' && m.phase === 'epoch');
    expect(epochs).toHaveLength(1);
    const states = messages.filter((m): m is Extract<FromWorker, { type: 'train-state' }> => m.type === 'train-state');
    const last = states.at(-1)!;
    expect(last.state).toBe('diverged');
    const validAfter1 = epochs[0]!.values.valid!;
    expect(last.message).toContain(`The weights after epoch 1 (validation perplexity ${validAfter1.toFixed(2)}) were restored`);
    expect(last.message).toMatch(/lower learning_rate/);

    // sampling uses the restored weights: real words, no NaN-driven garbage (every id in the vocabulary)
    const model = worker.session!;
    expect(await model.evaluate('valid', 30)).toBeCloseTo(validAfter1, 3);
    await worker.sample(1, 'the company said', 12, 0);
    const sampled = messages.find((m) => m.type === 'ptb-sampled') as Extract<FromWorker, { type: 'ptb-sampled' }>;
    expect(sampled.words).toHaveLength(12);
    expect(sampled.words.every((w) => typeof w === 'string' && w.length > 0)).toBe(true);
  }, 600_000);
});
