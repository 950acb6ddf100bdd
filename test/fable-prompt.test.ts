import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { prepareFable } from '../src/data/fable.ts';
import { parsePrompt } from '../src/engine/fablePrompt.ts';

const { vocab } = prepareFable(readFileSync('public/data/fable/belling-the-cat.txt', 'utf8'));

describe('playground prompt', () => {
  it('takes three known words, with case and punctuation handled', () => {
    const r = parsePrompt('Long ago,', vocab);
    expect(r).toMatchObject({ ok: true, words: ['long', 'ago', ','], note: null });
    if (r.ok) expect(r.ids.map((i) => vocab.words[i])).toEqual(['long', 'ago', ',']);
  });
  it('uses the last three of more words and says so', () => {
    const r = parsePrompt('the mice had a general council', vocab);
    expect(r.ok && r.words).toEqual(['a', 'general', 'council']);
    expect(r.ok && r.note).toMatch(/last 3 words/);
  });
  it('says what is needed for fewer than three words or empty input', () => {
    expect(parsePrompt('', vocab)).toMatchObject({ ok: false, message: 'Type 3 words to start from.' });
    expect(parsePrompt('the cat', vocab)).toMatchObject({ ok: false });
    expect((parsePrompt('the cat', vocab) as { message: string }).message).toMatch(/you typed 2/);
  });
  it('names unknown words and suggests close vocabulary words', () => {
    const r = parsePrompt('the dog said', vocab);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.message).toBe('Word not in dictionary: "dog"');
    expect(r.unknown).toHaveLength(1);
    expect(r.unknown[0].suggestions.length).toBe(5);
    for (const s of r.unknown[0].suggestions) expect(vocab.index.has(s)).toBe(true);
  });
});
