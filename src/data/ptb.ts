/**
 * Penn TreeBank word-level data, following the TensorFlow tutorial's reader.py:
 *   _read_words:   f.read().replace("\n", "<eos>").split()
 *   _build_vocab:  Counter(train words) sorted by (-count, word) -> ids 0..V-1 (10,000 for the real data)
 *   ptb_producer:  batch_len = len // batch_size; data = ids[:batch_size*batch_len] as [batch_size][batch_len];
 *                  epoch_size = (batch_len - 1) // num_steps; window i: x = data[:, i*T : (i+1)*T],
 *                  y = data[:, i*T+1 : (i+1)*T+1]
 * Files are validated first (plain ASCII text with lines) so that a wrong file gives a clear DataError.
 */
import { DataError } from './errors.ts';
import { tokenize, type Vocab } from './fable.ts';
import { checkFileSize } from './limits.ts';

export const EOS = '<eos>';
export const PTB_UNK = '<unk>';
/** Longest line accepted by the validator (the real files' longest line is 520 characters). */
export const PTB_MAX_LINE_CHARS = 20_000;

export type PtbSplit = 'train' | 'valid' | 'test';

function ord(n: number): string {
  return '0x' + n.toString(16).padStart(2, '0');
}

/** Shared validator over bytes or UTF-16 code units (both ASCII-checked). */
function validate(length: number, at: (i: number) => number, name: string): void {
  if (length === 0) throw new DataError(name, 'file is empty');
  if (length >= 2 && at(0) === 0x1f && at(1) === 0x8b) {
    throw new DataError(name, 'file is gzip-compressed; decompress it first (PTB files are plain text)');
  }
  let line = 1;
  let lineStart = 0;
  let newlines = 0;
  let crs = 0;
  let printable = 0;
  for (let i = 0; i < length; i++) {
    const c = at(i);
    if (c === 0x0a) {
      if (i - lineStart > PTB_MAX_LINE_CHARS) {
        throw new DataError(
          name,
          `line ${line} is ${i - lineStart} characters long (at most ${PTB_MAX_LINE_CHARS} allowed); ` +
            'PTB text has one sentence per line',
        );
      }
      newlines++;
      line++;
      lineStart = i + 1;
    } else if (c === 0x0d) {
      crs++;
    } else if (c === 0x09 || c === 0x0b || c === 0x0c || c === 0x20) {
      // whitespace
    } else if (c < 0x20 || c === 0x7f) {
      throw new DataError(
        name,
        `looks like a binary file, not PTB text: control byte ${ord(c)} at offset ${i} (line ${line}); ` +
          'PTB files are plain ASCII text, one sentence per line',
      );
    } else if (c > 0x7e) {
      throw new DataError(
        name,
        `not plain ASCII: ${c > 0xff ? 'character U+' + c.toString(16).toUpperCase().padStart(4, '0') : 'byte ' + ord(c)} ` +
          `at offset ${i} (line ${line}); PTB files are plain ASCII text (is this a binary or non-PTB file?)`,
      );
    } else {
      printable++;
    }
  }
  if (length - lineStart > PTB_MAX_LINE_CHARS) {
    throw new DataError(
      name,
      `line ${line} is ${length - lineStart} characters long (at most ${PTB_MAX_LINE_CHARS} allowed); ` +
        'PTB text has one sentence per line',
    );
  }
  if (printable === 0) throw new DataError(name, 'file holds no words (only whitespace)');
  if (newlines === 0) {
    throw new DataError(
      name,
      crs > 0
        ? 'uses CR (old Mac) line endings only; PTB text needs LF line endings (each "\\n" becomes <eos>)'
        : 'has no line breaks; PTB text has one sentence per line (each "\\n" becomes <eos>)',
    );
  }
}

/** Validates bytes as PTB-style text and decodes them. Over the size limit (32 MiB), binary, non-ASCII, empty or
 *  line-less files -> DataError. */
export function decodePtbText(bytes: Uint8Array, name: string): string {
  checkFileSize(name, bytes.length, 'ptbText');
  validate(bytes.length, (i) => bytes[i]!, name);
  return new TextDecoder('utf-8').decode(bytes);
}

/** The same checks as decodePtbText for text already decoded (e.g. File.text()). Returns the text. */
export function validatePtbText(text: string, name: string): string {
  checkFileSize(name, text.length, 'ptbText');
  validate(text.length, (i) => text.charCodeAt(i), name);
  return text;
}

/**
 * Exactly the tutorial's `text.replace("\n", "<eos>").split()`. Consequences kept on purpose:
 * - every "\n" gives one `<eos>`, so a final newline ends the stream with `<eos>` and a file without one has no
 *   `<eos>` after its last line;
 * - "<eos>" is only a token of its own when whitespace surrounds it: the real files have a leading and a trailing
 *   space on every line (and no empty lines), so each line gives its words then `<eos>`. Without the spaces
 *   tokens glue: "a\nb" -> ["a<eos>b"], an empty line " a \n\n b \n" -> ["a", "<eos><eos>", "b", "<eos>"];
 * - "\r\n" works like "\n" (the "\r" is whitespace).
 */
export function ptbTokens(text: string): string[] {
  return tokenize(text.replaceAll('\n', EOS));
}

/** Vocabulary of the training tokens sorted by (-count, word) (word order: code units, as Python for ASCII). */
export function ptbVocab(trainTokens: readonly string[]): Vocab {
  const count = new Map<string, number>();
  for (const w of trainTokens) count.set(w, (count.get(w) ?? 0) + 1);
  const entries = [...count.entries()];
  entries.sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const words = entries.map((e) => e[0]);
  const counts = entries.map((e) => e[1]);
  const index = new Map<string, number>();
  words.forEach((w, i) => index.set(w, i));
  return { words, index, counts };
}

export interface PtbIdsOptions {
  /** Word that out-of-vocabulary tokens become (default `<unk>`). */
  unkWord?: string;
  /**
   * 'unk' (default): map OOV tokens to unkWord (a DataError if the vocabulary lacks it);
   * 'drop': leave them out, as the tutorial's `[word_to_id[w] for w in data if w in word_to_id]` does.
   * The real PTB valid/test have no OOV tokens, so both give the same ids there.
   */
  oov?: 'unk' | 'drop';
  /** Name for messages. */
  name?: string;
}

export interface PtbIds {
  ids: Uint32Array;
  /** How many tokens were not in the vocabulary (mapped to unkWord or dropped). */
  oovCount: number;
}

export function ptbIds(tokens: readonly string[], vocab: Pick<Vocab, 'index'>, options: PtbIdsOptions = {}): PtbIds {
  const unkWord = options.unkWord ?? PTB_UNK;
  const mode = options.oov ?? 'unk';
  const unkId = vocab.index.get(unkWord);
  const ids = new Uint32Array(tokens.length);
  let n = 0;
  let oovCount = 0;
  for (let i = 0; i < tokens.length; i++) {
    const id = vocab.index.get(tokens[i]!);
    if (id !== undefined) {
      ids[n++] = id;
      continue;
    }
    oovCount++;
    if (mode === 'drop') continue;
    if (unkId === undefined) {
      throw new DataError(
        options.name ?? 'text',
        `word "${tokens[i]}" (token ${i}) is not in the vocabulary, which has no "${unkWord}" to map it to`,
      );
    }
    ids[n++] = unkId;
  }
  return { ids: n === ids.length ? ids : ids.slice(0, n), oovCount };
}

export interface PtbBatches {
  /** [batchSize][batchLen], row-major: the first batchSize*batchLen ids (the tail is dropped). */
  data: Uint32Array;
  batchSize: number;
  numSteps: number;
  batchLen: number;
  /** ((len // batchSize) - 1) // numSteps windows per epoch. */
  epochSize: number;
}

export function ptbBatches(ids: ArrayLike<number>, batchSize: number, numSteps: number, name = 'data'): PtbBatches {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(numSteps) || numSteps < 1) throw new RangeError(`numSteps must be a positive integer, got ${numSteps}`);
  const batchLen = Math.floor(ids.length / batchSize);
  const epochSize = Math.floor((batchLen - 1) / numSteps);
  if (epochSize <= 0) {
    throw new DataError(
      name,
      `too short: ${ids.length} tokens in ${batchSize} rows give ${batchLen} per row, but a window of ` +
        `${numSteps} steps needs ${numSteps + 1} (epoch_size == 0; decrease batch size or num steps)`,
    );
  }
  const data = new Uint32Array(batchSize * batchLen);
  for (let i = 0; i < data.length; i++) data[i] = ids[i]!;
  return { data, batchSize, numSteps, batchLen, epochSize };
}

export interface PtbWindow {
  inputs: Uint32Array;
  /** inputs shifted by one step along each row. */
  targets: Uint32Array;
}

/**
 * Window i (0 <= i < epochSize): inputs = data[:, i*T : (i+1)*T], targets = data[:, i*T+1 : (i+1)*T+1].
 * layout 'batch-major' (default): [batchSize][numSteps] as in the tutorial; 'time-major': [numSteps][batchSize]
 * (row t*B + b, the activation layout of docs/design.md). `out` arrays (length B*T) are reused when given.
 */
export function ptbWindow(
  b: PtbBatches,
  i: number,
  layout: 'batch-major' | 'time-major' = 'batch-major',
  out?: PtbWindow,
): PtbWindow {
  if (!Number.isInteger(i) || i < 0 || i >= b.epochSize) throw new RangeError(`window ${i} outside 0..${b.epochSize - 1}`);
  const B = b.batchSize;
  const T = b.numSteps;
  const inputs = out?.inputs ?? new Uint32Array(B * T);
  const targets = out?.targets ?? new Uint32Array(B * T);
  if (inputs.length !== B * T || targets.length !== B * T) throw new RangeError(`out arrays must have length ${B * T}`);
  for (let r = 0; r < B; r++) {
    const base = r * b.batchLen + i * T;
    for (let t = 0; t < T; t++) {
      const k = layout === 'batch-major' ? r * T + t : t * B + r;
      inputs[k] = b.data[base + t]!;
      targets[k] = b.data[base + t + 1]!;
    }
  }
  return { inputs, targets };
}

export interface PtbData {
  vocab: Vocab;
  train: Uint32Array;
  valid: Uint32Array;
  test: Uint32Array;
  /** Tokens of valid/test not in the train vocabulary, mapped to <unk> (0 for the real data). */
  oov: { valid: number; test: number };
}

/**
 * Three files (bytes or text) -> validated, tokenised, one vocabulary from train, ids for each split.
 * `names` default to ptb.train.txt etc.
 */
export function preparePtb(
  files: Record<PtbSplit, Uint8Array | string>,
  names: Partial<Record<PtbSplit, string>> = {},
): PtbData {
  const n = (s: PtbSplit) => names[s] ?? `ptb.${s}.txt`;
  const text = (s: PtbSplit) => {
    const f = files[s];
    return typeof f === 'string' ? validatePtbText(f, n(s)) : decodePtbText(f, n(s));
  };
  const trainTokens = ptbTokens(text('train'));
  const vocab = ptbVocab(trainTokens);
  const train = ptbIds(trainTokens, vocab, { name: n('train') }).ids;
  const valid = ptbIds(ptbTokens(text('valid')), vocab, { name: n('valid') });
  const test = ptbIds(ptbTokens(text('test')), vocab, { name: n('test') });
  return { vocab, train, valid: valid.ids, test: test.ids, oov: { valid: valid.oovCount, test: test.oovCount } };
}
