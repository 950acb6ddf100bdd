// The weights shipped for the playground (public/data/fable/fable-fast.safetensors, F16) were made by
// `npm run train -- fable --preset fast --iterations 300 --save FILE` (log: docs/fable-fast-training.log).
// Loaded into the engine on the GPU, they continue the story's opening as the story does.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { prepareFable } from '../src/data/fable.ts';
import { decodeSafetensors } from '../src/data/safetensors.ts';
import { FABLE_PRESETS, FableSession } from '../src/engine/fable.ts';
import { testDevice } from './gpu.ts';

describe('shipped fable weights', () => {
  it('match the vocabulary and continue "long ago ," with the story', async () => {
    const device = await testDevice();
    const data = prepareFable(readFileSync('public/data/fable/belling-the-cat.txt', 'utf8'));
    const st = decodeSafetensors(new Uint8Array(readFileSync('public/data/fable/fable-fast.safetensors')));
    expect(st.metadata.vocab).toBe(data.vocab.words.join(' '));
    expect(st.metadata.preset).toBe('fast');
    const session = await FableSession.create(device, data, FABLE_PRESETS.fast);
    session.importWeights(Object.fromEntries(Object.entries(st.tensors).map(([k, v]) => [k, v.data])));
    const prompt = ['long', 'ago', ','].map((w) => data.vocab.index.get(w)!);
    const words = (await session.generate(prompt, 32)).map((i) => data.vocab.words[i]);
    expect(words).toHaveLength(32);
    expect(words.slice(0, 6).join(' ')).toBe('the mice had a general council');

    // sampling: one program per temperature, built once and reused; the same seed gives the same words, and a
    // nearly-zero temperature gives the greedy continuation
    const before = session.gpuBytes;
    const a = await session.generate(prompt, 32, 0.8, 7);
    const grown = session.gpuBytes;
    expect(grown).toBeGreaterThan(before);
    expect(await session.generate(prompt, 32, 0.8, 7)).toEqual(a);
    expect(session.gpuBytes).toBe(grown);
    expect((await session.generate(prompt, 32, 1e-4, 7)).map((i) => data.vocab.words[i])).toEqual(words);

    // the next word's distribution (what the playground shows): its most likely word is greedy's first, the rest
    // in order; a low temperature sharpens it, a high one flattens it
    const next = await session.nextWords(prompt, 5, 0);
    expect(next).toHaveLength(5);
    expect(data.vocab.words[next[0]!.id]).toBe('the');
    for (let i = 1; i < next.length; i++) expect(next[i]!.p).toBeLessThanOrEqual(next[i - 1]!.p);
    expect(next.reduce((a, c) => a + c.p, 0)).toBeLessThanOrEqual(1 + 1e-9);
    const [sharp] = await session.nextWords(prompt, 1, 0.25);
    const [flat] = await session.nextWords(prompt, 1, 2);
    expect(sharp!.id).toBe(next[0]!.id);
    expect(sharp!.p).toBeGreaterThan(next[0]!.p);
    expect(flat!.p).toBeLessThan(next[0]!.p);
    session.destroy();
  });
});
