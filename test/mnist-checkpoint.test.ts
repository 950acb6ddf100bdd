// An MNIST run in pieces (what saving as it trains and resuming rest on): k steps, a stop inside an epoch, the
// checkpoint written to bytes and read into a fresh session, then the rest: the very weights of one uninterrupted run
// (Adam's moments and step, the epoch's batch order, the position inside the epoch). Weights alone do not.
import { beforeAll, describe, expect, it } from 'vitest';
import type { MnistData } from '../src/data/idx.ts';
import { DataError } from '../src/data/errors.ts';
import { RunControl } from '../src/engine/control.ts';
import { decodeMnistCheckpoint, defaultMnistConfig, encodeMnistCheckpoint, MnistSession, type MnistCheckpoint, type MnistTrainConfig } from '../src/engine/mnist.ts';
import { MnistTask } from '../src/engine/mnistTask.ts';
import { testDevice } from './gpu.ts';
import { loadRealMnist } from './mnist-files.ts';

let data: MnistData;
beforeAll(async () => {
  const full = await loadRealMnist();
  // 960 training images: 60 steps of 16 per epoch
  data = { train: { pixels: full.train.pixels.subarray(0, 960 * 784), labels: full.train.labels.subarray(0, 960), count: 960 }, test: full.test };
});

const config = (): MnistTrainConfig => {
  const c = { ...defaultMnistConfig('lstm'), batch: 16, metricsEvery: 5, seed: 3 };
  c.model = { ...c.model, hidden: 8 };
  return c;
};

/** Trains until `stopAt` global steps (or the epoch's end); returns when the epoch call returns. */
async function trainTo(s: MnistSession, stopAt: number, from = 0): Promise<void> {
  const control = new RunControl();
  await s.trainEpoch(control, () => {}, () => s.globalStep >= stopAt && control.stop(), s.stepsPerEpoch, from);
}

describe('MNIST checkpoints', () => {
  it('a stop inside an epoch + checkpoint + the rest == one uninterrupted run', async () => {
    const device = await testDevice();
    const straight = await MnistSession.create(device, data, config());
    await trainTo(straight, Infinity); // epoch 1
    await trainTo(straight, 80); // 20 steps of epoch 2
    const want = await straight.exportWeights();

    const first = await MnistSession.create(device, data, config());
    await trainTo(first, 25); // stopped at step 25 of epoch 1
    expect(first.epoch).toBe(0);
    expect(first.epochStep).toBe(25);
    const c = decodeMnistCheckpoint(encodeMnistCheckpoint(await first.checkpoint({ log: 'x' })), 'run.ckpt');
    expect([c.epoch, c.epochStep, c.globalStep, c.optimizerStep]).toEqual([0, 25, 25, 25]);
    expect(c.notes).toEqual({ log: 'x' });

    const resumed = await MnistSession.create(device, data, config());
    resumed.restore(c, 'run.ckpt');
    await trainTo(resumed, Infinity, resumed.epochStep); // the rest of epoch 1
    expect(resumed.epoch).toBe(1);
    await trainTo(resumed, 80);
    const got = await resumed.exportWeights();
    for (const k of Object.keys(want)) expect(Array.from(got[k]!), k).toEqual(Array.from(want[k]!));

    // restoring is what makes them equal: the weights alone (fresh moments, step 0) end elsewhere
    const weightsOnly = await MnistSession.create(device, data, config());
    weightsOnly.importWeights(c.weights);
    await trainTo(weightsOnly, Infinity, 25);
    await trainTo(weightsOnly, 80);
    const other = await weightsOnly.exportWeights();
    expect(Object.keys(want).some((k) => other[k]!.some((x, i) => x !== want[k]![i]))).toBe(true);
    for (const s of [straight, first, resumed, weightsOnly]) s.destroy();
  }, 300_000);

  it('refuses another config, other data and impossible positions, naming the file', async () => {
    const device = await testDevice();
    const s = await MnistSession.create(device, data, config());
    await trainTo(s, 5);
    const good = await s.checkpoint();
    const other = await MnistSession.create(device, data, { ...config(), seed: 4 });
    expect(() => other.restore(good, 'run.ckpt')).toThrow(/^run\.ckpt: is a run of another configuration/);
    const shifted = { ...data, train: { ...data.train, labels: data.train.labels.map((l) => (l + 1) % 10) } };
    const otherData = await MnistSession.create(device, shifted, config());
    expect(() => otherData.restore(good, 'run.ckpt')).toThrow(/^run\.ckpt: was trained on other data/);
    for (const bad of [{ epochStep: 60 }, { epochStep: -1 }, { globalStep: 7 }, { optimizerStep: 4 }]) {
      const err = (() => {
        try {
          s.restore({ ...good, ...bad }, 'run.ckpt');
        } catch (e) {
          return e;
        }
      })();
      expect(err, JSON.stringify(bad)).toBeInstanceOf(DataError);
      expect((err as Error).message, JSON.stringify(bad)).toMatch(/^run\.ckpt: .*a damaged checkpoint/);
    }
    expect(() => decodeMnistCheckpoint(new Uint8Array(16), 'junk.ckpt')).toThrow(DataError);
    for (const x of [s, other, otherData]) x.destroy();
  }, 300_000);

  it('the task in pieces: saved every 10 steps, stopped, resumed by another task: the weights of one run', async () => {
    const device = await testDevice();
    const cfg = { ...config(), epochs: 2 };
    const straight = new MnistTask(() => device, () => {});
    straight.useData(data, 'files');
    await straight.train(cfg, 110);
    const want = await straight.session!.exportWeights();

    let saved: MnistCheckpoint | undefined;
    const saves: number[] = [];
    const pieces = (resume?: MnistCheckpoint) => ({
      every: 10, resume, notes: () => ({}), save: (c: MnistCheckpoint) => {
        saved = decodeMnistCheckpoint(encodeMnistCheckpoint(c));
        saves.push(c.globalStep);
      },
    });
    const first = new MnistTask(() => device, () => {});
    first.useData(data, 'files');
    await first.train(cfg, 75, undefined, pieces()); // stops after step 75 of 120 (60 a epoch)
    // every 10 steps, epoch 1's end after its evaluation (60), and where it stopped (75): it goes on from there
    expect(saves).toEqual([10, 20, 30, 40, 50, 60, 70, 75]);
    expect(saved!.globalStep).toBe(75);
    const second = new MnistTask(() => device, () => {});
    second.useData(data, 'files');
    await second.train(cfg, 110, undefined, pieces(saved));
    const got = await second.session!.exportWeights();
    for (const k of Object.keys(want)) expect(Array.from(got[k]!), k).toEqual(Array.from(want[k]!));
  }, 300_000);
});
