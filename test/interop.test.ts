// rnnlab's models in PyTorch's layout (src/data/interop.ts): the names and shapes of each task's module, where
// each value goes (gate blocks, transposes, the forget bias), export -> import is the identity, and a wrong file
// is refused with a message naming the file and the tensor. The numbers against real PyTorch:
// test/interop-torch.test.ts and scripts/torch/interop.py.
import { describe, expect, it } from 'vitest';
import { DataError } from '../src/data/errors.ts';
import * as interop from '../src/data/interop.ts';
import { decodeInterop, encodeInterop, interopFileName, rnnlabShapes, torchLayout, toTorch, type InteropModel } from '../src/data/interop.ts';
import { decodeSafetensors, encodeSafetensors } from '../src/data/safetensors.ts';
import { classifierParams, type ClassifierConfig } from '../src/models/classifier.ts';
import { FABLE_PRESETS } from '../src/models/fable.ts';
import { lmParams, type LmConfig } from '../src/models/lm.ts';
import { defaultMnistConfig } from '../src/models/mnist.ts';
import { PTB_CONFIGS, ptbModel } from '../src/models/ptb.ts';
import { mulberry32 } from '../src/reference/random.ts';

// src/data/interop.ts restates the models' configs (data/ imports nothing): the type check fails if they drift apart
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const configsAgree: [Same<interop.ClassifierConfig, ClassifierConfig>, Same<interop.LmConfig, LmConfig>] = [true, true];

const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`);
const mnistLstm: InteropModel = { task: 'mnist', config: { ...defaultMnistConfig('lstm').model, hidden: 5 } };
const mnistRnn: InteropModel = { task: 'mnist', config: { ...defaultMnistConfig('rnn').model, hidden: 6 } };
const fableFast: InteropModel = { task: 'fable', config: { ...FABLE_PRESETS.fast.model, hidden: 4, vocab: 9 }, vocab: words(9) };
const fableOriginal: InteropModel = { task: 'fable', config: { ...FABLE_PRESETS.original.model, hidden: 3, vocab: 7 }, vocab: words(7) };
const ptb: InteropModel = { task: 'ptb', config: { ...ptbModel(PTB_CONFIGS.small), hidden: 3, layers: 2, vocab: 8 }, vocab: words(8) };
const MODELS: [string, InteropModel][] = [['MNIST LSTM', mnistLstm], ['MNIST RNN', mnistRnn], ['fable fast', fableFast], ['fable original', fableOriginal], ['PTB', ptb]];

function randomWeights(m: InteropModel, seed = 7): Record<string, Float32Array> {
  const rand = mulberry32(seed);
  return Object.fromEntries(Object.entries(rnnlabShapes(m)).map(([k, s]) => [k, Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => rand() * 2 - 1)]));
}

function specsOf(m: InteropModel) {
  return m.task === 'mnist' ? classifierParams(m.config) : lmParams(m.config);
}

/** Re-encodes a file's tensors after `edit` (same metadata): a file PyTorch could have written. */
function edited(bytes: Uint8Array, edit: (t: Record<string, Float32Array>, shapes: Record<string, number[]>, meta: Record<string, string>) => void, dtype: 'F32' | 'F16' = 'F32'): Uint8Array {
  const st = decodeSafetensors(bytes);
  const t: Record<string, Float32Array> = {};
  const shapes: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(st.tensors)) {
    t[k] = v.data;
    shapes[k] = v.shape;
  }
  const meta = { ...st.metadata };
  edit(t, shapes, meta);
  return encodeSafetensors(t, meta, shapes, dtype);
}

/** The same file with every tensor stored as BF16 (the upper half of each float32, truncated). */
function asBf16(bytes: Uint8Array): Uint8Array {
  const st = decodeSafetensors(bytes);
  const names = Object.keys(st.tensors).sort();
  const header: Record<string, unknown> = { __metadata__: st.metadata };
  let at = 0;
  for (const k of names) {
    const n = st.tensors[k]!.data.length;
    header[k] = { dtype: 'BF16', shape: st.tensors[k]!.shape, data_offsets: [at, at + 2 * n] };
    at += 2 * n;
  }
  let json = JSON.stringify(header);
  while (json.length % 8) json += ' ';
  const out = new Uint8Array(8 + json.length + at);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(new TextEncoder().encode(json), 8);
  let p = 8 + json.length;
  for (const k of names) {
    const u = new Uint32Array(Float32Array.from(st.tensors[k]!.data).buffer);
    const halves = Uint16Array.from(u, (x) => x >>> 16);
    out.set(new Uint8Array(halves.buffer), p);
    p += halves.byteLength;
  }
  return out;
}

describe('the PyTorch layout of each task', () => {
  it.each(MODELS)('%s: rnnlab names and shapes are the model\'s own (classifierParams / lmParams)', (_, m) => {
    expect(rnnlabShapes(m)).toEqual(Object.fromEntries(specsOf(m).map((s) => [s.name, [...s.shape]])));
  });

  it('its config types are the models\' (checked by the type check)', () => {
    expect(configsAgree).toEqual([true, true]);
  });

  it('state_dict names and shapes: the modules of the PyTorch docs', () => {
    const sd = (m: InteropModel) => torchLayout(m).map((t) => `${t.name} [${t.shape}]`);
    expect(sd(mnistLstm)).toEqual(['lstm.weight_ih_l0 [20,28]', 'lstm.weight_hh_l0 [20,5]', 'lstm.bias_ih_l0 [20]', 'lstm.bias_hh_l0 [20]', 'fc.weight [10,5]', 'fc.bias [10]']);
    expect(sd(mnistRnn)).toEqual(['rnn.weight_ih_l0 [6,28]', 'rnn.weight_hh_l0 [6,6]', 'rnn.bias_ih_l0 [6]', 'rnn.bias_hh_l0 [6]', 'fc.weight [10,6]', 'fc.bias [10]']);
    expect(sd(fableOriginal).slice(0, 2)).toEqual(['lstm.weight_ih_l0 [12,1]', 'lstm.weight_hh_l0 [12,3]']);
    expect(sd(ptb)).toEqual([
      'embedding.weight [8,3]',
      'lstm.weight_ih_l0 [12,3]', 'lstm.weight_hh_l0 [12,3]', 'lstm.bias_ih_l0 [12]', 'lstm.bias_hh_l0 [12]',
      'lstm.weight_ih_l1 [12,3]', 'lstm.weight_hh_l1 [12,3]', 'lstm.bias_ih_l1 [12]', 'lstm.bias_hh_l1 [12]',
      'fc.weight [8,3]', 'fc.bias [8]',
    ]);
  });

  it('every value lands where PyTorch reads it: gate blocks i, f, g, o; transposes; the forget bias in bias_ih', () => {
    for (const m of [mnistLstm, fableFast]) {
      const w = randomWeights(m);
      const sd = toTorch(m, w);
      const H = m.config.hidden;
      const prefix = m.task === 'mnist' ? '' : 'l0.';
      const I = rnnlabShapes(m)[`${prefix}Wx`]![0]!;
      for (let g = 0; g < 4; g++) {
        for (let j = 0; j < H; j++) {
          for (let i = 0; i < I; i++) expect(sd['lstm.weight_ih_l0']!.data[(g * H + j) * I + i]).toBe(w[`${prefix}Wx`]![i * 4 * H + 4 * j + g]);
          for (let k = 0; k < H; k++) expect(sd['lstm.weight_hh_l0']!.data[(g * H + j) * H + k]).toBe(w[`${prefix}Wh`]![k * 4 * H + 4 * j + g]);
          expect(sd['lstm.bias_ih_l0']!.data[g * H + j]).toBe(Math.fround(w[`${prefix}b`]![4 * j + g]! + (g === 1 ? 1 : 0)));
          expect(sd['lstm.bias_hh_l0']!.data[g * H + j]).toBe(0);
        }
      }
      const V = rnnlabShapes(m).by![0]!;
      for (let v = 0; v < V; v++) for (let j = 0; j < H; j++) expect(sd['fc.weight']!.data[v * H + j]).toBe(w.Wy![j * V + v]);
      expect([...sd['fc.bias']!.data]).toEqual([...w.by!]);
    }
    const r = randomWeights(mnistRnn);
    const sd = toTorch(mnistRnn, r);
    expect(sd['rnn.weight_ih_l0']!.data[3 * 28 + 5]).toBe(r.Wx![5 * 6 + 3]);
    expect([...sd['rnn.bias_ih_l0']!.data]).toEqual([...r.b!]); // no forget bias in a plain RNN
    const p = randomWeights(ptb);
    // PTB: forget bias 0, so bias_ih is b with its gates regrouped into blocks
    expect([...toTorch(ptb, p)['lstm.bias_ih_l1']!.data]).toEqual([0, 1, 2, 3].flatMap((g) => [0, 1, 2].map((j) => p['l1.b']![4 * j + g]!)));
  });

  it.each(MODELS)('%s: export -> import is the identity (forget-gate biases within one float32 rounding)', (_, m) => {
    const w = randomWeights(m);
    const file = encodeInterop(m, w, { description: 'a test' });
    const back = decodeInterop(file, 'm.safetensors', { task: m.task });
    expect(back.model).toEqual(m);
    expect(back.metadata.format).toBe('rnnlab-pytorch');
    expect(back.metadata.description).toBe('a test');
    const fb = m.task === 'mnist' && m.config.cell === 'rnn' ? 0 : m.config.forgetBias;
    for (const [name, want] of Object.entries(w)) {
      const got = back.weights[name]!;
      expect(got.length, name).toBe(want.length);
      const isBias = /(^|\.)b$/.test(name) && !(m.task === 'mnist' && m.config.cell === 'rnn');
      for (let k = 0; k < want.length; k++) {
        if (isBias && k % 4 === 1 && fb !== 0) expect(Math.abs(got[k]! - want[k]!), `${name}[${k}]`).toBeLessThanOrEqual(2 ** -23 * (fb + Math.abs(want[k]!)));
        else expect(got[k], `${name}[${k}]`).toBe(want[k]);
      }
    }
    expect(Object.keys(back.weights).sort()).toEqual(Object.keys(w).sort());
  });

  it('import sums bias_ih and bias_hh (a PyTorch-trained model keeps both)', () => {
    const file = edited(encodeInterop(mnistLstm, randomWeights(mnistLstm)), (t) => {
      t['lstm.bias_ih_l0'] = new Float32Array(20).fill(1.5);
      t['lstm.bias_hh_l0'] = Float32Array.from({ length: 20 }, (_, r) => r / 4);
    });
    const b = decodeInterop(file, 'torch.safetensors', { task: 'mnist' }).weights.b!;
    // ours [4j+g] = bias_ih[gH+j] + bias_hh[gH+j] - (g == f ? 1 : 0), H = 5
    for (let j = 0; j < 5; j++) for (let g = 0; g < 4; g++) expect(b[4 * j + g]).toBeCloseTo(1.5 + (g * 5 + j) / 4 - (g === 1 ? 1 : 0), 6);
  });

  it('reads F16 and BF16 files too (to within their precision)', () => {
    const w = randomWeights(ptb);
    const file = encodeInterop(ptb, w);
    const f16 = decodeInterop(edited(file, () => {}, 'F16'), 'half.safetensors', { task: 'ptb' }).weights;
    const bf16 = decodeInterop(asBf16(file), 'bf16.safetensors', { task: 'ptb' }).weights;
    for (const [name, want] of Object.entries(w)) {
      want.forEach((v, k) => {
        expect(Math.abs(f16[name]![k]! - v), `F16 ${name}[${k}]`).toBeLessThanOrEqual(1e-3);
        expect(Math.abs(bf16[name]![k]! - v), `BF16 ${name}[${k}]`).toBeLessThanOrEqual(1e-2);
      });
    }
  });

  it('file names: <task>-<config>.safetensors', () => {
    expect(interopFileName(mnistLstm)).toBe('mnist-lstm5.safetensors');
    expect(interopFileName(ptb, 'small')).toBe('ptb-small.safetensors');
    expect(interopFileName(fableFast, 'fast')).toBe('fable-fast.safetensors');
  });
});

describe('a wrong file is refused, naming the file and the tensor', () => {
  const good = encodeInterop(ptb, randomWeights(ptb));
  const refuse = (bytes: Uint8Array, re: RegExp, expect_: Parameters<typeof decodeInterop>[2] = { task: 'ptb' }) => {
    let err: unknown;
    try {
      decodeInterop(bytes, 'model.safetensors', expect_);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toMatch(/^model\.safetensors: /);
    expect((err as Error).message).toMatch(re);
  };

  it('a missing tensor, a renamed one, an extra one', () => {
    refuse(edited(good, (t) => delete t['lstm.bias_hh_l1']), /tensor "lstm\.bias_hh_l1" is missing/);
    refuse(edited(good, (t, s) => {
      t['lstm.weight_ih_l0_renamed'] = t['lstm.weight_ih_l0']!;
      s['lstm.weight_ih_l0_renamed'] = s['lstm.weight_ih_l0']!;
      delete t['lstm.weight_ih_l0'];
    }), /tensor "lstm\.weight_ih_l0" is missing/);
    refuse(edited(good, (t) => (t['decoder.bias'] = new Float32Array(8))), /holds a tensor "decoder\.bias" that a Penn TreeBank model .* does not have/);
  });

  it('a wrong shape (also one with the right number of values)', () => {
    refuse(edited(good, (_, s) => (s['fc.weight'] = [3, 8])), /tensor "fc\.weight" is \[3,8\], the file's config \(a 2-layer LSTM-3 over 8 words\) needs \[8,3\]/);
    refuse(edited(good, (t, s) => {
      t['lstm.weight_hh_l1'] = new Float32Array(13 * 3);
      s['lstm.weight_hh_l1'] = [13, 3];
    }), /tensor "lstm\.weight_hh_l1" is \[13,3\]/);
  });

  it('NaN or infinity in a tensor', () => {
    refuse(edited(good, (t) => (t['lstm.bias_ih_l0']![5] = NaN)), /tensor "lstm\.bias_ih_l0" holds NaN at element 5/);
    refuse(edited(good, (t) => (t['embedding.weight']![0] = -Infinity)), /tensor "embedding\.weight" holds -Infinity at element 0/);
    refuse(edited(good, (t) => {
      t['lstm.bias_ih_l1']![2] = 3e38;
      t['lstm.bias_hh_l1']![2] = 3e38;
    }), /tensors "lstm\.bias_ih_l1" and "lstm\.bias_hh_l1" sum past the float32 range/);
  });

  it('a file of another task, another size or another vocabulary', () => {
    refuse(encodeInterop(mnistLstm, randomWeights(mnistLstm)), /is an MNIST classifier, not a Penn TreeBank model/);
    refuse(good, /is a fable model|is a Penn TreeBank model, not a fable model/, { task: 'fable' });
    refuse(good, /its hidden 3 differs from this model's 200/, { task: 'ptb', config: { hidden: 200 } });
    refuse(good, /another vocabulary \(word 2 is "w2", the text's is "the"\)/, { task: 'ptb', vocab: ['w0', 'w1', 'the', 'w3', 'w4', 'w5', 'w6', 'w7'] });
    refuse(encodeInterop(mnistRnn, randomWeights(mnistRnn)), /its cell "rnn" differs from this model's "lstm"/, { task: 'mnist', config: { cell: 'lstm' } });
  });

  it('metadata that is not this format, or a config that makes no sense', () => {
    refuse(edited(good, (_, __, m) => delete m.format), /has no "format" in its metadata: not an rnnlab model in PyTorch's layout/);
    refuse(edited(good, (_, __, m) => (m.format = 'rnnlab')), /has format "rnnlab"/);
    refuse(edited(good, (_, __, m) => (m.config = '{"hidden": 3')), /config is missing from the metadata or not valid JSON/);
    refuse(edited(good, (_, __, m) => (m.config = JSON.stringify({ ...ptb.config, layers: 0 }))), /config: layers is 0, expected a whole number from 1 to 8/);
    refuse(edited(good, (_, __, m) => (m.config = JSON.stringify({ ...ptb.config, forgetBias: 1e39 }))), /config: forgetBias is 1e\+39, expected a number from -100 to 100/);
    refuse(edited(good, (_, __, m) => (m.vocab = 'a b c')), /vocab holds 3 words but the config says 8/);
    refuse(edited(good, (_, __, m) => (m.task = 'gpt')), /task is "gpt", expected mnist, fable or ptb/);
  });

  it('a file that is not safetensors at all', () => {
    refuse(new TextEncoder().encode('not a model, just text'), /header length/);
  });
});
