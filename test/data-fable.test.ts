import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../src/data/batch.ts';
import { DataError } from '../src/data/errors.ts';
import {
  buildVocab,
  capVocab,
  closestWords,
  editDistance,
  encodeTokens,
  FableWalker,
  normalizeUserWords,
  prepareFable,
  tokenize,
} from '../src/data/fable.ts';

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
const sharedPath = resolve(repoRoot, '..', 'shared', 'data', 'fable', 'belling-the-cat.txt');
const publicPath = resolve(repoRoot, 'public', 'data', 'fable', 'belling-the-cat.txt');
const text = readFileSync(sharedPath, 'utf8');

describe('fable text', () => {
  it('public copy is byte-identical to the shared one', () => {
    expect(Buffer.compare(readFileSync(publicPath), readFileSync(sharedPath))).toBe(0);
  });

  it('has 204 tokens and 112 symbols', () => {
    const tokens = tokenize(text);
    expect(tokens.length).toBe(204);
    expect(tokens.slice(0, 5)).toEqual(['long', 'ago', ',', 'the', 'mice']);
    expect(tokens[203]).toBe('.');
    const v = buildVocab(tokens);
    expect(v.words.length).toBe(112);
    expect(v.index.size).toBe(112);
    expect(v.counts.reduce((a, b) => a + b, 0)).toBe(204);
  });

  it('orders the vocabulary by frequency, ties by first occurrence (checked independently)', () => {
    const tokens = tokenize(text);
    const v = buildVocab(tokens);
    // independent: count with a plain object, record first position, sort by (-count, first)
    const count: Record<string, number> = {};
    const first: Record<string, number> = {};
    tokens.forEach((t, i) => {
      count[t] = (count[t] ?? 0) + 1;
      if (!(t in first)) first[t] = i;
    });
    const expected = Object.keys(count).sort((a, b) => count[b]! - count[a]! || first[a]! - first[b]!);
    expect(v.words).toEqual(expected);
    expect(v.words.slice(0, 4)).toEqual([',', 'the', '.', 'and']);
    expect(v.counts.slice(0, 4)).toEqual([count[',']!, count['the']!, count['.']!, count['and']!]);
    for (let i = 1; i < v.counts.length; i++) expect(v.counts[i]!).toBeLessThanOrEqual(v.counts[i - 1]!);
    for (const [w, id] of v.index) expect(v.words[id]).toBe(w);
  });

  it('tokenize splits on any whitespace like Python str.split()', () => {
    expect(tokenize('  a\tb\n\nc \r\n d  ')).toEqual(['a', 'b', 'c', 'd']);
    expect(tokenize('a\x1cb\x85c')).toEqual(['a', 'b', 'c']);
    expect(tokenize('')).toEqual([]);
    expect(tokenize(' \n ')).toEqual([]);
  });
});

describe('FableWalker (the tutorial window walk)', () => {
  const { ids } = prepareFable(text);

  it('takes 3 inputs at offset and the target at offset+3, then offset += 4', () => {
    const w = new FableWalker(ids, { offset: 0, rng: () => 0 });
    for (let k = 0; k < 51; k++) {
      const win = w.next();
      expect(win.offset).toBe(4 * k);
      expect(win.inputs).toEqual([ids[4 * k], ids[4 * k + 1], ids[4 * k + 2]]);
      expect(win.target).toBe(ids[4 * k + 3]);
    }
    // offset 200 = len - 4 was used (its target is the last token); 204 > 200 restarts
    expect(w.offset).toBe(204);
    const r = w.next();
    expect(r.offset).toBe(0);
  });

  it('restarts at randint(0, 4) inclusive when offset > len - 4', () => {
    // offset 201 > 200: restart; rng 0.9999 -> 4, 0.2 -> 1
    const seq = [0.9999, 0.2];
    const w = new FableWalker(ids, { offset: 197, rng: () => seq.shift()! });
    expect(w.next().offset).toBe(197);
    expect(w.offset).toBe(201);
    expect(w.next().offset).toBe(4);
    const w2 = new FableWalker(ids, { offset: 201, rng: () => 0.2 });
    expect(w2.next().offset).toBe(1);
  });

  it('starts at a random offset in [0,4] and every restart value occurs', () => {
    const rng = mulberry32(7);
    const starts = new Set<number>();
    for (let i = 0; i < 100; i++) starts.add(new FableWalker(ids, { rng }).offset);
    expect([...starts].sort()).toEqual([0, 1, 2, 3, 4]);
    const w = new FableWalker(ids, { rng: mulberry32(3) });
    const seen = new Set<number>();
    for (let i = 0; i < 5000; i++) {
      const win = w.next();
      expect(win.offset).toBeGreaterThanOrEqual(0);
      expect(win.offset + 3).toBeLessThan(ids.length);
      expect(win.target).toBe(ids[win.offset + 3]);
      if (win.offset <= 4) seen.add(win.offset);
    }
    expect(seen.size).toBe(5);
  });

  it('is an iterator', () => {
    const w = new FableWalker(ids, { offset: 8, rng: () => 0 });
    const it = w[Symbol.iterator]();
    expect(it.next().value?.offset).toBe(8);
    expect(it.next().value?.offset).toBe(12);
  });

  it('short texts never read past the end', () => {
    const w = new FableWalker([1, 2, 3, 4, 5], { rng: () => 0.99 });
    for (let i = 0; i < 20; i++) {
      const win = w.next();
      expect(win.offset + 3).toBeLessThan(5);
    }
    expect(() => new FableWalker([1, 2, 3])).toThrow(DataError);
  });
});

describe('playground helpers', () => {
  const vocab = buildVocab(tokenize(text));

  it('normalizeUserWords lowercases and splits , . ?', () => {
    expect(normalizeUserWords('Long ago, the MICE')).toEqual(['long', 'ago', ',', 'the', 'mice']);
    expect(normalizeUserWords('  who is to bell the cat?')).toEqual(['who', 'is', 'to', 'bell', 'the', 'cat', '?']);
    expect(normalizeUserWords('had a general council.')).toEqual(['had', 'a', 'general', 'council', '.']);
    expect(normalizeUserWords('a,b..c')).toEqual(['a', ',', 'b', '.', '.', 'c']);
    expect(normalizeUserWords('')).toEqual([]);
  });

  it('editDistance', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('mouse', 'mouse')).toBe(0);
    expect(editDistance('mouce', 'mice')).toBe(2);
  });

  it('closestWords by edit distance, ties by frequency rank', () => {
    expect(closestWords('mouce', vocab, 1)).toEqual(['mouse']);
    expect(closestWords('Cat', vocab, 1)).toEqual(['cat']);
    const k = 8;
    const res = closestWords('bel', vocab, k);
    expect(res.length).toBe(k);
    expect(editDistance('bel', res[0]!)).toBe(1);
    const ds = res.map((w) => editDistance('bel', w));
    for (let i = 1; i < k; i++) {
      expect(ds[i]!).toBeGreaterThanOrEqual(ds[i - 1]!);
      if (ds[i] === ds[i - 1]) expect(vocab.index.get(res[i]!)!).toBeGreaterThan(vocab.index.get(res[i - 1]!)!);
    }
    // nothing outside the result is closer than the farthest inside
    const worst = ds[k - 1]!;
    for (const w of vocab.words) if (!res.includes(w)) expect(editDistance('bel', w)).toBeGreaterThanOrEqual(worst);
  });

  it('encodeTokens rejects unknown words', () => {
    expect(() => encodeTokens(['the', 'dog'], vocab, 'prompt')).toThrow(/prompt: token 1 "dog" is not in the vocabulary/);
  });
});

describe('capVocab', () => {
  const tokens = tokenize(text);
  const full = buildVocab(tokens);

  it('keeps the maxSize-1 most frequent plus <unk>', () => {
    const c = capVocab(tokens, 10);
    expect(c.vocab.words.length).toBe(10);
    expect(c.vocab.index.has('<unk>')).toBe(true);
    const kept = full.words.slice(0, 9);
    for (const w of kept) expect(c.vocab.index.has(w)).toBe(true);
    const keptCount = full.counts.slice(0, 9).reduce((a, b) => a + b, 0);
    expect(c.unkCount).toBe(204 - keptCount);
    expect(c.tokens.length).toBe(204);
    expect(c.tokens.filter((t) => t === '<unk>').length).toBe(c.unkCount);
    tokens.forEach((t, i) => expect(c.tokens[i]).toBe(kept.includes(t) ? t : '<unk>'));
    // <unk> is frequent here, so it comes first
    expect(c.vocab.words[0]).toBe('<unk>');
  });

  it('leaves a text that fits unchanged', () => {
    const c = capVocab(tokens, 112);
    expect(c.unkCount).toBe(0);
    expect(c.vocab.words).toEqual(full.words);
    expect(c.tokens).toEqual(tokens);
  });

  it('an <unk> already in the text is not one of the kept words', () => {
    const c = capVocab(['<unk>', '<unk>', '<unk>', 'a', 'a', 'b', 'c'], 2);
    expect(c.vocab.words).toEqual(['<unk>', 'a']);
    expect(c.unkCount).toBe(2 + 3);
  });

  it('prepareFable with a cap', () => {
    const d = prepareFable(text, 'fable', 50);
    expect(d.vocab.words.length).toBe(50);
    expect(d.ids.length).toBe(204);
    expect(() => prepareFable('too short', 'mine.txt')).toThrow(/mine\.txt: 2 tokens/);
  });
});
