// A long fable run in pieces (`npm run train -- fable --checkpoint FILE`): training k iterations, writing the
// checkpoint to bytes, reading it into a fresh session and training the rest gives the very weights of one
// uninterrupted run (optimizer moments, Adam's step count, the window walk and the random stream included).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { prepareFable } from '../src/data/fable.ts';
import { DataError } from '../src/data/errors.ts';
import { encodeSafetensors } from '../src/data/safetensors.ts';
import { RunControl } from '../src/engine/control.ts';
import { decodeFableCheckpoint, encodeFableCheckpoint, FABLE_PRESETS, FableSession, type FablePreset } from '../src/engine/fable.ts';
import { testDevice } from './gpu.ts';

const data = prepareFable(readFileSync('public/data/fable/belling-the-cat.txt', 'utf8'));

/** The preset with a small network (the test is about the state, not the size). */
function small(p: FablePreset): FablePreset {
  return { ...p, model: { ...p.model, hidden: 24 }, batch: Math.min(p.batch, 5), metricsEvery: 2 };
}

async function train(session: FableSession, n: number): Promise<void> {
  await session.train(n, new RunControl(), () => {});
}

describe('fable checkpoints', () => {
  for (const name of ['original', 'fast'] as const) {
    it(`${name}: k iterations + checkpoint + the rest == one uninterrupted run`, async () => {
      const device = await testDevice();
      const preset = small(FABLE_PRESETS[name]);
      const straight = await FableSession.create(device, data, preset, 7);
      await train(straight, 8);
      const want = await straight.exportWeights();

      const first = await FableSession.create(device, data, preset, 7);
      await train(first, 4);
      const bytes = encodeFableCheckpoint(await first.checkpoint({ log: 'a\nb', seconds: '1.5' }));
      const c = decodeFableCheckpoint(bytes);
      expect(c.iteration).toBe(4);
      expect(c.optimizerStep).toBe(4);
      expect(c.notes).toEqual({ log: 'a\nb', seconds: '1.5' });
      expect(c.moments.m).toBeDefined();
      expect(c.moments.v !== undefined).toBe(name === 'fast');

      const resumed = await FableSession.create(device, data, preset, 7);
      resumed.restore(c);
      await train(resumed, 4);
      expect(resumed.iteration).toBe(8);
      const got = await resumed.exportWeights();
      for (const k of Object.keys(want)) expect(Array.from(got[k]), k).toEqual(Array.from(want[k]));

      // restoring is what makes them equal: weights alone (fresh moments and stream) end elsewhere
      const weightsOnly = await FableSession.create(device, data, preset, 7);
      weightsOnly.importWeights(c.weights);
      await train(weightsOnly, 4);
      const other = await weightsOnly.exportWeights();
      expect(Object.keys(want).some((k) => other[k].some((x, i) => x !== want[k][i]))).toBe(true);
      for (const s of [straight, first, resumed, weightsOnly]) s.params.destroy();
    }, 120_000);
  }

  it('refuses a checkpoint of another preset or text, and files that are not checkpoints', async () => {
    const device = await testDevice();
    const session = await FableSession.create(device, data, small(FABLE_PRESETS.original), 1);
    const c = await session.checkpoint();
    expect(() => session.restore({ ...c, preset: 'fast' })).toThrow(/fast preset/);
    expect(() => session.restore({ ...c, vocab: 'a b c' })).toThrow(/another text/);
    expect(() => session.restore({ ...c, moments: {} })).toThrow(/moment m is missing/);
    expect(() => decodeFableCheckpoint(encodeSafetensors({ w: new Float32Array(2) }, { preset: 'fast' }), 'w.safetensors')).toThrow(DataError);
    expect(() => decodeFableCheckpoint(encodeSafetensors({ w: new Float32Array(2) }, { preset: 'fast' }), 'w.safetensors')).toThrow(/w.safetensors: not a fable training checkpoint/);
    const bad = encodeFableCheckpoint({ ...c, iteration: -1 });
    expect(() => decodeFableCheckpoint(bad, 'x')).toThrow(/iteration is -1/);
    session.params.destroy();
  }, 60_000);
});
