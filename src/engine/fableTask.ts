// The fable in the worker: the text and its vocabulary, the model in use (the shipped weights until the user
// trains, or restores them), training with either preset (a new model that replaces the one in use when it has
// learned something), and generation from typed words, also while a run trains. The policies are the host's.
import { decodeInterop, encodeInterop, INTEROP_FORMAT } from '../data/interop.ts';
import { decodeSafetensors } from '../data/safetensors.ts';
import { fingerprintIds } from '../data/fingerprint.ts';
import type { LmConfig } from '../models/lm.ts';
import { DataError } from '../data/errors.ts';
import { checkFileSize } from '../data/limits.ts';
import { capVocab, normalizeUserWords, prepareFable, type FableData } from '../data/fable.ts';
import type { RunControl } from './control.ts';
import { ConfigError } from './errors.ts';
import { FABLE_PRESETS, FableSession, type FableCheckpoint, type FablePresetName } from './fable.ts';
import { parsePrompt } from './fablePrompt.ts';
import { divergedMessage, ProgressReporter, savePiece, SessionSlot, TaskHost, type Post, type RunEnd, type RunPieces } from './host.ts';
import type { LoopResult } from './loop.ts';
import { FABLE_TITLE, type FableWeightsInfo } from './protocol.ts';

export const SHIPPED_WEIGHTS = 'data/fable/fable-fast.safetensors';
const MIN_TOKENS = 8;
/** The most likely next words shown with their probabilities (so the temperature's effect can be seen). */
const CANDIDATES = 5;

/** What a headless run adds to the page's choices. */
export interface FableRunExtras {
  seed?: number;
  /** Metrics averaged over (and read every) this many iterations, instead of the preset's. */
  metricsEvery?: number;
  /** A run in pieces (checkpoints), and the name its checkpoint goes by in messages. */
  pieces?: RunPieces<FableCheckpoint>;
  name?: string;
  /** The model the run starts from (readFableModel's) instead of a fresh one; a resumed run ignores it. */
  init?: FableModelFile;
}

export interface FableModelFile {
  model: LmConfig;
  weights: Record<string, Float32Array>;
}

/**
 * A fable model file in PyTorch's layout (src/data/interop.ts), checked: the task, the 3-word window, the
 * vocabulary of the text it continues, and (given a preset) that preset's input (an embedding, or ids as floats).
 */
export function readFableModel(bytes: Uint8Array, name: string, vocab: readonly string[], preset?: FablePresetName): FableModelFile {
  const config: Partial<LmConfig> = { steps: FABLE_PRESETS.fast.model.steps };
  if (preset) config.input = FABLE_PRESETS[preset].model.input;
  const { model, weights } = decodeInterop(bytes, name, { task: 'fable', config, vocab });
  return { model: model.config as LmConfig, weights };
}

interface FableText {
  data: FableData;
  name: string;
  weights: FableWeightsInfo;
}

interface Shipped {
  weights: Record<string, Float32Array>;
  info: FableWeightsInfo;
}

export class FableTask {
  readonly host: TaskHost;
  private text: FableText | null = null;
  private readonly slot = new SessionSlot<FableSession>();
  /** The weights shipped with the app for the fable's own text (null before loaded, or for another text). */
  private shipped: Shipped | null = null;
  /** The model a run trains (it replaces the one in use when the run ends); null between runs. */
  private training: FableSession | null = null;

  constructor(private readonly device: () => GPUDevice, private readonly out: Post) {
    this.host = new TaskHost('fable', out);
  }

  /** The session in use, and the one a run trains (for tests). */
  get session(): FableSession | null {
    return this.slot.get();
  }
  get trainingSession(): FableSession | null {
    return this.training;
  }

  /** A new text: a run on the old one stops, and the model in use becomes an untrained one for the new words. */
  private async open(data: FableData, name: string, maxVocab: number | null, unkCount: number): Promise<FableText> {
    this.host.stop();
    const session = await FableSession.create(this.device(), data, FABLE_PRESETS.fast);
    this.slot.set(session);
    const text = this.useText(data, name);
    this.ready(text, unkCount, maxVocab);
    return text;
  }

  /** Tells the page the text in use (its words, how it was capped) and the weights it has. */
  private ready(text: FableText, unkCount: number, maxVocab: number | null): void {
    const { data, name, weights } = text;
    this.out({ type: 'fable-ready', task: 'fable', name, tokens: data.tokens.length, vocab: data.vocab.words, unkCount, maxVocab, weights });
  }

  /** The fable itself, with the shipped weights in use. One load at a time (the panel's first load and a resumed
   *  run's may meet); the fable already loaded is only said again (a run resumed on it goes on untouched). */
  loadBuiltin(baseUrl: string): Promise<void> {
    if (this.text?.name === FABLE_TITLE && !this.builtinLoad) {
      this.ready(this.text, 0, null);
      return Promise.resolve();
    }
    this.builtinLoad ??= this.loadBuiltinNow(baseUrl).finally(() => (this.builtinLoad = null));
    return this.builtinLoad;
  }
  private builtinLoad: Promise<void> | null = null;

  private async loadBuiltinNow(baseUrl: string): Promise<void> {
    const res = await fetch(`${baseUrl}data/fable/belling-the-cat.txt`);
    if (!res.ok) throw new DataError('belling-the-cat.txt', `could not be fetched from the app (${res.status})`);
    const data = prepareFable(await res.text(), 'belling-the-cat.txt');
    const text = await this.open(data, FABLE_TITLE, null, 0);
    const w = await fetch(`${baseUrl}${SHIPPED_WEIGHTS}`);
    // No shipped weights (a dev server answers unknown paths with the page): the model stays untrained.
    if (!w.ok || (w.headers.get('Content-Type') ?? '').includes('text/html')) return;
    const bytes = new Uint8Array(await w.arrayBuffer());
    const st = decodeSafetensors(bytes, SHIPPED_WEIGHTS);
    if (st.metadata.format === INTEROP_FORMAT) {
      // written by `npm run train -- fable --save public/...` in PyTorch's layout: the fast preset's model
      const { model, weights } = readFableModel(bytes, SHIPPED_WEIGHTS, data.vocab.words, 'fast');
      if (model.hidden !== FABLE_PRESETS.fast.model.hidden || model.layers !== FABLE_PRESETS.fast.model.layers) {
        throw new DataError(SHIPPED_WEIGHTS, `is a ${model.layers}-layer LSTM-${model.hidden}, not the fast preset's model`);
      }
      this.shipped = { weights, info: { kind: 'shipped', description: st.metadata.description ?? 'fast preset' } };
    } else {
      // rnnlab's own names (the file shipped before the PyTorch layout)
      if (st.metadata.vocab !== data.vocab.words.join(' ')) throw new DataError(SHIPPED_WEIGHTS, 'made for a different vocabulary');
      this.shipped = {
        weights: Object.fromEntries(Object.entries(st.tensors).map(([k, v]) => [k, v.data])),
        info: { kind: 'shipped', description: st.metadata.description ?? 'fast preset' },
      };
    }
    if (this.text === text) this.useShipped(this.slot.get()!);
  }

  private useShipped(session: FableSession): void {
    session.importWeights(this.shipped!.weights);
    this.text!.weights = this.shipped!.info;
    this.out({ type: 'fable-weights', task: 'fable', weights: this.text!.weights });
  }

  /** The shipped weights in use again (after a training run replaced them). */
  async restoreShipped(): Promise<void> {
    const text = this.text;
    if (!text || !this.shipped) throw new DataError('fable', 'the shipped weights are for the fable itself: load it first ("Use the fable again")');
    const session = await FableSession.create(this.device(), text.data, FABLE_PRESETS.fast);
    this.slot.set(session);
    this.useShipped(session);
  }

  /** The text in use (a saved run records it; null: none loaded): the fable itself, or the user's text. */
  get dataSource(): { source: 'builtin' | 'files'; names: string[] } | null {
    return this.text ? { source: this.text.name === FABLE_TITLE ? 'builtin' : 'files', names: [this.text.name] } : null;
  }

  /** The fingerprint of the text in use (a saved run goes on only with the same), null: none loaded. */
  dataFingerprint(): string | null {
    return this.text ? fingerprintIds(this.text.data.ids) : null;
  }

  /** The device was replaced (the old one was lost): the model in use is made again on the new one, with the
   *  shipped weights if they were in use; trained weights were on the lost device (a saved run keeps them). */
  async deviceReplaced(): Promise<void> {
    this.slot.set(null);
    const text = this.text;
    if (!text) return;
    if (this.shipped && text.weights.kind === 'shipped') return this.restoreShipped();
    this.slot.set(await FableSession.create(this.device(), text.data, FABLE_PRESETS.fast));
    if (text.weights.kind === 'untrained') return;
    text.weights = { kind: 'untrained', description: 'random weights: the trained ones were lost with the GPU device (resume or continue the run from the Runs tab)' };
    this.out({ type: 'fable-weights', task: 'fable', weights: text.weights });
  }

  async loadText(name: string, text: string, maxVocab: number): Promise<void> {
    checkFileSize(name, text.length, 'fableText');
    // The same normalisation as typed prompts (lowercase, , . ? as words), so every word can be typed.
    const tokens = normalizeUserWords(text);
    if (tokens.length === 0) throw new DataError(name, 'the text is empty');
    if (tokens.length < MIN_TOKENS) throw new DataError(name, `only ${tokens.length} words; at least ${MIN_TOKENS} are needed to learn anything`);
    const capped = capVocab(tokens, maxVocab);
    const data = prepareFable(capped.tokens.join(' '), name);
    await this.open(data, name, maxVocab, capped.unkCount);
  }

  /** The text itself, already prepared (the headless trainer): no model is made until a run trains one. */
  useData(data: FableData, name: string): void {
    this.host.stop();
    this.useText(data, name);
  }

  /** The text in use, with untrained weights until a run or the shipped weights give it better ones. */
  private useText(data: FableData, name: string): FableText {
    this.text = { data, name, weights: { kind: 'untrained', description: 'random weights (not trained yet)' } };
    this.shipped = null;
    return this.text;
  }

  train(presetName: FablePresetName, iterations: number, extras: FableRunExtras = {}): Promise<void> {
    return this.host.start((control) => this.run(presetName, iterations, extras, control));
  }

  private async run(presetName: FablePresetName, iterations: number, extras: FableRunExtras, control: RunControl): Promise<RunEnd> {
    const text = this.text;
    if (!text) throw new DataError('fable', 'load the story first');
    const base = FABLE_PRESETS[presetName];
    if (!base) throw new DataError('preset', `unknown preset ${String(presetName)} (original or fast)`);
    const preset = { ...base, metricsEvery: extras.metricsEvery ?? base.metricsEvery };
    if (!Number.isInteger(iterations) || iterations < 1 || iterations > 1_000_000) {
      throw new DataError('iterations', `must be a whole number from 1 to 1,000,000 (got ${iterations})`);
    }
    const host = this.host;
    const pieces = extras.pieces;
    const init = pieces?.resume ? undefined : extras.init;
    // a model file sets the model's size (its hidden size may differ from the preset's)
    const session = await FableSession.create(this.device(), text.data, init ? { ...preset, model: init.model } : preset, extras.seed ?? (Date.now() & 0xffff) + 1);
    try {
      if (pieces?.resume) session.restore(pieces.resume, extras.name);
      else if (init) session.importWeights(init.weights);
    } catch (e) {
      session.destroy();
      throw e;
    }
    const plan = { epochs: 1, stepsPerEpoch: iterations, samplesPerStep: preset.batch };
    host.started({ ...plan, dispatchesPerStep: session.dispatchesPerStep, kernels: session.kernelTimings, parameters: session.params.count, batch: preset.batch, gpuBytes: session.gpuBytes });
    const t0 = performance.now();
    const progress = new ProgressReporter(host, control, plan);
    let r: LoopResult = { sums: { loss: 0, correct: 0, rows: 0 }, steps: 0, completed: true, diverged: false, cut: false };
    this.training = session;
    const save = () => savePiece(pieces, () => session.checkpoint(pieces!.notes()));
    try {
      // in pieces of pieces.every iterations or until a save is due, each saved (not in pieces: all at once)
      while ((r.completed || r.cut) && session.iteration < iterations) {
        const left = iterations - session.iteration;
        r = await session.train(
          pieces && Number.isFinite(pieces.every) ? Math.min(pieces.every - (session.iteration % pieces.every), left) : left,
          control,
          (m) => host.post({ type: 'train-metrics', task: 'fable', step: m.iteration, epoch: 0, epochStep: m.iteration, values: { loss: m.loss, accuracy: m.accuracy } }),
          (i) => progress.step(i, 0, i),
          pieces?.due && (() => pieces.due!()),
        );
        // saved after each piece, and when stopped (it can go on later from there)
        if (!r.diverged) await save();
      }
    } catch (e) {
      session.destroy();
      throw e;
    } finally {
      this.training = null;
    }
    // The model in use is untouched by a divergence (training made a new one).
    if (r.diverged) {
      session.destroy();
      return { state: 'diverged', message: divergedMessage('loss', `The weights in use are kept (${text.weights.description}).`, 'Try again, or use the other preset.') };
    }
    // The trained model replaces the playground's weights (also after a stop, once it has learned something),
    // unless another text was loaded meanwhile.
    if (session.iteration === 0 || this.text !== text) {
      session.destroy();
      return { state: 'stopped' };
    }
    this.slot.set(session);
    text.weights = { kind: 'trained', description: `${preset.name} preset, ${session.iteration} iterations in ${((performance.now() - t0) / 1000).toFixed(0)} s` };
    this.out({ type: 'fable-weights', task: 'fable', weights: text.weights });
    return { state: r.completed ? 'done' : 'stopped' };
  }

  /** The weights of the model in use. */
  exportWeights(): Promise<Record<string, Float32Array>> {
    return this.slot.use((s) => s.exportWeights());
  }

  /** The model in use as a file in PyTorch's layout (`dtype` F16: half the size, for shipped weights). */
  exportModel(metadata: Record<string, string> = {}, dtype: 'F32' | 'F16' = 'F32'): Promise<{ bytes: Uint8Array; name: string }> {
    return this.host.request(() =>
      this.slot.use(async (s) => {
        const model = { task: 'fable' as const, config: s.model, vocab: s.data.vocab.words };
        const bytes = encodeInterop(model, await s.exportWeights(), { preset: s.preset.name, ...metadata }, dtype);
        return { bytes, name: `fable-${s.preset.name}.safetensors` };
      }),
    );
  }

  /** A model file in PyTorch's layout for the loaded text becomes the model in use (its preset follows from its
   *  input: an embedding is the fast preset's, ids as floats the original's), once it passed every check and its
   *  session is built; the model in use is untouched otherwise. Not during a run. */
  async importModel(bytes: Uint8Array, name: string): Promise<string> {
    if (this.host.busy) throw new ConfigError('Stop the training run first: an imported model replaces the model in use.');
    const text = this.text;
    if (!text) throw new DataError('fable', 'load the story first: a model comes with its vocabulary');
    const file = readFableModel(bytes, name, text.data.vocab.words);
    const preset = FABLE_PRESETS[file.model.input === 'embedding' ? 'fast' : 'original'];
    const session = await FableSession.create(this.device(), text.data, { ...preset, model: file.model });
    try {
      session.importWeights(file.weights);
    } catch (e) {
      session.destroy();
      throw e;
    }
    if (this.text !== text) {
      session.destroy();
      throw new DataError(name, 'another text was loaded meanwhile; import it again');
    }
    this.slot.set(session);
    const description = `a ${file.model.layers}-layer LSTM-${file.model.hidden} (${preset.name} preset's input)`;
    text.weights = { kind: 'trained', description: `imported from ${name}: ${description}` };
    this.out({ type: 'fable-weights', task: 'fable', weights: text.weights });
    return description;
  }

  /** Continues three typed words with the model in use (between two steps of a run in progress). */
  generate(requestId: number, input: string, count: number, temperature: number): Promise<void> {
    const text = this.text;
    if (!text) throw new DataError('fable', 'load the story first');
    const prompt = parsePrompt(input, text.data.vocab);
    if (!prompt.ok) {
      this.out({ type: 'fable-generated', task: 'fable', requestId, prompt, words: [], temperature, candidates: [] });
      return Promise.resolve();
    }
    return this.host.request(() =>
      this.slot.use(async (s) => {
        const next = await s.nextWords(prompt.ids, CANDIDATES, temperature);
        const ids = await s.generate(prompt.ids, count, temperature, requestId + 1);
        const words = s.data.vocab.words;
        this.out({ type: 'fable-generated', task: 'fable', requestId, prompt, words: ids.map((i) => words[i]!), temperature, candidates: next.map(({ id, p }) => ({ word: words[id]!, p })) });
      }),
    );
  }
}
