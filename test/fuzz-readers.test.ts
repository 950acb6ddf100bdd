// Property-based fuzzing of every reader of user files (fast-check, fixed seeds: a failure prints the seed and
// the shrunk counterexample to replay it). Valid files are mutated (bytes flipped, inserted, deleted, truncated,
// extended, header fields and lengths rewritten) and each reader must either return well-formed data or throw
// its own DataError naming the file, never anything else, and within a time bound (MAX_MS per read).
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataError } from '../src/data/errors.ts';
import { prepareFable } from '../src/data/fable.ts';
import { parseIdxImages, parseIdxLabels, readIdxFile } from '../src/data/idx.ts';
import { decodePtbText, preparePtb } from '../src/data/ptb.ts';
import { decodeSafetensors, encodeSafetensors } from '../src/data/safetensors.ts';
import { decodeInterop, encodeInterop, rnnlabShapes, type InteropModel, type InteropTask } from '../src/data/interop.ts';
import { decodeFableCheckpoint, encodeFableCheckpoint } from '../src/engine/fable.ts';
import { decodePtbCheckpoint, encodePtbCheckpoint, PTB_CONFIGS } from '../src/engine/ptb.ts';

const SEED = 0x5eed_2026;
/** The most one read of these small files may take: they take a few ms, but the suite shares two cores with
 *  SwiftShader's threads (1 s was once exceeded there); a reader gone wrong (a bomb inflated, a quadratic scan)
 *  takes far longer. */
const MAX_MS = 5000;

// ---- mutations ------------------------------------------------------------------------------------------------

/** One change to a file (plain data, so a failing case prints readably); `at` is a fraction of the length. */
type Mutation =
  | { flip: number; xor: number }
  | { insertAt: number; bytes: Uint8Array }
  | { deleteAt: number; count: number }
  | { truncateAt: number }
  | { append: Uint8Array }
  | { field: number; value: number; littleEndian64: boolean };

const INTERESTING_U32 = [0, 1, 2, 3, 7, 8, 9, 10, 27, 28, 29, 255, 256, 784, 10000, 60000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
const fraction = fc.double({ min: 0, max: 1, noNaN: true });

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ flip: fraction, xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ insertAt: fraction, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ deleteAt: fraction, count: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ truncateAt: fraction }),
  fc.record({ append: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  // a header field: a big-endian u32 (IDX: magic, count, rows, cols) or the little-endian u64 at 0 (safetensors)
  fc.record({ field: fc.integer({ min: 0, max: 3 }), value: fc.constantFrom(...INTERESTING_U32), littleEndian64: fc.boolean() }),
);

function mutate(b: Uint8Array, m: Mutation): Uint8Array {
  const index = (at: number) => Math.min(b.length, Math.floor(at * b.length));
  if ('flip' in m) {
    if (b.length === 0) return b;
    const out = b.slice();
    const i = Math.min(b.length - 1, index(m.flip));
    out[i] = out[i]! ^ m.xor;
    return out;
  }
  if ('insertAt' in m) {
    const i = index(m.insertAt);
    const out = new Uint8Array(b.length + m.bytes.length);
    out.set(b.subarray(0, i));
    out.set(m.bytes, i);
    out.set(b.subarray(i), i + m.bytes.length);
    return out;
  }
  if ('deleteAt' in m) {
    const i = index(m.deleteAt);
    const out = new Uint8Array(b.length - Math.min(m.count, b.length - i));
    out.set(b.subarray(0, i));
    out.set(b.subarray(i + m.count), i);
    return out;
  }
  if ('truncateAt' in m) return b.slice(0, index(m.truncateAt));
  if ('append' in m) {
    const out = new Uint8Array(b.length + m.append.length);
    out.set(b);
    out.set(m.append, b.length);
    return out;
  }
  const out = b.slice();
  if (out.length < 4 * m.field + 8) return out;
  const dv = new DataView(out.buffer);
  if (m.littleEndian64) dv.setBigUint64(0, BigInt(m.value) * (m.field === 3 ? 2n ** 32n : 1n), true);
  else dv.setUint32(4 * m.field, m.value);
  return out;
}

const mutations = fc.array(mutation, { minLength: 1, maxLength: 3 });
const apply = (b: Uint8Array, ms: Mutation[]) => ms.reduce(mutate, b);

/**
 * Runs a reader: its result, or its error, which must be a DataError naming `file` (or one of `others`, files
 * read together with it); and it must be quick.
 */
async function readOrRefuse<T>(file: string, read: () => T | Promise<T>, others: string[] = []): Promise<T | null> {
  const t0 = performance.now();
  try {
    return await read();
  } catch (e) {
    if (!(e instanceof DataError)) throw new Error(`not a DataError: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    expect([file, ...others]).toContain(e.file);
    expect(e.message.startsWith(`${e.file}: `)).toBe(true);
    return null;
  } finally {
    expect(performance.now() - t0).toBeLessThan(MAX_MS);
  }
}

// ---- valid files ----------------------------------------------------------------------------------------------

function idx(magic: number, dims: number[], body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + body.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, magic);
  dims.forEach((d, i) => dv.setUint32(4 + 4 * i, d));
  out.set(body, 4 + 4 * dims.length);
  return out;
}

const IMAGES = idx(0x803, [3, 28, 28], Uint8Array.from({ length: 3 * 784 }, (_, i) => (i * 37) & 0xff));
const LABELS = idx(0x801, [3], Uint8Array.from([7, 0, 9]));
const PTB_TEXT = new TextEncoder().encode(' the cat sat on the mat \n a dog ran <unk> far \n the end \n');
const FABLE = 'long ago , the mice had a general council to consider what measures they could take to outwit their common enemy , the cat .';
const WEIGHTS = encodeSafetensors({ 'l0.Wx': Float32Array.from([1, -2, 3, 4, 5, 6]), by: Float32Array.from([0.5, 7]) }, { preset: 'fast', vocab: 'a b' }, { 'l0.Wx': [2, 3] });
const FABLE_CKPT = encodeFableCheckpoint({
  preset: 'fast', seed: 3, iteration: 4, optimizerStep: 4, rngState: 12345, walkerOffset: 8, vocab: 'a b c', data: '3:0123456789abcdef',
  weights: { w: Float32Array.from([1, 2]) }, moments: { m: Float32Array.from([0, 1]), v: Float32Array.from([2, 3]) }, notes: { log: 'x' },
});
const PTB_CONFIG = { ...PTB_CONFIGS.test, vocabSize: 50, batchSize: 2 };
const PTB_CKPT = encodePtbCheckpoint({
  config: PTB_CONFIG, seed: 1, epoch: 0, progress: { step: 3, lossSum: 1.5, rows: 12, seconds: 0.5 }, globalStep: 3,
  weights: { embedding: new Float32Array(4) }, states: [new Float32Array(8)], data: 'train=9:0123456789abcdef valid=9:0123456789abcdef test=9:0123456789abcdef', notes: {},
});

const isCount = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

// ---- properties -----------------------------------------------------------------------------------------------

describe('fuzzing the readers: valid data or their own DataError naming the file', () => {
  it('IDX images and labels (6,000 mutated files)', async () => {
    await fc.assert(
      fc.asyncProperty(mutations, fc.boolean(), async (ms, images) => {
        const file = images ? 'train-images-idx3-ubyte' : 'train-labels-idx1-ubyte';
        const bytes = apply(images ? IMAGES : LABELS, ms);
        if (images) {
          const r = await readOrRefuse(file, () => parseIdxImages(bytes, file));
          if (r) expect(r.pixels.length).toBe(r.count * 784);
        } else {
          const r = await readOrRefuse(file, () => parseIdxLabels(bytes, file));
          if (r) expect(r.labels.every((l) => l < 10) && r.labels.length === r.count).toBe(true);
        }
      }),
      { seed: SEED, numRuns: 6000 },
    );
  }, 60_000);

  it('.gz IDX files, the gzip stream or the file inside it mutated (3,000 files)', async () => {
    await fc.assert(
      fc.asyncProperty(mutations, fc.boolean(), fc.boolean(), async (ms, images, inside) => {
        const file = images ? 'train-images-idx3-ubyte.gz' : 'train-labels-idx1-ubyte.gz';
        const plain = images ? IMAGES : LABELS;
        const gz = inside ? new Uint8Array(gzipSync(apply(plain, ms))) : apply(new Uint8Array(gzipSync(plain)), ms);
        const r = await readOrRefuse(file, async () => {
          const raw = await readIdxFile(gz, file, images ? 'trainImages' : 'trainLabels');
          return images ? parseIdxImages(raw, file).count : parseIdxLabels(raw, file).count;
        });
        if (r !== null) expect(isCount(r) && r > 0).toBe(true);
      }),
      { seed: SEED, numRuns: 3000 },
    );
  }, 60_000);

  it('PTB text, decoded and prepared (4,000 mutated files)', async () => {
    await fc.assert(
      fc.asyncProperty(mutations, async (ms) => {
        const bytes = apply(PTB_TEXT, ms);
        const r = await readOrRefuse('ptb.train.txt', () => {
          decodePtbText(bytes, 'ptb.train.txt');
          return preparePtb({ train: bytes, valid: PTB_TEXT, test: PTB_TEXT }, { train: 'ptb.train.txt' });
        }, ['ptb.valid.txt', 'ptb.test.txt']); // their words may be missing from a mutated train text's vocabulary
        if (r) expect(r.train.every((id) => id < r.vocab.words.length)).toBe(true);
      }),
      { seed: SEED, numRuns: 4000 },
    );
  }, 60_000);

  it('fable text, as bytes decoded to text (3,000 mutated texts)', async () => {
    const bytes = new TextEncoder().encode(FABLE);
    await fc.assert(
      fc.asyncProperty(mutations, fc.option(fc.integer({ min: 2, max: 40 }), { nil: undefined }), async (ms, maxVocab) => {
        const text = new TextDecoder().decode(apply(bytes, ms));
        const r = await readOrRefuse('story.txt', () => prepareFable(text, 'story.txt', maxVocab));
        if (r) {
          expect(r.ids.length).toBe(r.tokens.length);
          expect(r.ids.every((id) => id >= 0 && id < r.vocab.words.length)).toBe(true);
          if (maxVocab !== undefined) expect(r.vocab.words.length).toBeLessThanOrEqual(maxVocab);
        }
      }),
      { seed: SEED, numRuns: 3000 },
    );
  }, 60_000);

  it('safetensors: bytes mutated, and header fields rewritten (8,000 files)', async () => {
    const headerLen = Number(new DataView(WEIGHTS.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(WEIGHTS.subarray(8, 8 + headerLen)));
    const body = WEIGHTS.subarray(8 + headerLen);
    const value = fc.oneof(fc.constant(null), fc.integer({ min: -3, max: 40 }), fc.double(), fc.string({ maxLength: 4 }), fc.array(fc.integer({ min: -1, max: 30 }), { maxLength: 3 }), fc.constantFrom('F32', 'F16', 'BF16', 'I64', 'F64'), fc.constant({}));
    const headerEdit = fc.tuple(fc.constantFrom('l0.Wx', 'by', '__metadata__', '__proto__', 'new'), fc.constantFrom('dtype', 'shape', 'data_offsets', 'preset', 'whole'), value);
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.record({ ms: mutations, edits: fc.constant([] as [string, string, unknown][]) }), fc.record({ ms: fc.constant([] as Mutation[]), edits: fc.array(headerEdit, { minLength: 1, maxLength: 3 }) })), async ({ ms, edits }) => {
        let bytes = WEIGHTS;
        if (edits.length > 0) {
          const h = JSON.parse(JSON.stringify(header));
          for (const [key, field, shared] of edits) {
            const v = structuredClone(shared); // fc.constant({}) is one object: never put it in twice
            if (field === 'whole') h[key] = v;
            else if (typeof h[key] === 'object' && h[key] !== null) h[key][field] = v;
            else h[key] = { [field]: v };
          }
          const json = new TextEncoder().encode(JSON.stringify(h));
          bytes = new Uint8Array(8 + json.length + body.length);
          new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
          bytes.set(json, 8);
          bytes.set(body, 8 + json.length);
        }
        bytes = apply(bytes, ms);
        const r = await readOrRefuse('w.safetensors', () => decodeSafetensors(bytes, 'w.safetensors'));
        if (r) {
          for (const t of Object.values(r.tensors)) {
            expect(t.data).toBeInstanceOf(Float32Array);
            expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
          }
          for (const v of Object.values(r.metadata)) expect(typeof v).toBe('string');
        }
      }),
      { seed: SEED, numRuns: 8000 },
    );
  }, 60_000);

  it('models in PyTorch\'s layout: bytes, metadata and config fields mutated (4,000 files)', async () => {
    const model: InteropModel = { task: 'ptb', config: { vocab: 3, hidden: 2, layers: 2, steps: 4, input: 'embedding', predict: 'every-step', keepProb: 1, forgetBias: 0, init: 'uniform', initScale: 0.1 }, vocab: ['a', 'b', 'c'] };
    const weights = Object.fromEntries(Object.entries(rnnlabShapes(model)).map(([k, sh]) => [k, Float32Array.from({ length: sh.reduce((a, b) => a * b, 1) }, (_, i) => i / 7 - 0.5)]));
    const good = encodeInterop(model, weights);
    const configValue = fc.oneof(fc.constantFrom(null, 0, -1, 1.5, 2, 3, 4096, 4097, 1e9, 'lstm', 'embedding', 'id-float', 'last-step', '', true), fc.double(), fc.string({ maxLength: 4 }));
    const edit = fc.oneof(
      fc.tuple(fc.constant('config'), fc.constantFrom('vocab', 'hidden', 'layers', 'steps', 'input', 'predict', 'keepProb', 'forgetBias', 'init', 'cell', '__proto__'), configValue),
      fc.tuple(fc.constant('meta'), fc.constantFrom('format', 'task', 'config', 'vocab'), fc.oneof(fc.constantFrom('', 'mnist', 'fable', 'ptb', 'rnnlab-pytorch', '{}', '[]', 'null', 'a b', 'a b c d'), fc.string({ maxLength: 6 }))),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { maxLength: 3 }), mutations, fc.boolean(), fc.constantFrom<InteropTask>('ptb', 'ptb', 'fable', 'mnist'), async (edits, ms, mutateBytes, task) => {
        let bytes = good;
        if (edits.length) {
          const st = decodeSafetensors(bytes);
          const meta = { ...st.metadata };
          const config = JSON.parse(meta.config!);
          for (const [where, key, v] of edits) {
            if (where === 'config') config[key] = v;
            else meta[key] = String(v);
          }
          if (edits.some(([w]) => w === 'config')) meta.config = JSON.stringify(config);
          bytes = encodeSafetensors(Object.fromEntries(Object.entries(st.tensors).map(([k, t]) => [k, t.data])), meta, Object.fromEntries(Object.entries(st.tensors).map(([k, t]) => [k, t.shape])));
        }
        if (mutateBytes || edits.length === 0) bytes = apply(bytes, ms);
        const r = await readOrRefuse('m.safetensors', () => decodeInterop(bytes, 'm.safetensors', { task }));
        if (r) {
          expect(r.model.task).toBe(task);
          const shapes = rnnlabShapes(r.model);
          expect(Object.keys(r.weights).sort()).toEqual(Object.keys(shapes).sort());
          for (const [k, w] of Object.entries(r.weights)) {
            expect(w.length).toBe(shapes[k]!.reduce((a, b) => a * b, 1));
            expect(w.every(Number.isFinite)).toBe(true);
          }
        }
      }),
      { seed: SEED, numRuns: 4000 },
    );
  }, 60_000);

  it('fable and PTB checkpoints: bytes and metadata mutated (6,000 files)', async () => {
    const metaEdit = fc.tuple(
      fc.constantFrom('iteration', 'optimizerStep', 'rngState', 'walkerOffset', 'seed', 'preset', 'notes', 'data', 'epoch', 'globalStep', 'progress', 'config', 'kind'),
      fc.oneof(fc.constantFrom('-1', '1.5', '1e3', '', 'null', '{}', '[]', '4294967296', '9007199254740993', '{"step":-1}', '{"step":3,"lossSum":1,"rows":12,"seconds":0}', 'small'), fc.string({ maxLength: 8 }), fc.nat().map(String)),
    );
    await fc.assert(
      fc.asyncProperty(fc.boolean(), mutations, fc.array(metaEdit, { maxLength: 3 }), fc.boolean(), async (fable, ms, edits, mutateBytes) => {
        let bytes = fable ? FABLE_CKPT : PTB_CKPT;
        if (edits.length) {
          const st = decodeSafetensors(bytes);
          const meta = { ...st.metadata };
          for (const [k, v] of edits) meta[k] = v;
          bytes = encodeSafetensors(Object.fromEntries(Object.entries(st.tensors).map(([k, t]) => [k, t.data])), meta);
        }
        if (mutateBytes || edits.length === 0) bytes = apply(bytes, ms);
        if (fable) {
          const c = await readOrRefuse('run.ckpt', () => decodeFableCheckpoint(bytes, 'run.ckpt'));
          if (c) expect([c.iteration, c.optimizerStep, c.rngState, c.walkerOffset, c.seed].every(isCount) && c.optimizerStep === c.iteration).toBe(true);
        } else {
          const c = await readOrRefuse('run.ckpt', () => decodePtbCheckpoint(bytes, 'run.ckpt'));
          if (c) {
            expect([c.epoch, c.globalStep, c.seed, c.progress.step, c.progress.rows].every(isCount)).toBe(true);
            expect(c.states).toHaveLength(c.config.numLayers);
            expect(c.progress.rows).toBe(c.progress.step * c.config.batchSize * c.config.numSteps);
          }
        }
      }),
      { seed: SEED, numRuns: 6000 },
    );
  }, 60_000);
});
