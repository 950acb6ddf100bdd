// Weights that travel: rnnlab's models in PyTorch's layout (../shared/docs/interop.md), both ways.
//
// Each task is one PyTorch module; an export is a .safetensors file of its state_dict (F32) with
// __metadata__ { format: 'rnnlab-pytorch', task, config (the model config as JSON), vocab (fable, PTB: the words
// by id, space-separated) }. scripts/torch/interop.py defines the same modules and checks both directions.
//
//   MNIST   class Mnist(nn.Module):                        # x [B, 28, 28] (batch, row, pixel), logits [B, 10]
//             lstm = nn.LSTM(28, H, batch_first=True)      # or rnn = nn.RNN(28, H, nonlinearity='tanh', batch_first=True)
//             fc = nn.Linear(H, 10)                        # on the last step's output
//   fable   class Fable(nn.Module):                        # ids [B, 3], logits [B, V]
//             embedding = nn.Embedding(V, H)               # fast preset; the original feeds each id as one
//             lstm = nn.LSTM(H, H, 2, batch_first=True)    #   float: nn.LSTM(1, H, 2), no embedding
//             fc = nn.Linear(H, V)                         # on the last step's output
//   PTB     class Ptb(nn.Module):                          # ids [B, T], logits [B, T, V]
//             embedding = nn.Embedding(V, H)
//             lstm = nn.LSTM(H, H, L, batch_first=True)
//             fc = nn.Linear(H, V)                         # on every step's output
//   Every recurrent layer starts from zeros (h0 = c0 = 0); dropout (PTB medium, large) is for training only.
//
// The conversions (docs/design.md for rnnlab's layouts):
//   LSTM  Wx [I][4H], column 4j+g = gate g of unit j (i, f, g, o)  <->  weight_ih_l{k} [4H][I], row gH+j
//         Wh [H][4H]                                              <->  weight_hh_l{k} [4H][H], the same
//         b [4H] + the constant forget bias on the f gates         <->  bias_ih_l{k} (bias_hh_l{k} zeros on export;
//                                                                     on import the two are summed and the
//                                                                     forget bias taken out of the f rows again)
//   RNN   Wx [I][H], Wh [H][H], b [H]                              <->  weight_ih_l0ᵀ, weight_hh_l0ᵀ, bias_ih + bias_hh
//   head  Wy [H][V], by [V]                                        <->  fc.weight [V][H] (transposed), fc.bias
//   embedding [V][H]                                               <->  embedding.weight [V][H]
// The forget bias row of an exported and re-imported bias is within one float32 rounding of (b + forget bias);
// every other value comes back bit for bit.
import { DataError } from './errors.ts';
import { decodeSafetensors, encodeSafetensors, type SafeTensors } from './safetensors.ts';

export const INTEROP_FORMAT = 'rnnlab-pytorch';

export type InteropTask = 'mnist' | 'fable' | 'ptb';
export const INTEROP_TASKS: readonly InteropTask[] = ['mnist', 'fable', 'ptb'];

/** src/models' ClassifierConfig, as the data a file carries (data/ imports nothing; test/interop.test.ts checks
 *  that the two types are the same). */
export interface ClassifierConfig {
  cell: 'lstm' | 'rnn';
  hidden: number;
  steps: number;
  inputSize: number;
  classes: number;
  forgetBias: number;
}

/** src/models' LmConfig, as the data a file carries. */
export interface LmConfig {
  vocab: number;
  hidden: number;
  layers: number;
  steps: number;
  input: 'embedding' | 'id-float';
  predict: 'every-step' | 'last-step';
  keepProb: number;
  forgetBias: number;
  init: 'uniform' | 'tf-default';
  initScale?: number;
}

/** A model that travels: its task, its config and (for the word models) its vocabulary by id. */
export type InteropModel =
  | { task: 'mnist'; config: ClassifierConfig }
  | { task: 'fable' | 'ptb'; config: LmConfig; vocab: readonly string[] };

const TASK_NAMES: Record<InteropTask, string> = { mnist: 'an MNIST classifier', fable: 'a fable model', ptb: 'a Penn TreeBank model' };

/** One tensor of the PyTorch module's state_dict, and which of rnnlab's parameters it is made from. */
export interface TorchTensorSpec {
  name: string;
  shape: number[];
  /** rnnlab's parameter (bias_hh_l{k} is made from b too: zeros). */
  ours: string;
  kind: 'gates-matrix' | 'gates-bias' | 'gates-bias-hh' | 'transpose' | 'copy';
}

/** rnnlab's parameters of a model, by name with their shapes (those of classifierParams and lmParams). */
export function rnnlabShapes(m: InteropModel): Record<string, number[]> {
  if (m.task === 'mnist') {
    const c = m.config;
    const G = (c.cell === 'lstm' ? 4 : 1) * c.hidden;
    return { Wx: [c.inputSize, G], Wh: [c.hidden, G], b: [G], Wy: [c.hidden, c.classes], by: [c.classes] };
  }
  const c = m.config;
  const H = c.hidden;
  const out: Record<string, number[]> = {};
  if (c.input === 'embedding') out.embedding = [c.vocab, H];
  for (let l = 0; l < c.layers; l++) {
    out[`l${l}.Wx`] = [l === 0 && c.input === 'id-float' ? 1 : H, 4 * H];
    out[`l${l}.Wh`] = [H, 4 * H];
    out[`l${l}.b`] = [4 * H];
  }
  out.Wy = [H, c.vocab];
  out.by = [c.vocab];
  return out;
}

/** The PyTorch module's state_dict: names and shapes in the module's order. */
export function torchLayout(m: InteropModel): TorchTensorSpec[] {
  const specs: TorchTensorSpec[] = [];
  const recurrent = (prefix: string, k: number, I: number, H: number, rows: number, ours: (p: string) => string, gated: boolean) => {
    specs.push(
      { name: `${prefix}.weight_ih_l${k}`, shape: [rows, I], ours: ours('Wx'), kind: gated ? 'gates-matrix' : 'transpose' },
      { name: `${prefix}.weight_hh_l${k}`, shape: [rows, H], ours: ours('Wh'), kind: gated ? 'gates-matrix' : 'transpose' },
      { name: `${prefix}.bias_ih_l${k}`, shape: [rows], ours: ours('b'), kind: gated ? 'gates-bias' : 'copy' },
      { name: `${prefix}.bias_hh_l${k}`, shape: [rows], ours: ours('b'), kind: 'gates-bias-hh' },
    );
  };
  let H: number, V: number;
  if (m.task === 'mnist') {
    const c = m.config;
    H = c.hidden;
    V = c.classes;
    const lstm = c.cell === 'lstm';
    recurrent(lstm ? 'lstm' : 'rnn', 0, c.inputSize, H, (lstm ? 4 : 1) * H, (p) => p, lstm);
  } else {
    const c = m.config;
    H = c.hidden;
    V = c.vocab;
    if (c.input === 'embedding') specs.push({ name: 'embedding.weight', shape: [V, H], ours: 'embedding', kind: 'copy' });
    for (let l = 0; l < c.layers; l++) recurrent('lstm', l, l === 0 && c.input === 'id-float' ? 1 : H, H, 4 * H, (p) => `l${l}.${p}`, true);
  }
  specs.push({ name: 'fc.weight', shape: [V, H], ours: 'Wy', kind: 'transpose' }, { name: 'fc.bias', shape: [V], ours: 'by', kind: 'copy' });
  return specs;
}

function forgetBias(m: InteropModel): number {
  return m.task === 'mnist' && m.config.cell === 'rnn' ? 0 : m.config.forgetBias;
}

/** [rows][cols] -> [cols][rows]. */
function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  return out;
}

/** Ours [I][4H] (column 4j+g) -> PyTorch [4H][I] (row gH+j). */
function gatesToTorch(w: Float32Array, I: number, H: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let i = 0; i < I; i++) for (let j = 0; j < H; j++) for (let g = 0; g < 4; g++) out[(g * H + j) * I + i] = w[i * 4 * H + 4 * j + g]!;
  return out;
}

function gatesFromTorch(w: Float32Array, I: number, H: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let i = 0; i < I; i++) for (let j = 0; j < H; j++) for (let g = 0; g < 4; g++) out[i * 4 * H + 4 * j + g] = w[(g * H + j) * I + i]!;
  return out;
}

/** rnnlab's weights (by name, its layouts) -> the PyTorch module's state_dict (by name, with shapes). */
export function toTorch(m: InteropModel, weights: Record<string, Float32Array>): Record<string, { shape: number[]; data: Float32Array }> {
  const fb = forgetBias(m);
  const shapes = rnnlabShapes(m);
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const t of torchLayout(m)) {
    const w = weights[t.ours];
    const n = shapes[t.ours]!.reduce((a, b) => a * b, 1);
    if (!w || w.length !== n) throw new RangeError(`weights: ${t.ours} missing or of the wrong size (${w?.length ?? 0} != ${n})`);
    let data: Float32Array;
    switch (t.kind) {
      case 'gates-matrix': {
        const H = t.shape[0]! / 4;
        data = gatesToTorch(w, t.shape[1]!, H);
        break;
      }
      case 'gates-bias': {
        const H = t.shape[0]! / 4;
        data = new Float32Array(4 * H);
        for (let j = 0; j < H; j++) for (let g = 0; g < 4; g++) data[g * H + j] = w[4 * j + g]! + (g === 1 ? fb : 0);
        break;
      }
      case 'gates-bias-hh':
        data = new Float32Array(t.shape[0]!);
        break;
      case 'transpose':
        data = transpose(w, t.shape[1]!, t.shape[0]!);
        break;
      case 'copy':
        data = Float32Array.from(w);
        break;
    }
    out[t.name] = { shape: t.shape, data };
  }
  return out;
}

/** The PyTorch module's state_dict (already checked: every name with its shape) -> rnnlab's weights. */
export function fromTorch(m: InteropModel, tensors: Record<string, { data: Float32Array }>): Record<string, Float32Array> {
  const fb = forgetBias(m);
  const out: Record<string, Float32Array> = {};
  for (const t of torchLayout(m)) {
    const w = tensors[t.name]!.data;
    switch (t.kind) {
      case 'gates-matrix':
        out[t.ours] = gatesFromTorch(w, t.shape[1]!, t.shape[0]! / 4);
        break;
      case 'gates-bias': {
        const H = t.shape[0]! / 4;
        const hh = tensors[t.name.replace('bias_ih', 'bias_hh')]!.data;
        const b = new Float32Array(4 * H);
        for (let j = 0; j < H; j++) for (let g = 0; g < 4; g++) b[4 * j + g] = w[g * H + j]! - (g === 1 ? fb : 0) + hh[g * H + j]!;
        out[t.ours] = b;
        break;
      }
      case 'gates-bias-hh':
        break;
      case 'transpose':
        out[t.ours] = transpose(w, t.shape[0]!, t.shape[1]!);
        break;
      case 'copy': {
        const hh = t.name.includes('.bias_ih_') ? tensors[t.name.replace('bias_ih', 'bias_hh')]!.data : null;
        out[t.ours] = hh ? w.map((v, i) => v + hh[i]!) : Float32Array.from(w);
        break;
      }
    }
  }
  return out;
}

/** The model's __metadata__. */
function metadataOf(m: InteropModel, extra: Record<string, string>): Record<string, string> {
  const meta: Record<string, string> = { ...extra, format: INTEROP_FORMAT, task: m.task, config: JSON.stringify(m.config) };
  if (m.task !== 'mnist') meta.vocab = m.vocab.join(' ');
  return meta;
}

/** A .safetensors file of the model in PyTorch's layout, which `torch` loads with load_state_dict(strict=True);
 *  F32 (exact) or F16 (half the size: the app's shipped weights). */
export function encodeInterop(m: InteropModel, weights: Record<string, Float32Array>, extraMetadata: Record<string, string> = {}, dtype: 'F32' | 'F16' = 'F32'): Uint8Array {
  checkModel(m, 'the model');
  const sd = toTorch(m, weights);
  return encodeSafetensors(
    Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, v.data])),
    metadataOf(m, extraMetadata),
    Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, v.shape])),
    dtype,
  );
}

/** The file name the page offers: `<task>-<config>.safetensors`, e.g. mnist-lstm128.safetensors. */
export function interopFileName(m: InteropModel, configName?: string): string {
  if (m.task === 'mnist') return `mnist-${m.config.cell}${m.config.hidden}.safetensors`;
  const c = m.config;
  return `${m.task}-${configName ?? `${c.layers}x${c.hidden}`}.safetensors`;
}

const wholeIn = (v: unknown, lo: number, hi: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;

/** Checks a model config (from a file's metadata, or the caller's); a DataError naming `file` otherwise. */
function checkModel(m: InteropModel, file: string): void {
  const bad = (what: string) => new DataError(file, `config: ${what}`);
  const c = m.config as unknown as Record<string, unknown>;
  const whole = (key: string, lo: number, hi: number) => {
    if (!wholeIn(c[key], lo, hi)) throw bad(`${key} is ${JSON.stringify(c[key])}, expected a whole number from ${lo} to ${hi}`);
  };
  const finite = (key: string) => {
    if (typeof c[key] !== 'number' || !(Math.abs(c[key]) <= 100)) throw bad(`${key} is ${JSON.stringify(c[key])}, expected a number from -100 to 100`);
  };
  const oneOf = (key: string, choices: readonly string[]) => {
    if (!choices.includes(c[key] as string)) throw bad(`${key} is ${JSON.stringify(c[key])}, expected ${choices.join(' or ')}`);
  };
  whole('hidden', 1, 4096);
  whole('steps', 1, 4096);
  finite('forgetBias');
  if (m.task === 'mnist') {
    oneOf('cell', ['lstm', 'rnn']);
    whole('inputSize', 1, 4096);
    whole('classes', 2, 1 << 20);
    return;
  }
  whole('vocab', 2, 1 << 20);
  whole('layers', 1, 8);
  oneOf('input', m.task === 'ptb' ? ['embedding'] : ['embedding', 'id-float']);
  oneOf('predict', [m.task === 'ptb' ? 'every-step' : 'last-step']);
  if (!(typeof c.keepProb === 'number' && c.keepProb > 0 && c.keepProb <= 1)) throw bad(`keepProb is ${JSON.stringify(c.keepProb)}, expected a number above 0 and at most 1`);
  oneOf('init', ['uniform', 'tf-default']);
  if (m.vocab.length !== c.vocab) throw new DataError(file, `vocab holds ${m.vocab.length} words but the config says ${String(c.vocab)}`);
}

/** What a caller expects of a file: its task, and optionally the model it must fit (a size check). */
export interface InteropExpectation {
  task: InteropTask;
  /** The file's config must equal this one in every key named here (e.g. { hidden: 128, cell: 'lstm' }). */
  config?: Partial<ClassifierConfig> | Partial<LmConfig>;
  /** The words the model must use, by id (fable, PTB: the loaded text's vocabulary). */
  vocab?: readonly string[];
}

export interface DecodedInterop {
  model: InteropModel;
  /** In rnnlab's names and layouts. */
  weights: Record<string, Float32Array>;
  metadata: Record<string, string>;
}

/** "an LSTM with 16 hidden units", "a 2-layer LSTM-8 over 20 words". */
function describeConfig(m: InteropModel): string {
  if (m.task === 'mnist') return `${m.config.cell === 'lstm' ? 'an LSTM' : 'an RNN'} with ${m.config.hidden} hidden units`;
  return `a ${m.config.layers}-layer LSTM-${m.config.hidden} over ${m.config.vocab} words`;
}

/**
 * Reads a model in PyTorch's layout: the metadata (format, task, config, vocabulary), then every tensor of the
 * task's module by name, shape and finiteness (F32, F16 or BF16; the first one that is wrong is named), and none
 * besides. A file of another task, or of a model that does not fit `expect`, is refused. Every problem is a
 * DataError naming the file (and the tensor).
 */
export function decodeInterop(bytes: Uint8Array, file: string, expect: InteropExpectation): DecodedInterop {
  const st = decodeSafetensors(bytes, file);
  const meta = st.metadata;
  if (meta.format !== INTEROP_FORMAT) {
    const what = meta.format === undefined ? 'has no "format" in its metadata' : `has format ${JSON.stringify(meta.format)}`;
    throw new DataError(file, `${what}: not an rnnlab model in PyTorch's layout (export one from rnnlab, or write __metadata__ format "${INTEROP_FORMAT}" with task and config as scripts/torch/interop.py does)`);
  }
  const task = meta.task as InteropTask;
  if (!INTEROP_TASKS.includes(task)) throw new DataError(file, `task is ${JSON.stringify(meta.task ?? null)}, expected mnist, fable or ptb`);
  if (task !== expect.task) throw new DataError(file, `is ${TASK_NAMES[task]}, not ${TASK_NAMES[expect.task]}: open it in the ${task === 'ptb' ? 'Penn TreeBank' : task === 'mnist' ? 'MNIST' : 'fable'} task`);
  let config: unknown;
  try {
    config = JSON.parse(meta.config ?? '');
  } catch {
    throw new DataError(file, 'config is missing from the metadata or not valid JSON');
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new DataError(file, 'config is not a JSON object');
  const model = (task === 'mnist'
    ? { task, config }
    : { task, config, vocab: meta.vocab === undefined || meta.vocab === '' ? [] : meta.vocab.split(' ') }) as InteropModel;
  checkModel(model, file);
  checkExpectation(model, expect, file);
  checkTensors(model, st, file);
  const weights = fromTorch(model, st.tensors);
  // finite biases can still sum (bias_ih + bias_hh - forget bias) past the float32 range
  for (const t of torchLayout(model).filter((t) => t.name.includes('.bias_ih_'))) {
    if (!weights[t.ours]!.every(Number.isFinite)) {
      throw new DataError(file, `tensors "${t.name}" and "${t.name.replace('bias_ih', 'bias_hh')}" sum past the float32 range (about 3.4e38)`);
    }
  }
  return { model, weights, metadata: meta };
}

function checkExpectation(model: InteropModel, expect: InteropExpectation, file: string): void {
  const got = model.config as unknown as Record<string, unknown>;
  for (const [key, want] of Object.entries(expect.config ?? {})) {
    if (got[key] !== want) {
      throw new DataError(file, `holds ${describeConfig(model)}: its ${key} ${JSON.stringify(got[key])} differs from this model's ${JSON.stringify(want)}`);
    }
  }
  if (expect.vocab && model.task !== 'mnist') {
    const words = model.vocab;
    const at = expect.vocab.findIndex((w, i) => words[i] !== w);
    if (words.length !== expect.vocab.length || at >= 0) {
      const where = at >= 0 ? `word ${at} is ${JSON.stringify(words[at] ?? null)}, the text's is ${JSON.stringify(expect.vocab[at])}` : `it has ${words.length} words, the text ${expect.vocab.length}`;
      throw new DataError(file, `was trained on another vocabulary (${where}): load the text it was trained on`);
    }
  }
}

function checkTensors(model: InteropModel, st: SafeTensors, file: string): void {
  const layout = torchLayout(model);
  const names = new Set(layout.map((t) => t.name));
  for (const t of layout) {
    const got = Object.hasOwn(st.tensors, t.name) ? st.tensors[t.name] : undefined;
    if (!got) throw new DataError(file, `tensor "${t.name}" is missing: ${describeConfig(model)} (the file's config) has it, [${t.shape}]`);
    if (got.shape.length !== t.shape.length || got.shape.some((d, i) => d !== t.shape[i])) {
      throw new DataError(file, `tensor "${t.name}" is [${got.shape}], the file's config (${describeConfig(model)}) needs [${t.shape}]`);
    }
    const bad = got.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new DataError(file, `tensor "${t.name}" holds ${got.data[bad]} at element ${bad}: weights must be finite numbers`);
  }
  const extra = Object.keys(st.tensors).find((k) => !names.has(k));
  if (extra !== undefined) throw new DataError(file, `holds a tensor "${extra}" that ${TASK_NAMES[model.task]} (${describeConfig(model)}) does not have`);
}
