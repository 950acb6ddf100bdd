// Runs saved when a save is due (the page: every N seconds of training), for each task on the real GPU with the
// real data: a run cut into pieces at arbitrary steps (wherever `due` says so) ends with the very weights of a run
// that never stopped, saving at each cut; and a run resumed from one of those saves (written to bytes and read
// back) ends with them too. The run saved in the browser is exactly this, with IndexedDB instead of an array.
import { beforeAll, describe, expect, it } from 'vitest';
import type { MnistData } from '../src/data/idx.ts';
import { decodeFableCheckpoint, encodeFableCheckpoint, type FableCheckpoint } from '../src/engine/fable.ts';
import { FableTask } from '../src/engine/fableTask.ts';
import type { RunPieces } from '../src/engine/host.ts';
import { decodeMnistCheckpoint, defaultMnistConfig, encodeMnistCheckpoint, type MnistCheckpoint } from '../src/engine/mnist.ts';
import { MnistTask } from '../src/engine/mnistTask.ts';
import { decodePtbCheckpoint, encodePtbCheckpoint, PTB_CONFIGS, type PtbCheckpoint } from '../src/engine/ptb.ts';
import { PtbTask } from '../src/engine/ptbTask.ts';
import { testDevice } from './gpu.ts';
import { fableText, mnistSubset, ptbFile } from './task-data.ts';

let mnistData: MnistData;
beforeAll(async () => {
  mnistData = await mnistSubset(960); // 60 steps of 16 an epoch
});

/** Pieces cut wherever `due` says (every 7th question: steps that fall anywhere in an epoch), each save kept as
 *  the bytes it is written as, and the step it was at. */
function cutPieces<C>(encode: (c: C) => Uint8Array, decode: (b: Uint8Array) => C, step: (c: C) => number, resume?: C) {
  let asked = 0;
  const saves: { step: number; checkpoint: C }[] = [];
  const pieces: RunPieces<C> = {
    every: Infinity,
    due: () => ++asked % 7 === 0,
    resume,
    notes: () => ({}),
    save: (c) => void saves.push({ step: step(c), checkpoint: decode(encode(c)) }),
  };
  return { pieces, saves };
}

function expectSame(got: Record<string, Float32Array>, want: Record<string, Float32Array>): void {
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const k of Object.keys(want)) expect(Array.from(got[k]!), k).toEqual(Array.from(want[k]!));
}

describe('runs saved when a save is due', () => {
  it('MNIST: cut anywhere and saved, or resumed from a save: the weights of one run', async () => {
    const device = await testDevice();
    const cfg = { ...defaultMnistConfig('lstm'), epochs: 2, batch: 16, metricsEvery: 5 };
    cfg.model = { ...cfg.model, hidden: 8 };
    const task = () => {
      const t = new MnistTask(() => device, () => {});
      t.useData(mnistData, 'files');
      return t;
    };
    const straight = task();
    await straight.train(cfg);
    const want = await straight.session!.exportWeights();

    const codec = [encodeMnistCheckpoint, (b: Uint8Array) => decodeMnistCheckpoint(b), (c: MnistCheckpoint) => c.globalStep] as const;
    const cut = cutPieces(...codec);
    const inPieces = task();
    await inPieces.train(cfg, Infinity, undefined, cut.pieces);
    expectSame(await inPieces.session!.exportWeights(), want);
    // saved at each cut (not only at multiples of anything) and after each epoch
    const steps = cut.saves.map((s) => s.step);
    expect(steps.length).toBeGreaterThan(8);
    expect(steps).toContain(60);
    expect(steps.at(-1)).toBe(120);
    expect(steps.some((s) => s % 5 !== 0)).toBe(true);

    const from = cut.saves.find((s) => s.step > 60 && s.step % 5 !== 0)!;
    const resumed = task();
    await resumed.train(cfg, Infinity, undefined, cutPieces(...codec, from.checkpoint).pieces);
    expectSame(await resumed.session!.exportWeights(), want);
  }, 300_000);

  it('fable: cut anywhere and saved, or resumed from a save: the weights of one run', async () => {
    const device = await testDevice();
    const task = async () => {
      const t = new FableTask(() => device, () => {});
      await t.loadText('belling-the-cat.txt', fableText, 1000);
      return t;
    };
    const straight = await task();
    await straight.train('original', 30, { seed: 5 });
    const want = await straight.exportWeights();

    const codec = [encodeFableCheckpoint, (b: Uint8Array) => decodeFableCheckpoint(b), (c: FableCheckpoint) => c.iteration] as const;
    const cut = cutPieces(...codec);
    const inPieces = await task();
    await inPieces.train('original', 30, { seed: 5, pieces: cut.pieces });
    expectSame(await inPieces.exportWeights(), want);
    expect(cut.saves.length).toBeGreaterThan(3);
    expect(cut.saves.at(-1)!.step).toBe(30);

    const from = cut.saves[2]!;
    expect(from.step).toBeLessThan(30);
    const resumed = await task();
    await resumed.train('original', 30, { seed: from.checkpoint.seed, pieces: cutPieces(...codec, from.checkpoint).pieces });
    expectSame(await resumed.exportWeights(), want);
  }, 300_000);

  it('PTB: cut anywhere and saved (the carried state too), or resumed from a save: the weights of one run', async () => {
    const device = await testDevice();
    const files = ['train', 'valid', 'test'].map(ptbFile);
    const config = { ...PTB_CONFIGS.test, maxMaxEpoch: 2 };
    const options = { stepLimit: 30, validLimit: 5, testLimit: 5, reportEvery: 5, seed: 3 };
    const task = async () => {
      const t = new PtbTask(() => device, () => {});
      await t.loadFiles(files);
      return t;
    };
    const straight = await task();
    await straight.train(config, options);
    const want = await straight.exportWeights();

    const codec = [encodePtbCheckpoint, (b: Uint8Array) => decodePtbCheckpoint(b), (c: PtbCheckpoint) => c.globalStep] as const;
    const cut = cutPieces(...codec);
    const inPieces = await task();
    await inPieces.train(config, options, { pieces: cut.pieces });
    expectSame(await inPieces.exportWeights(), want);
    expect(cut.saves.length).toBeGreaterThan(4);

    const from = cut.saves.find((s) => s.step > 30 && s.checkpoint.progress.step > 0)!;
    const resumed = await task();
    await resumed.train(config, options, { pieces: cutPieces(...codec, from.checkpoint).pieces });
    expectSame(await resumed.exportWeights(), want);
  }, 300_000);

  it("PTB: a stop between an epoch's training and its validation is saved there; going on validates it and ends with the weights of one run", async () => {
    const device = await testDevice();
    const files = ['train', 'valid', 'test'].map(ptbFile);
    const config = { ...PTB_CONFIGS.test, maxMaxEpoch: 2 };
    const options = { stepLimit: 30, validLimit: 5, testLimit: 5, reportEvery: 5, seed: 3 };
    const straight = new PtbTask(() => device, () => {});
    await straight.loadFiles(files);
    await straight.train(config, options);
    const want = await straight.exportWeights();

    const codec = [encodePtbCheckpoint, (b: Uint8Array) => decodePtbCheckpoint(b), (c: PtbCheckpoint) => c.globalStep] as const;
    const saves: PtbCheckpoint[] = [];
    const pieces: RunPieces<PtbCheckpoint> = { every: Infinity, due: () => false, notes: () => ({}), save: (c) => void saves.push(codec[1](codec[0](c))) };
    // stopped when the epoch's last report arrives: its training is done, its validation not begun
    const stopped: PtbTask = new PtbTask(() => device, (m) => {
      if (m.type === 'train-metrics' && m.epoch === 0 && m.epochStep === 30) stopped.host.stop();
    });
    await stopped.loadFiles(files);
    await stopped.train(config, options, { pieces });
    expect(stopped.host.state).toBe('stopped');
    const last = saves.at(-1)!;
    expect(last.epoch).toBe(0);
    expect(last.progress.step).toBe(30);

    const resumed = new PtbTask(() => device, () => {});
    await resumed.loadFiles(files);
    await resumed.train(config, options, { pieces: { ...pieces, resume: last } });
    expectSame(await resumed.exportWeights(), want);
  }, 300_000);
});
