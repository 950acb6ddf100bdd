/**
 * "Belling the Cat" next-word data, following the original TensorFlow tutorial (rnn_words.py):
 *   read_data: lines stripped and split on whitespace;
 *   build_dataset: collections.Counter(words).most_common() -> ids by frequency, ties by first occurrence
 *     (Counter keeps insertion order and most_common sorts stably);
 *   training loop: offset = randint(0, n_input+1); each iteration
 *       if offset > len(data) - (n_input+1): offset = randint(0, n_input+1)
 *       inputs = data[offset : offset+n_input], target = data[offset+n_input]
 *       offset += n_input + 1
 */
import { DataError } from './errors.ts';

export const FABLE_N_INPUT = 3;
export const UNK = '<unk>';

export interface Vocab {
  /** id -> word, most frequent first (ties: first occurrence first). */
  words: string[];
  /** word -> id. */
  index: Map<string, number>;
  /** id -> number of occurrences in the tokens the vocabulary was built from. */
  counts: number[];
}

// Python's str.split() whitespace: JS \s plus \x1c-\x1f and \x85, which Python counts and JS does not.
// (JS \s also holds U+FEFF, so a leading byte-order mark is dropped; Python would keep it in the first word.)
const WS = /[\s\x1c-\x1f\x85]+/;

/** Splits on whitespace like Python's str.split() (no empty tokens). */
export function tokenize(text: string): string[] {
  const t = text.split(WS);
  let a = 0;
  let b = t.length;
  if (a < b && t[a] === '') a++;
  if (b > a && t[b - 1] === '') b--;
  return a === 0 && b === t.length ? t : t.slice(a, b);
}

/** Vocabulary ordered by frequency (descending), ties by first occurrence. */
export function buildVocab(tokens: readonly string[]): Vocab {
  const count = new Map<string, number>(); // Map iterates in insertion (= first occurrence) order
  for (const w of tokens) count.set(w, (count.get(w) ?? 0) + 1);
  const entries = [...count.entries()];
  entries.sort((x, y) => y[1] - x[1]); // Array.prototype.sort is stable (ES2019)
  const words = entries.map((e) => e[0]);
  const counts = entries.map((e) => e[1]);
  const index = new Map<string, number>();
  words.forEach((w, i) => index.set(w, i));
  return { words, index, counts };
}

/** Token ids; a token missing from the vocabulary gives a DataError (use capVocab first for open text). */
export function encodeTokens(tokens: readonly string[], vocab: Vocab, name = 'text'): Int32Array {
  const ids = new Int32Array(tokens.length);
  for (let i = 0; i < tokens.length; i++) {
    const id = vocab.index.get(tokens[i]!);
    if (id === undefined) throw new DataError(name, `token ${i} "${tokens[i]}" is not in the vocabulary`);
    ids[i] = id;
  }
  return ids;
}

export interface FableWindow {
  /** Position of the first input symbol. */
  offset: number;
  /** nInput ids: ids[offset .. offset+nInput-1]. */
  inputs: number[];
  /** ids[offset+nInput]. */
  target: number;
}

export interface FableWalkerOptions {
  /** Symbols per input window (tutorial: 3). */
  nInput?: number;
  /** Uniform [0,1) generator for the random (re)start offsets; default Math.random. */
  rng?: () => number;
  /** Start offset; default: random in [0, nInput+1] like the tutorial. */
  offset?: number;
}

/**
 * The tutorial's window walk. Each `next()`:
 *   1. if offset > length - (nInput+1): offset = random integer in [0, nInput+1] (inclusive, as Python's
 *      random.randint(0, n_input+1));
 *   2. window = inputs ids[offset..offset+nInput-1], target ids[offset+nInput];
 *   3. offset += nInput + 1.
 * The condition is the tutorial's `offset > len(training_data) - end_offset` with end_offset = n_input+1,
 * evaluated at the start of the iteration: offset = length-(nInput+1) is still used (its target is the last
 * token), so the walk never reads past the end and the last window of a pass can end exactly on the last token.
 * For the fable (204 tokens) a pass started at s in 0..4 visits offsets s, s+4, ... <= 200.
 * Deviation only for texts shorter than 2*(nInput+1) tokens, where the tutorial would index out of range:
 * the restart offset is drawn from [0, min(nInput+1, length-(nInput+1))] instead.
 */
export class FableWalker {
  readonly ids: ArrayLike<number>;
  readonly nInput: number;
  offset: number;
  private readonly rng: () => number;

  constructor(ids: ArrayLike<number>, options: FableWalkerOptions = {}) {
    this.nInput = options.nInput ?? FABLE_N_INPUT;
    if (!Number.isInteger(this.nInput) || this.nInput < 1) throw new RangeError(`nInput must be a positive integer, got ${this.nInput}`);
    if (ids.length < this.nInput + 1) {
      throw new DataError('text', `${ids.length} tokens; at least ${this.nInput + 1} are needed (${this.nInput} inputs and a target)`);
    }
    this.ids = ids;
    this.rng = options.rng ?? Math.random;
    this.offset = options.offset ?? this.randomOffset();
  }

  /** Random integer in [0, nInput+1], capped so the window fits. */
  private randomOffset(): number {
    const hi = Math.min(this.nInput + 1, this.ids.length - (this.nInput + 1));
    return Math.min(hi, Math.floor(this.rng() * (hi + 1)));
  }

  next(): FableWindow {
    if (this.offset > this.ids.length - (this.nInput + 1)) this.offset = this.randomOffset();
    const offset = this.offset;
    const inputs: number[] = [];
    for (let k = 0; k < this.nInput; k++) inputs.push(this.ids[offset + k]!);
    const target = this.ids[offset + this.nInput]!;
    this.offset += this.nInput + 1;
    return { offset, inputs, target };
  }

  *[Symbol.iterator](): Iterator<FableWindow> {
    for (;;) yield this.next();
  }
}

/**
 * Playground input -> tokens: lowercase, `,` `.` `?` become tokens of their own, split on whitespace.
 * ("The cat, said he." -> ["the", "cat", ",", "said", "he", "."]). Other characters stay in their word.
 */
export function normalizeUserWords(input: string): string[] {
  return tokenize(input.toLowerCase().replace(/([,.?])/g, ' $1 '));
}

/** Levenshtein distance (insert, delete, substitute each cost 1), over UTF-16 code units. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const sub = prev[j - 1]! + (ca === b.charCodeAt(j - 1) ? 0 : 1);
      cur[j] = Math.min(sub, prev[j]! + 1, cur[j - 1]! + 1);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

/** The k vocabulary words closest to `word` by edit distance; ties by frequency rank (vocabulary id). */
export function closestWords(word: string, vocab: Pick<Vocab, 'words'>, k: number): string[] {
  const w = word.toLowerCase();
  const scored = vocab.words.map((v, id) => ({ v, id, d: editDistance(w, v) }));
  scored.sort((x, y) => x.d - y.d || x.id - y.id);
  return scored.slice(0, Math.max(0, k)).map((s) => s.v);
}

export interface CappedVocab {
  /** The input tokens with every word outside the kept set replaced by `<unk>`. */
  tokens: string[];
  /** buildVocab of `tokens` (so ordered by frequency; `<unk>` sits where its count puts it). */
  vocab: Vocab;
  /** How many tokens were replaced by `<unk>`. */
  unkCount: number;
}

/**
 * For "your own text": when the text has more than `maxSize` distinct symbols, keeps the maxSize-1 most
 * frequent (ties by first occurrence; an `<unk>` already in the text does not count as one of them) and maps
 * the rest to `<unk>`, so the vocabulary has exactly maxSize entries. Texts that fit are returned unchanged.
 */
export function capVocab(tokens: readonly string[], maxSize: number): CappedVocab {
  if (!Number.isInteger(maxSize) || maxSize < 2) throw new RangeError(`maxSize must be an integer >= 2, got ${maxSize}`);
  const full = buildVocab(tokens);
  if (full.words.length <= maxSize) return { tokens: tokens.slice(), vocab: full, unkCount: 0 };
  const keep = new Set(full.words.filter((w) => w !== UNK).slice(0, maxSize - 1));
  let unkCount = 0;
  const mapped = tokens.map((t) => {
    if (keep.has(t)) return t;
    unkCount++;
    return UNK;
  });
  return { tokens: mapped, vocab: buildVocab(mapped), unkCount };
}

export interface FableData {
  tokens: string[];
  vocab: Vocab;
  ids: Int32Array;
}

/** Text -> tokens, vocabulary, ids. `maxVocab` (optional) applies capVocab. Empty text is a DataError. */
export function prepareFable(text: string, name = 'text', maxVocab?: number): FableData {
  let tokens = tokenize(text);
  if (tokens.length < FABLE_N_INPUT + 1) {
    throw new DataError(name, `${tokens.length} tokens; at least ${FABLE_N_INPUT + 1} are needed (3 inputs and a target)`);
  }
  let vocab: Vocab;
  if (maxVocab !== undefined) ({ tokens, vocab } = capVocab(tokens, maxVocab));
  else vocab = buildVocab(tokens);
  return { tokens, vocab, ids: encodeTokens(tokens, vocab, name) };
}
