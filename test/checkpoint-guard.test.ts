// Training checkpoints keep a fingerprint of their data and refuse to go on with other data, and every state a
// run could not have been in (a step beyond its epoch, negative or fractional counts, a missing weight, moment or
// layer state, a damaged header or config, another preset, config or seed) is refused with a DataError naming
// the file and saying what to do. The sessions are tiny (the checks run before any training step).
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../src/data/batch.ts';
import { DataError } from '../src/data/errors.ts';
import { prepareFable, type FableData } from '../src/data/fable.ts';
import { fingerprintIds, fingerprintSplits } from '../src/data/fingerprint.ts';
import { decodeSafetensors, encodeSafetensors } from '../src/data/safetensors.ts';
import { decodeFableCheckpoint, encodeFableCheckpoint, FABLE_PRESETS, FableSession, type FableCheckpoint, type FablePreset } from '../src/engine/fable.ts';
import { decodePtbCheckpoint, encodePtbCheckpoint, PTB_CONFIGS, PtbSession, type PtbCheckpoint, type PtbIdsData } from '../src/engine/ptb.ts';
import { testDevice } from './gpu.ts';

const FILE = 'run.ckpt';

/** The DataError `f` throws, checked to name the file; its message. */
function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(DataError);
    expect((e as DataError).file).toBe(FILE);
    return (e as Error).message;
  }
  throw new Error('accepted');
}

/** Re-encodes a checkpoint file with its metadata changed (undefined: removed). */
function withMeta(bytes: Uint8Array, change: Record<string, string | undefined>): Uint8Array {
  const st = decodeSafetensors(bytes);
  const meta: Record<string, string> = { ...st.metadata };
  for (const [k, v] of Object.entries(change)) {
    if (v === undefined) delete meta[k];
    else meta[k] = v;
  }
  return encodeSafetensors(Object.fromEntries(Object.entries(st.tensors).map(([k, t]) => [k, t.data])), meta);
}

describe('data fingerprints', () => {
  it('tell apart streams that differ in one id, in order or in length; equal streams agree', () => {
    const a = Uint32Array.from({ length: 1000 }, (_, i) => (i * 7919) % 10000);
    const b = a.slice();
    b[500] ^= 1;
    const swapped = a.slice();
    [swapped[3], swapped[4]] = [swapped[4]!, swapped[3]!];
    const fps = new Set([fingerprintIds(a), fingerprintIds(b), fingerprintIds(swapped), fingerprintIds(a.subarray(0, 999)), fingerprintIds(new Uint32Array(0))]);
    expect(fps.size).toBe(5);
    expect(fingerprintIds(Int32Array.from(a))).toBe(fingerprintIds(a));
    expect(fingerprintIds(a)).toMatch(/^1000:[0-9a-f]{16}$/);
    expect(fingerprintSplits({ train: a, valid: b }, ['train', 'valid'])).toBe(`train=${fingerprintIds(a)} valid=${fingerprintIds(b)}`);
  });
});

describe('fable checkpoints: data and positions', () => {
  const data = prepareFable(readFileSync('public/data/fable/belling-the-cat.txt', 'utf8'));
  const preset: FablePreset = { ...FABLE_PRESETS.fast, model: { ...FABLE_PRESETS.fast.model, hidden: 8 }, batch: 2, metricsEvery: 2 };
  let session: FableSession;
  let c: FableCheckpoint;
  let bytes: Uint8Array;
  beforeAll(async () => {
    const device = await testDevice();
    session = await FableSession.create(device, data, preset, 3);
    c = await session.checkpoint();
    bytes = encodeFableCheckpoint(c);
  });

  it('records the fingerprint of its text and goes on with the same text', () => {
    expect(c.data).toBe(fingerprintIds(data.ids));
    const back = decodeFableCheckpoint(bytes, FILE);
    expect(back.data).toBe(c.data);
    expect(() => session.restore(back, FILE)).not.toThrow();
  });

  it('refuses another text even with the same vocabulary (the words in another order)', async () => {
    const ids = data.ids.slice().reverse();
    const other: FableData = { ...data, ids, tokens: [...data.tokens].reverse() };
    const s2 = await FableSession.create(await testDevice(), other, preset, 3);
    expect(refusal(() => s2.restore(c, FILE))).toMatch(/^run\.ckpt: was trained on another text \(data fingerprint 204:[0-9a-f]{16}, this text's 204:[0-9a-f]{16}\); go on with the text it was made with, or delete it to start anew$/);
    s2.destroy();
  });

  it('refuses another preset or seed, saying which flag to pass', () => {
    expect(refusal(() => session.restore({ ...c, preset: 'original' }, FILE))).toMatch(/is a run of the original preset, this run is fast: pass --preset original/);
    expect(refusal(() => session.restore({ ...c, seed: 4 }, FILE))).toMatch(/is a run with seed 4, this run has seed 3: pass --seed 4/);
  });

  it('refuses positions the run could not have reached', () => {
    expect(refusal(() => session.restore({ ...c, walkerOffset: 205 }, FILE))).toMatch(/walkerOffset 205 is outside the text's 204 tokens/);
    expect(refusal(() => session.restore({ ...c, walkerOffset: -1 }, FILE))).toMatch(/walkerOffset -1/);
    expect(refusal(() => session.restore({ ...c, iteration: 2.5, optimizerStep: 2.5 }, FILE))).toMatch(/iteration 2.5 is not a whole number/);
    expect(refusal(() => session.restore({ ...c, iteration: -3, optimizerStep: -3 }, FILE))).toMatch(/iteration -3 is not a whole number/);
    expect(refusal(() => session.restore({ ...c, iteration: 5 }, FILE))).toMatch(/optimizerStep 0 differs from iteration 5/);
    expect(refusal(() => session.restore({ ...c, rngState: 2 ** 32 }, FILE))).toMatch(/rngState 4294967296/);
  });

  it('refuses missing, extra or wrong-sized weights and moments before anything is uploaded', () => {
    const { 'l0.Wx': _gone, ...fewer } = c.weights;
    void _gone;
    expect(refusal(() => session.restore({ ...c, weights: fewer }, FILE))).toMatch(/the weight l0.Wx is missing/);
    expect(refusal(() => session.restore({ ...c, weights: { ...c.weights, 'l9.Wx': new Float32Array(1) } }, FILE))).toMatch(/holds a tensor "l9.Wx" the model does not have/);
    expect(refusal(() => session.restore({ ...c, weights: { ...c.weights, by: new Float32Array(3) } }, FILE))).toMatch(/the weight by has 3 values, the model's \[\d+\] has \d+/);
    expect(refusal(() => session.restore({ ...c, moments: { m: c.moments.m } }, FILE))).toMatch(/the optimizer moment v is missing/);
    expect(refusal(() => session.restore({ ...c, moments: { ...c.moments, v: new Float32Array(2) } }, FILE))).toMatch(/moment v has 2 values/);
  });

  it('decoding refuses a damaged file: no fingerprint, fractional or negative counts, notes not strings, a null or shapeless entry', () => {
    expect(refusal(() => decodeFableCheckpoint(withMeta(bytes, { data: undefined }), FILE))).toMatch(/has no fingerprint of its data \(made by an older rnnlab\); delete it to start the run anew/);
    expect(refusal(() => decodeFableCheckpoint(withMeta(bytes, { data: 'xyz' }), FILE))).toMatch(/data fingerprint "xyz" is damaged/);
    expect(refusal(() => decodeFableCheckpoint(withMeta(bytes, { iteration: '1.5' }), FILE))).toMatch(/iteration is 1.5, expected a whole number >= 0/);
    expect(refusal(() => decodeFableCheckpoint(withMeta(bytes, { iteration: '-1' }), FILE))).toMatch(/iteration is -1/);
    expect(refusal(() => decodeFableCheckpoint(withMeta(bytes, { iteration: '1e3', optimizerStep: '1000' }), FILE))).toMatch(/iteration is 1e3/);
    expect(refusal(() => decodeFableCheckpoint(withMeta(bytes, { iteration: '7' }), FILE))).toMatch(/optimizerStep 0 differs from iteration 7/);
    expect(refusal(() => decodeFableCheckpoint(withMeta(bytes, { rngState: String(2 ** 32) }), FILE))).toMatch(/rngState 4294967296 is not a 32-bit state/);
    expect(refusal(() => decodeFableCheckpoint(withMeta(bytes, { notes: 'null' }), FILE))).toMatch(/notes is not a JSON object of strings/);
    expect(refusal(() => decodeFableCheckpoint(withMeta(bytes, { notes: '{"log":3}' }), FILE))).toMatch(/notes is not a JSON object of strings/);
    expect(refusal(() => decodeFableCheckpoint(withMeta(bytes, { vocab: undefined }), FILE))).toMatch(/the vocabulary is missing/);
    // the safetensors header itself: an entry null, or without its shape
    const headerLen = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
    const rewrite = (h: unknown) => {
      const json = new TextEncoder().encode(JSON.stringify(h).padEnd(headerLen, ' '));
      const out = bytes.slice();
      out.set(json, 8);
      return out;
    };
    expect(refusal(() => decodeFableCheckpoint(rewrite({ ...header, by: null }), FILE))).toMatch(/tensor "by": its header entry is null/);
    const { shape: _s, ...shapeless } = header.by;
    void _s;
    expect(refusal(() => decodeFableCheckpoint(rewrite({ ...header, by: shapeless }), FILE))).toMatch(/tensor "by": shape is missing/);
  });
});

describe('PTB checkpoints: data and positions', () => {
  const rand = mulberry32(11);
  const ids = (n: number) => Uint32Array.from({ length: n }, () => Math.floor(rand() * 50));
  const data: PtbIdsData = { train: ids(400), valid: ids(120), test: ids(30) };
  const config = { ...PTB_CONFIGS.test, vocabSize: 50, batchSize: 4, maxMaxEpoch: 3 }; // 400 / 4 = 100 per row: 49 steps
  let session: PtbSession;
  let c: PtbCheckpoint;
  let bytes: Uint8Array;
  beforeAll(async () => {
    session = await PtbSession.create(await testDevice(), data, config, 5);
    c = await session.checkpoint({ step: 0, lossSum: 0, rows: 0, seconds: 0 });
    bytes = encodePtbCheckpoint(c);
  });

  it('records the fingerprint of the three splits and goes on with the same data', () => {
    expect(session.stepsPerEpoch).toBe(49);
    expect(c.data).toBe(fingerprintSplits(data, ['train', 'valid', 'test']));
    const back = decodePtbCheckpoint(bytes, FILE);
    expect(session.restore({ ...back, epoch: 1, globalStep: 59, progress: { step: 10, lossSum: 1, rows: 80, seconds: 1 } }, FILE).step).toBe(10);
  });

  it('refuses other data (one split differing is enough), another config or seed', async () => {
    const test = data.test.slice();
    test[0] = (test[0]! + 1) % 50;
    const other = await PtbSession.create(await testDevice(), { ...data, test }, config, 5);
    expect(refusal(() => other.restore(c, FILE))).toMatch(/^run\.ckpt: was trained on other data \(train=400:[0-9a-f]{16} valid=120:[0-9a-f]{16} test=30:[0-9a-f]{16}; these files: .*\); go on with the --data it was made with, or delete it to start anew$/);
    other.destroy();
    expect(refusal(() => session.restore({ ...c, config: { ...c.config, hiddenSize: 3 } }, FILE))).toMatch(/is a run of another configuration \(test: 1 x LSTM-3, batch 4 x 2\); pass --config test/);
    expect(refusal(() => session.restore({ ...c, seed: 6 }, FILE))).toMatch(/is a run with seed 6, this run has seed 5: pass --seed 6/);
    // more epochs than before: a run extended, accepted
    expect(() => session.restore({ ...c, config: { ...c.config, maxMaxEpoch: 9 } }, FILE)).not.toThrow();
  });

  it('refuses positions the run could not have reached', () => {
    const at = (step: number, epoch = 0, globalStep = step) => ({ ...c, epoch, globalStep, progress: { step, lossSum: 0, rows: step * 8, seconds: 0 } });
    expect(refusal(() => session.restore(at(50), FILE))).toMatch(/step 50 is beyond its epoch of 49 steps/);
    expect(refusal(() => session.restore(at(-1), FILE))).toMatch(/step -1 is beyond/);
    expect(refusal(() => session.restore(at(10, 0, 9), FILE))).toMatch(/globalStep 9 cannot be reached at step 10 of epoch 1/);
    expect(refusal(() => session.restore(at(10, 1, 60), FILE))).toMatch(/globalStep 60 cannot be reached at step 10 of epoch 2 \(49 steps each\)/);
    expect(refusal(() => session.restore({ ...c, states: [] }, FILE))).toMatch(/has 0 layer states, the model 1/);
    expect(refusal(() => session.restore({ ...c, states: [new Float32Array(3)] }, FILE))).toMatch(/layer 0 state: 3 values, 16 expected/);
    const { embedding: _e, ...noEmbedding } = c.weights;
    void _e;
    expect(refusal(() => session.restore({ ...c, weights: noEmbedding }, FILE))).toMatch(/the weight embedding is missing/);
  });

  it('decoding refuses a damaged file: progress, epoch, config, states, fingerprint', () => {
    const progress = (p: unknown) => withMeta(bytes, { progress: JSON.stringify(p) });
    expect(refusal(() => decodePtbCheckpoint(progress(null), FILE))).toMatch(/progress is not an object: a damaged checkpoint \(delete it to start the run anew\)/);
    expect(refusal(() => decodePtbCheckpoint(progress({ step: 1.5, lossSum: 0, rows: 12, seconds: 0 }), FILE))).toMatch(/is not a position in an epoch/);
    expect(refusal(() => decodePtbCheckpoint(progress({ step: 1, lossSum: -1, rows: 8, seconds: 0 }), FILE))).toMatch(/is not a position in an epoch/);
    expect(refusal(() => decodePtbCheckpoint(progress({ step: 1, lossSum: 0, rows: 8 }), FILE))).toMatch(/is not a position in an epoch/);
    expect(refusal(() => decodePtbCheckpoint(progress({ step: 2, lossSum: 0, rows: 8, seconds: 0 }), FILE))).toMatch(/progress: 8 rows after 2 steps of 4 x 2/);
    expect(refusal(() => decodePtbCheckpoint(withMeta(bytes, { epoch: '4' }), FILE))).toMatch(/epoch 4 is beyond the run's 3 epochs/);
    expect(refusal(() => decodePtbCheckpoint(withMeta(bytes, { epoch: '-1' }), FILE))).toMatch(/epoch is -1, expected a whole number/);
    expect(refusal(() => decodePtbCheckpoint(withMeta(bytes, { config: 'null' }), FILE))).toMatch(/config is not an object/);
    expect(refusal(() => decodePtbCheckpoint(withMeta(bytes, { config: JSON.stringify({ ...c.config, hiddenSize: undefined }) }), FILE))).toMatch(/config.hiddenSize is missing or not a number/);
    expect(refusal(() => decodePtbCheckpoint(withMeta(bytes, { config: JSON.stringify({ ...c.config, batchSize: 0 }) }), FILE))).toMatch(/config: Batch size must be a whole number from 1/);
    expect(refusal(() => decodePtbCheckpoint(withMeta(bytes, { data: undefined }), FILE))).toMatch(/has no fingerprint of its data/);
    const st = decodeSafetensors(bytes);
    const tensors = Object.fromEntries(Object.entries(st.tensors).filter(([k]) => k !== 'state.l0').map(([k, t]) => [k, t.data]));
    expect(refusal(() => decodePtbCheckpoint(encodeSafetensors(tensors, { ...st.metadata }), FILE))).toMatch(/the carried state of layer 0 \(state.l0\) is missing/);
  });
});
