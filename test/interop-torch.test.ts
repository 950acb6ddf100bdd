// Weights that travel, against real PyTorch, on the GPU (Node + Dawn).
//
// From PyTorch: test/fixtures/torch holds PyTorch-initialised modules of every task with inputs and PyTorch's
// logits (written by `/usr/bin/python3 scripts/torch/interop.py write test/fixtures/torch`); rnnlab imports each
// (decodeInterop) and reproduces the logits with its own forward composition (classifierForward / lmForward, the
// programs its sessions record) within 1e-4 relative. CI checks this without PyTorch.
// To PyTorch: rnnlab's own models of every task (initialised as its sessions do) are exported with their
// rnnlab logits into $RNNLAB_INTEROP_DIR (default: <tmpdir>/rnnlab-interop), for
// `/usr/bin/python3 scripts/torch/interop.py check <that folder>` to load into PyTorch (strict) and compare.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeInterop, encodeInterop, rnnlabShapes, type InteropModel, type InteropTask } from '../src/data/interop.ts';
import { prepareFable } from '../src/data/fable.ts';
import { decodeSafetensors, encodeSafetensors } from '../src/data/safetensors.ts';
import { Program } from '../src/gpu/program.ts';
import { download, submitPrograms, upload } from '../src/gpu/runner.ts';
import { classifierForward, classifierParams } from '../src/models/classifier.ts';
import { FABLE_PRESETS } from '../src/models/fable.ts';
import { lmForward, lmParams } from '../src/models/lm.ts';
import { defaultMnistConfig } from '../src/models/mnist.ts';
import { PTB_CONFIGS, ptbModel } from '../src/models/ptb.ts';
import { Graph } from '../src/nn/graph.ts';
import { ParamSet } from '../src/nn/params.ts';
import { mulberry32 } from '../src/reference/random.ts';
import { testDevice } from './gpu.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'torch');
const TOLERANCE = 1e-4;

/** max |got - want| / max |want|: the difference relative to the logits' scale. */
function relativeDifference(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let diff = 0, scale = 0;
  for (let i = 0; i < want.length; i++) {
    if (!Number.isFinite(got[i]!)) return Infinity;
    diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return diff / scale;
}

/**
 * rnnlab's logits for PyTorch's batch-first input (MNIST: pixels [B][T][I]; fable, PTB: ids [B][T] as floats),
 * in PyTorch's order ([B][V], or [B][T][V] for PTB): the model's forward composition on the GPU from `weights`.
 */
async function rnnlabLogits(m: InteropModel, weights: Record<string, Float32Array>, input: Float32Array, B: number): Promise<Float32Array> {
  const device = await testDevice();
  const params = new ParamSet(device, m.task === 'mnist' ? classifierParams(m.config) : lmParams(m.config), 'interop');
  params.import(weights);
  const p = new Program(device, 'interop forward');
  const g = new Graph(p);
  const T = m.config.steps;
  const I = m.task === 'mnist' ? m.config.inputSize : 1;
  expect(input.length).toBe(B * T * I);
  // batch-first -> time-major (row t*B + b)
  const timeMajor = new Float32Array(input.length);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let i = 0; i < I; i++) timeMajor[(t * B + b) * I + i] = input[(b * T + t) * I + i]!;
  let logits;
  if (m.task === 'mnist') {
    const x = p.persistent([T * B, I], 'x');
    upload(device, x, timeMajor);
    logits = classifierForward(g, params.values(g), g.value(x), m.config, B).logits;
  } else {
    const ids = m.config.input === 'embedding';
    const x = p.persistent(ids ? [T * B] : [T * B, 1], 'x', ids ? 'u32' : 'f32');
    upload(device, x, ids ? Uint32Array.from(timeMajor) : timeMajor);
    logits = lmForward(g, params.values(g), g.value(x), m.config, { batch: B, train: false });
  }
  p.keep(logits.tensor);
  const compiled = await p.compile();
  submitPrograms(device, [compiled]);
  const out = (await download(device, logits.tensor)).subarray(logits.offset, logits.offset + logits.size);
  compiled.destroy();
  p.destroy();
  params.destroy();
  if (m.task !== 'ptb') return out;
  // PTB: rows t*B + b -> [B][T][V]
  const V = m.config.vocab;
  const batchFirst = new Float32Array(out.length);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) batchFirst.set(out.subarray((t * B + b) * V, (t * B + b + 1) * V), (b * T + t) * V);
  return batchFirst;
}

function fixture(name: string): { model: InteropModel; weights: Record<string, Float32Array>; input: Float32Array; logits: Float32Array; B: number } {
  const check = decodeSafetensors(readFileSync(join(FIXTURES, `${name}.check.safetensors`)), `${name}.check.safetensors`);
  const task = name.split('-')[0] as InteropTask;
  const file = check.metadata.model!;
  const { model, weights } = decodeInterop(readFileSync(join(FIXTURES, file)), file, { task });
  const input = check.tensors.input!;
  return { model, weights, input: input.data, logits: check.tensors.logits!.data, B: input.shape[0]! };
}

describe('PyTorch -> rnnlab: PyTorch-initialised modules give PyTorch\'s logits in rnnlab', () => {
  const names = readdirSync(FIXTURES).filter((f) => f.endsWith('.check.safetensors')).map((f) => f.replace('.check.safetensors', '')).sort();

  it('the fixtures are there (every task and cell)', () => {
    expect(names).toEqual(['fable-fast8', 'fable-original8', 'mnist-lstm16', 'mnist-rnn16', 'ptb-2x8']);
  });

  it.each(names)('%s', async (name) => {
    const f = fixture(name);
    const got = await rnnlabLogits(f.model, f.weights, f.input, f.B);
    const d = relativeDifference(got, f.logits);
    console.log(`PyTorch -> rnnlab ${name}: max relative logit difference ${d.toExponential(2)}`);
    expect(d).toBeLessThan(TOLERANCE);
    // not a coincidence of tiny logits: a wrong layout gives a large difference
    const shuffled = { ...f.weights, Wy: f.weights.Wy!.slice().reverse() };
    expect(relativeDifference(await rnnlabLogits(f.model, shuffled, f.input, f.B), f.logits)).toBeGreaterThan(1e-2);
  });
});

describe('rnnlab -> PyTorch: rnnlab\'s models exported with their logits, for scripts/torch/interop.py check', () => {
  const out = process.env.RNNLAB_INTEROP_DIR ?? join(tmpdir(), 'rnnlab-interop');
  const B = 3;
  const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`);
  // rnnlab's own initialisations (the sessions' ParamSet.initialize), at small sizes
  const cases: [string, InteropModel][] = [
    ['mnist-lstm32', { task: 'mnist', config: { ...defaultMnistConfig('lstm').model, hidden: 32 } }],
    ['mnist-rnn32', { task: 'mnist', config: { ...defaultMnistConfig('rnn').model, hidden: 32 } }],
    ['fable-fast16', { task: 'fable', config: { ...FABLE_PRESETS.fast.model, hidden: 16, vocab: 30, initScale: 0.5 }, vocab: words(30) }],
    ['fable-original16', { task: 'fable', config: { ...FABLE_PRESETS.original.model, hidden: 16, vocab: 30 }, vocab: words(30) }],
    ['ptb-small-3x16', { task: 'ptb', config: { ...ptbModel(PTB_CONFIGS.small), layers: 3, hidden: 16, steps: 6, vocab: 40, initScale: 0.5 }, vocab: words(40) }],
  ];

  /** Writes a model and rnnlab's logits on `input` for the Python check. */
  async function exportWithLogits(name: string, m: InteropModel, weights: Record<string, Float32Array>, input: Float32Array) {
    const T = m.config.steps;
    const logits = await rnnlabLogits(m, weights, input, B);
    const file = encodeInterop(m, weights, { description: `${name} (test/interop-torch.test.ts)` });
    // what PyTorch will read is what rnnlab reads back
    expect(decodeInterop(file, name, { task: m.task }).model).toEqual(m);
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, `${name}.safetensors`), file);
    const shape = m.task === 'mnist' ? [B, T, m.config.inputSize] : [B, T];
    const logitShape = m.task === 'ptb' ? [B, T, m.config.vocab] : [B, logits.length / B];
    writeFileSync(join(out, `${name}.check.safetensors`), encodeSafetensors({ input, logits }, { model: `${name}.safetensors`, by: 'rnnlab (WebGPU, Node + Dawn)' }, { input: shape, logits: logitShape }));
    return logits;
  }

  it('the shipped fable weights (a trained 2-layer LSTM-512)', async () => {
    const data = prepareFable(readFileSync('public/data/fable/belling-the-cat.txt', 'utf8'));
    const shipped = decodeSafetensors(new Uint8Array(readFileSync('public/data/fable/fable-fast.safetensors')));
    const m: InteropModel = { task: 'fable', config: { ...FABLE_PRESETS.fast.model, vocab: data.vocab.words.length }, vocab: data.vocab.words };
    const weights = Object.fromEntries(Object.entries(shipped.tensors).map(([k, v]) => [k, v.data]));
    const windows = ['long ago ,', 'the mice had', 'who is to'].flatMap((w) => w.split(' ').map((x) => data.vocab.index.get(x)!));
    const logits = await exportWithLogits('fable-shipped', m, weights, Float32Array.from(windows));
    // trained: "long ago ," -> "the"
    const first = logits.subarray(0, m.config.vocab);
    expect(data.vocab.words[first.indexOf(Math.max(...first))]).toBe('the');
  }, 120_000);

  it.each(cases)('%s', async (name, m) => {
    const device = await testDevice();
    const params = new ParamSet(device, m.task === 'mnist' ? classifierParams(m.config) : lmParams(m.config), 'init');
    params.initialize(14);
    const weights = await params.export();
    params.destroy();
    // trained weights have non-zero biases: give them some, so the forget-bias and bias conversions are exercised
    const rand = mulberry32(3);
    for (const k of Object.keys(rnnlabShapes(m)).filter((k) => /(^|\.)b$|^by$/.test(k))) weights[k] = weights[k]!.map(() => rand() - 0.5);
    const T = m.config.steps;
    const input = m.task === 'mnist'
      ? Float32Array.from({ length: B * T * m.config.inputSize }, () => rand())
      : Float32Array.from({ length: B * T }, () => Math.floor(rand() * m.config.vocab));
    const logits = await exportWithLogits(name, m, weights, input);
    expect(logits.every(Number.isFinite)).toBe(true);
    expect(Math.max(...logits.map(Math.abs))).toBeGreaterThan(1e-3);
  });
});
