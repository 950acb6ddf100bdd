// A model file in PyTorch's layout through the tasks (what `npm run train -- <task> --init FILE ... --save FILE`
// does), on the GPU: a run started from a file trains those weights (after one step at a negligible learning rate
// the model in use still holds them), exportModel() writes them back in the same layout, and a file of another
// task, size or vocabulary is refused before anything is built, naming the file.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MnistData } from '../src/data/idx.ts';
import { prepareFable } from '../src/data/fable.ts';
import { preparePtb } from '../src/data/ptb.ts';
import { decodeInterop, encodeInterop, rnnlabShapes, type InteropModel } from '../src/data/interop.ts';
import { decodeSafetensors } from '../src/data/safetensors.ts';
import { Dispatcher, malformed } from '../src/engine/dispatch.ts';
import { FableTask, readFableModel } from '../src/engine/fableTask.ts';
import { defaultMnistConfig } from '../src/engine/mnist.ts';
import { MnistTask, readMnistModel } from '../src/engine/mnistTask.ts';
import type { FromWorker } from '../src/engine/protocol.ts';
import { PTB_CONFIGS, ptbModel } from '../src/engine/ptb.ts';
import { PtbTask } from '../src/engine/ptbTask.ts';
import { FABLE_PRESETS } from '../src/models/fable.ts';
import { mulberry32 } from '../src/reference/random.ts';
import { testDevice, testGpu } from './gpu.ts';
import { loadRealMnist } from './mnist-files.ts';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const fableText = readFileSync(resolve(root, 'public/data/fable/belling-the-cat.txt'), 'utf8');

/** Weights in U(-1, 1): far from any of rnnlab's initialisations (|w| <= 0.25 at these sizes). */
function randomWeights(m: InteropModel, seed: number): Record<string, Float32Array> {
  const rand = mulberry32(seed);
  return Object.fromEntries(Object.entries(rnnlabShapes(m)).map(([k, s]) => [k, Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => rand() * 2 - 1)]));
}

/** The largest |a - b| over every weight. */
function maxDifference(a: Record<string, Float32Array>, b: Record<string, Float32Array>): number {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  let worst = 0;
  for (const k of Object.keys(a)) a[k]!.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[k]![i]!))));
  return worst;
}

const messages: FromWorker[] = [];
const post = (m: FromWorker) => messages.push(m);
const lastState = () => messages.filter((m) => m.type === 'train-state').at(-1);

let mnistData: MnistData;
beforeAll(async () => {
  const full = await loadRealMnist();
  mnistData = { train: { pixels: full.train.pixels.subarray(0, 320 * 784), labels: full.train.labels.subarray(0, 320), count: 320 }, test: full.test };
});

describe('--init and --save through the tasks', () => {
  it('MNIST: a run starts from the file\'s weights and exports them in the same layout', async () => {
    const device = await testDevice();
    const model: InteropModel = { task: 'mnist', config: { ...defaultMnistConfig('rnn').model, hidden: 12 } };
    const w0 = randomWeights(model, 1);
    const file = readMnistModel(encodeInterop(model, w0), 'rnn12.safetensors');
    expect(file.config).toEqual(model.config);
    const task = new MnistTask(() => device, post);
    task.useData(mnistData, 'files');
    const config = { ...defaultMnistConfig('rnn'), model: file.config, batch: 16, optimizer: { kind: 'adam' as const, lr: 1e-9 } };
    await task.train(config, 1, file.weights);
    expect(lastState()).toMatchObject({ task: 'mnist', state: 'stopped' });
    const out = await task.exportModel();
    expect(out.name).toBe('mnist-rnn12.safetensors');
    const back = decodeInterop(out.bytes, out.name, { task: 'mnist' });
    expect(back.model).toEqual(model);
    expect(maxDifference(back.weights, w0)).toBeLessThan(1e-6);
    // without the file the same run starts elsewhere
    await task.train(config, 1);
    expect(maxDifference(decodeInterop((await task.exportModel()).bytes, 'x', { task: 'mnist' }).weights, w0)).toBeGreaterThan(0.5);
  }, 120_000);

  it('fable: a run starts from a file of its preset\'s input kind and any hidden size; another vocabulary or input kind is refused', async () => {
    const device = await testDevice();
    const task = new FableTask(() => device, post);
    await task.loadText('belling-the-cat.txt', fableText, 1000);
    const ready = messages.filter((m) => m.type === 'fable-ready').at(-1) as Extract<FromWorker, { type: 'fable-ready' }>;
    const vocab = ready.vocab;
    const model: InteropModel = { task: 'fable', config: { ...FABLE_PRESETS.original.model, hidden: 8, vocab: vocab.length }, vocab };
    const w0 = randomWeights(model, 2);
    const bytes = encodeInterop(model, w0);
    expect(() => readFableModel(bytes, 'orig8.safetensors', vocab, 'fast')).toThrow(/^orig8\.safetensors: holds a 2-layer LSTM-8 over \d+ words: its input "id-float" differs from this model's "embedding"$/);
    expect(() => readFableModel(bytes, 'orig8.safetensors', ['long', ...vocab.slice(1)])).toThrow(/^orig8\.safetensors: was trained on another vocabulary \(word 0 is ".*", the text's is "long"\)/);
    const init = readFableModel(bytes, 'orig8.safetensors', vocab, 'original');
    // one RMSProp step of lr 0.001 (the preset's): each weight moves by about 0.001 / sqrt(0.1·g² + 0.9)
    await task.train('original', 1, { seed: 3, init });
    expect(lastState()).toMatchObject({ task: 'fable', state: 'done' });
    const out = await task.exportModel({ iterations: '1' });
    expect(out.name).toBe('fable-original.safetensors');
    const back = decodeInterop(out.bytes, out.name, { task: 'fable', vocab });
    expect(back.model).toEqual(model);
    expect(back.metadata).toMatchObject({ preset: 'original', iterations: '1' });
    expect(maxDifference(back.weights, w0)).toBeLessThan(0.01);
    // without the file the run makes the preset's own model
    await task.train('original', 1, { seed: 3 });
    expect(decodeInterop((await task.exportModel()).bytes, 'x', { task: 'fable' }).model.config).toMatchObject({ hidden: 512, layers: 2, input: 'id-float' });
  }, 120_000);

  it('PTB: a run starts from a file of the config\'s size and vocabulary; another size is refused', async () => {
    const device = await testDevice();
    const task = new PtbTask(() => device, post);
    const text = 'the cat sat on the mat <unk> N the dog ran to the cat \n'.repeat(20);
    await task.loadFiles(['train', 'valid', 'test'].map((s) => ({ name: `ptb.${s}.txt`, bytes: new TextEncoder().encode(text).buffer as ArrayBuffer })));
    const loaded = messages.filter((m) => m.type === 'ptb-loaded').at(-1) as Extract<FromWorker, { type: 'ptb-loaded' }>;
    const config = { ...PTB_CONFIGS.small, numLayers: 2, hiddenSize: 8, numSteps: 4, batchSize: 2, maxMaxEpoch: 1, learningRate: 1e-9 };
    const V = loaded.data.vocabSize;
    // the vocabulary by id is the task's (ids by frequency): read it from a model the task made
    await task.train({ ...config, vocabSize: V }, { stepLimit: 1, validLimit: 1, testLimit: 1, reportEvery: null, seed: 1 });
    const vocab = task.vocabulary();
    expect(vocab).toHaveLength(V);
    const model: InteropModel = { task: 'ptb', config: { ...ptbModel({ ...config, vocabSize: V }) }, vocab };
    const w0 = randomWeights(model, 3);
    const bytes = encodeInterop(model, w0);
    expect(() => task.readModel(bytes, 'ptb8.safetensors', { ...config, hiddenSize: 200 })).toThrow(/^ptb8\.safetensors: holds a 2-layer LSTM-8 over \d+ words: its hidden 8 differs from this model's 200$/);
    expect(() => task.readModel(encodeInterop(model, w0).slice(0, 100), 'cut.safetensors', config)).toThrow(/^cut\.safetensors: /);
    const init = task.readModel(bytes, 'ptb8.safetensors', config);
    await task.train({ ...config, vocabSize: V }, { stepLimit: 1, validLimit: 1, testLimit: 1, reportEvery: null, seed: 1 }, { init });
    expect(lastState()).toMatchObject({ task: 'ptb', state: 'done' });
    const out = await task.exportModel();
    expect(out.name).toBe('ptb-small.safetensors');
    const back = decodeInterop(out.bytes, out.name, { task: 'ptb', vocab });
    expect(back.model).toEqual(model);
    expect(maxDifference(back.weights, w0)).toBeLessThan(1e-6);
  }, 120_000);

  it('the app\'s shipped fable weights load in PyTorch\'s layout too (F16, as --save public/... writes them)', async () => {
    const device = await testDevice();
    const data = prepareFable(fableText, 'belling-the-cat.txt');
    const shipped = decodeSafetensors(new Uint8Array(readFileSync(resolve(root, 'public/data/fable/fable-fast.safetensors'))));
    const model: InteropModel = { task: 'fable', config: { ...FABLE_PRESETS.fast.model, vocab: data.vocab.words.length }, vocab: data.vocab.words };
    const weights = Object.fromEntries(Object.entries(shipped.tensors).map(([k, v]) => [k, v.data]));
    const files: Record<string, Uint8Array> = {
      '/data/fable/belling-the-cat.txt': new TextEncoder().encode(fableText),
      '/data/fable/fable-fast.safetensors': encodeInterop(model, weights, { description: 'converted' }, 'F16'),
    };
    const server = createServer((req, res) => {
      const body = files[req.url ?? ''];
      res.writeHead(body ? 200 : 404, { 'Content-Type': 'application/octet-stream' }).end(body ?? '');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const task = new FableTask(() => device, post);
      await task.loadBuiltin(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      expect(messages.filter((m) => m.type === 'fable-weights').at(-1)).toMatchObject({ weights: { kind: 'shipped', description: 'converted' } });
      await task.generate(5, 'long ago ,', 6, 0);
      expect(messages.filter((m) => m.type === 'fable-generated').at(-1)).toMatchObject({ requestId: 5, words: 'the mice had a general council'.split(' ') });
    } finally {
      server.close();
    }
  }, 120_000);

  it('importModel: a PyTorch model becomes the MNIST model in use, classifying as PyTorch does; a bad file leaves it be', async () => {
    const device = await testDevice();
    const local: FromWorker[] = [];
    const task = new MnistTask(() => device, (m) => local.push(m));
    const fixture = (f: string) => new Uint8Array(readFileSync(resolve(root, 'test/fixtures/torch', f)));
    const check = decodeSafetensors(fixture('mnist-lstm16.check.safetensors'));
    const image = check.tensors.input!.data.subarray(0, 784);
    const want = check.tensors.logits!.data.subarray(0, 10);
    expect(await task.importModel(fixture('mnist-lstm16.safetensors'), 'mnist-lstm16.safetensors')).toBe('an LSTM with 16 hidden units');
    const inUse = task.session;
    await task.inspect(1, image);
    const seen = local.find((m) => m.type === 'mnist-inspection') as Extract<FromWorker, { type: 'mnist-inspection' }>;
    expect(seen).toMatchObject({ trained: true, cell: 'lstm', hiddenSize: 16 });
    const max = Math.max(...want);
    const e = want.map((v) => Math.exp(v - max));
    const sum = e.reduce((a, b) => a + b, 0);
    seen.probs.forEach((p, d) => expect(Math.abs(p - e[d]! / sum), `digit ${d}`).toBeLessThan(1e-5));
    // a file of another task: refused, the model in use stays
    await expect(task.importModel(fixture('ptb-2x8.safetensors'), 'ptb-2x8.safetensors')).rejects.toThrow('ptb-2x8.safetensors: is a Penn TreeBank model, not an MNIST classifier');
    expect(task.session).toBe(inUse);
    expect(inUse!.isDestroyed).toBe(false);
  }, 120_000);

  it('importModel: the fable and PTB models in use are replaced by a file and export it back unchanged', async () => {
    const device = await testDevice();
    const fable = new FableTask(() => device, post);
    await fable.loadText('belling-the-cat.txt', fableText, 1000);
    const vocab = (messages.filter((m) => m.type === 'fable-ready').at(-1) as Extract<FromWorker, { type: 'fable-ready' }>).vocab;
    const fm: InteropModel = { task: 'fable', config: { ...FABLE_PRESETS.fast.model, hidden: 8, vocab: vocab.length }, vocab };
    const fw = randomWeights(fm, 6);
    expect(await fable.importModel(encodeInterop(fm, fw), 'f8.safetensors')).toBe('a 2-layer LSTM-8 (fast preset\'s input)');
    expect(messages.filter((m) => m.type === 'fable-weights').at(-1)).toMatchObject({ weights: { kind: 'trained', description: 'imported from f8.safetensors: a 2-layer LSTM-8 (fast preset\'s input)' } });
    expect(maxDifference(decodeInterop((await fable.exportModel()).bytes, 'x', { task: 'fable' }).weights, fw)).toBeLessThan(1e-6);
    await fable.generate(9, 'long ago ,', 5, 0);
    expect((messages.filter((m) => m.type === 'fable-generated').at(-1) as Extract<FromWorker, { type: 'fable-generated' }>).words).toHaveLength(5);

    const ptb = new PtbTask(() => device, post);
    await expect(ptb.importModel(new Uint8Array(8), 'early.safetensors')).rejects.toThrow(/load ptb\.train\.txt, ptb\.valid\.txt and ptb\.test\.txt first/);
    const text = 'a b c d e f a b c \n'.repeat(400);
    await ptb.loadFiles(['train', 'valid', 'test'].map((s) => ({ name: `ptb.${s}.txt`, bytes: new TextEncoder().encode(text).buffer as ArrayBuffer })));
    const V = (messages.filter((m) => m.type === 'ptb-loaded').at(-1) as Extract<FromWorker, { type: 'ptb-loaded' }>).data.vocabSize;
    const wrong: InteropModel = { task: 'ptb', config: { ...ptbModel(PTB_CONFIGS.small), hidden: 4, layers: 1, vocab: V }, vocab: Array.from({ length: V }, (_, i) => `x${i}`) };
    await expect(ptb.importModel(encodeInterop(wrong, randomWeights(wrong, 7)), 'wrong.safetensors')).rejects.toThrow(/^wrong\.safetensors: was trained on another vocabulary/);
    expect(ptb.session).toBeNull();
    // the loaded text's words by id, as the task numbers them
    const words = preparePtb({ train: text, valid: text, test: text }).vocab.words;
    const pm: InteropModel = { task: 'ptb', config: { ...ptbModel(PTB_CONFIGS.small), hidden: 4, layers: 1, vocab: V }, vocab: words };
    const pw = randomWeights(pm, 8);
    expect(await ptb.importModel(encodeInterop(pm, pw, { ptbConfig: 'medium' }), 'p4.safetensors')).toBe(`a 1-layer LSTM-4 over ${V} words`);
    expect(ptb.session!.config).toMatchObject({ name: 'medium', numLayers: 1, hiddenSize: 4, vocabSize: V });
    expect(ptb.vocabulary()).toEqual(words);
    expect(maxDifference(decodeInterop((await ptb.exportModel()).bytes, 'x', { task: 'ptb' }).weights, pw)).toBeLessThan(1e-6);
    await ptb.sample(4, 'a b', 6, 0);
    expect((messages.filter((m) => m.type === 'ptb-sampled').at(-1) as Extract<FromWorker, { type: 'ptb-sampled' }>).words).toHaveLength(6);
  }, 120_000);

  it('the worker\'s messages: model-import / model-export answered with model-imported, model-exported or model-file-error', async () => {
    expect(malformed({ type: 'model-export', task: 'chess' })).toBe('model-export for an unknown task (chess)');
    expect(malformed({ type: 'model-import', task: 'mnist', file: { name: 'x' } })).toBe('a model-import without a file (name and bytes)');
    const out: FromWorker[] = [];
    const d = new Dispatcher((m) => out.push(m));
    d.attach(await testGpu());
    const file = (f: string) => ({ name: f, bytes: new Uint8Array(readFileSync(resolve(root, 'test/fixtures/torch', f))).buffer as ArrayBuffer });
    await d.receive({ type: 'model-export', task: 'ptb' });
    expect(out.at(-1)).toEqual({ type: 'model-file-error', task: 'ptb', action: 'export', message: 'There is no model yet.' });
    await d.receive({ type: 'model-import', task: 'mnist', file: file('fable-fast8.safetensors') });
    expect(out.at(-1)).toEqual({ type: 'model-file-error', task: 'mnist', action: 'import', message: 'fable-fast8.safetensors: is a fable model, not an MNIST classifier: open it in the fable task' });
    await d.receive({ type: 'model-import', task: 'mnist', file: file('mnist-rnn16.safetensors') });
    expect(out.at(-1)).toEqual({ type: 'model-imported', task: 'mnist', name: 'mnist-rnn16.safetensors', description: 'an RNN with 16 hidden units' });
    await d.receive({ type: 'model-export', task: 'mnist' });
    const exported = out.at(-1) as Extract<FromWorker, { type: 'model-exported' }>;
    expect(exported).toMatchObject({ type: 'model-exported', task: 'mnist', name: 'mnist-rnn16.safetensors' });
    const original = decodeInterop(new Uint8Array(file('mnist-rnn16.safetensors').bytes), 'fixture', { task: 'mnist' });
    expect(maxDifference(decodeInterop(new Uint8Array(exported.bytes), exported.name, { task: 'mnist' }).weights, original.weights)).toBeLessThan(1e-6);
  }, 120_000);

  it('a file of another task is refused by each task, naming the file', () => {
    const ptbModelFile: InteropModel = { task: 'ptb', config: { ...ptbModel(PTB_CONFIGS.small), hidden: 2, layers: 1, vocab: 3 }, vocab: ['a', 'b', 'c'] };
    const bytes = encodeInterop(ptbModelFile, randomWeights(ptbModelFile, 4));
    expect(() => readMnistModel(bytes, 'p.safetensors')).toThrow('p.safetensors: is a Penn TreeBank model, not an MNIST classifier: open it in the Penn TreeBank task');
    expect(() => readFableModel(bytes, 'p.safetensors', ['a', 'b', 'c'])).toThrow('p.safetensors: is a Penn TreeBank model, not a fable model: open it in the Penn TreeBank task');
    const wide: InteropModel = { task: 'mnist', config: { ...defaultMnistConfig('lstm').model, inputSize: 32, hidden: 2 } };
    expect(() => readMnistModel(encodeInterop(wide, randomWeights(wide, 5)), 'w.safetensors')).toThrow(/^w\.safetensors: holds an LSTM with 2 hidden units: its inputSize 32 differs from this model's 28$/);
  });
});
