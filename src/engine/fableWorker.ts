// The fable part of the training worker: the text and its vocabulary, the model (shipped weights until the
// user trains), training with either preset, and generation from typed words.
import { decodeSafetensors } from '../data/safetensors.ts';
import { DataError } from '../data/errors.ts';
import { checkFileSize } from '../data/limits.ts';
import { capVocab, normalizeUserWords, prepareFable, type FableData } from '../data/fable.ts';
import { RateMeter, RunControl } from './control.ts';
import { FABLE_PRESETS, FableSession, type FablePresetName } from './fable.ts';
import { parsePrompt } from './fablePrompt.ts';
import type { FableWeightsInfo, FromWorker } from './protocol.ts';

export const SHIPPED_WEIGHTS = 'data/fable/fable-fast.safetensors';
const MIN_TOKENS = 8;

interface FableState {
  data: FableData;
  name: string;
  session: FableSession;
  weights: FableWeightsInfo;
}

export class FableWorker {
  private state: FableState | null = null;
  private control: RunControl | null = null;
  /** Generations in flight, and the replaced sessions that wait for them to end before their buffers are freed. */
  private generating = 0;
  private retired: FableSession[] = [];

  constructor(private readonly device: () => GPUDevice, private readonly post: (m: FromWorker) => void) {}

  get runControl(): RunControl | null {
    return this.control;
  }

  private async open(data: FableData, name: string, maxVocab: number | null, unkCount: number): Promise<FableState> {
    this.control?.stop();
    const session = await FableSession.create(this.device(), data, FABLE_PRESETS.fast);
    const state: FableState = { data, name, session, weights: { kind: 'untrained', description: 'random weights (not trained yet)' } };
    if (this.state) this.retire(this.state.session);
    this.state = state;
    this.post({ type: 'fable-ready', name, tokens: data.tokens.length, vocab: data.vocab.words, unkCount, maxVocab, weights: state.weights });
    return state;
  }

  async loadBuiltin(baseUrl: string): Promise<void> {
    const res = await fetch(`${baseUrl}data/fable/belling-the-cat.txt`);
    if (!res.ok) throw new DataError('belling-the-cat.txt', `could not be fetched from the app (${res.status})`);
    const data = prepareFable(await res.text(), 'belling-the-cat.txt');
    const state = await this.open(data, 'Belling the Cat (Aesop)', null, 0);
    const w = await fetch(`${baseUrl}${SHIPPED_WEIGHTS}`);
    // No shipped weights (a dev server answers unknown paths with the page): the model stays untrained.
    if (!w.ok || (w.headers.get('Content-Type') ?? '').includes('text/html')) return;
    const st = decodeSafetensors(new Uint8Array(await w.arrayBuffer()), SHIPPED_WEIGHTS);
    if (st.metadata.vocab !== data.vocab.words.join(' ')) throw new DataError(SHIPPED_WEIGHTS, 'made for a different vocabulary');
    state.session.importWeights(Object.fromEntries(Object.entries(st.tensors).map(([k, v]) => [k, v.data])));
    state.weights = { kind: 'shipped', description: `shipped with the app: ${st.metadata.description ?? 'fast preset'}` };
    this.post({ type: 'fable-weights', weights: state.weights });
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

  async train(presetName: FablePresetName, iterations: number): Promise<void> {
    const state = this.state;
    if (!state) throw new DataError('fable', 'load the story first');
    const preset = FABLE_PRESETS[presetName];
    if (!Number.isInteger(iterations) || iterations < 1 || iterations > 1_000_000) {
      throw new DataError('iterations', `must be a whole number from 1 to 1,000,000 (got ${iterations})`);
    }
    this.control?.stop();
    const control = new RunControl();
    this.control = control;
    this.post({ type: 'train-state', task: 'fable', state: 'preparing' });
    const session = await FableSession.create(this.device(), state.data, preset, (Date.now() & 0xffff) + 1);
    this.post({ type: 'train-started', task: 'fable', epochs: 1, stepsPerEpoch: iterations, dispatchesPerStep: session.dispatchesPerStep, batch: preset.batch, gpuBytes: session.gpuBytes });
    this.post({ type: 'train-state', task: 'fable', state: 'running' });
    const t0 = performance.now();
    const meter = new RateMeter(control);
    let diverged = false;
    const finished = await session.train(
      iterations,
      control,
      (m) => {
        if (!Number.isFinite(m.loss)) {
          diverged = true;
          control.stop();
          return;
        }
        this.post({ type: 'train-metrics', task: 'fable', step: m.iteration, epoch: 0, loss: m.loss, accuracy: m.accuracy });
      },
      (i) => {
        const sps = meter.tick(i === iterations);
        if (sps !== null) {
          this.post({
            type: 'train-progress', task: 'fable', step: i, epoch: 0, epochStep: i, stepsPerEpoch: iterations,
            stepsPerSecond: sps, samplesPerSecond: sps * preset.batch, secondsLeft: (iterations - i) / sps,
          });
        }
      },
    );
    if (diverged) {
      session.destroy();
      this.post({ type: 'train-state', task: 'fable', state: 'diverged', message: 'Training diverged (the loss became NaN); the previous weights are kept. Try again or use the other preset.' });
      return;
    }
    // The trained model replaces the playground's weights (also after a stop, once it has learned something),
    // unless another text was loaded meanwhile.
    if (session.iteration === 0 || this.state !== state) {
      session.destroy();
      this.post({ type: 'train-state', task: 'fable', state: 'stopped' });
      return;
    }
    this.retire(state.session);
    state.session = session;
    state.weights = { kind: 'trained', description: `trained here: ${preset.name} preset, ${session.iteration} iterations in ${((performance.now() - t0) / 1000).toFixed(0)} s` };
    this.post({ type: 'fable-weights', weights: state.weights });
    this.post({ type: 'train-state', task: 'fable', state: finished ? 'done' : 'stopped' });
  }

  async generate(requestId: number, input: string, count: number, temperature: number): Promise<void> {
    const state = this.state;
    if (!state) throw new DataError('fable', 'load the story first');
    const prompt = parsePrompt(input, state.data.vocab);
    if (!prompt.ok) return this.post({ type: 'fable-generated', requestId, prompt, words: [] });
    this.generating++;
    let ids: number[];
    try {
      ids = await state.session.generate(prompt.ids, count, temperature, requestId + 1);
    } finally {
      if (--this.generating === 0) this.freeRetired();
    }
    this.post({ type: 'fable-generated', requestId, prompt, words: ids.map((i) => state.data.vocab.words[i]) });
  }

  /** Frees a replaced session's GPU buffers now, or after the generations in flight (which may be using it). */
  private retire(session: FableSession): void {
    this.retired.push(session);
    if (this.generating === 0) this.freeRetired();
  }

  private freeRetired(): void {
    for (const s of this.retired.splice(0)) s.destroy();
  }
}
