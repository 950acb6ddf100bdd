// What the playground does with typed text before generation: normalise, keep the last three words, and
// explain anything that prevents generating (too few words, words outside the vocabulary, with suggestions).
import { closestWords, normalizeUserWords, type Vocab } from '../data/fable.ts';

export type PromptResult =
  | { ok: true; words: string[]; ids: number[]; note: string | null }
  | { ok: false; message: string; unknown: { word: string; suggestions: string[] }[] };

export function parsePrompt(input: string, vocab: Pick<Vocab, 'words' | 'index'>, need = 3): PromptResult {
  const tokens = normalizeUserWords(input);
  if (tokens.length === 0) return { ok: false, message: `Type ${need} words to start from.`, unknown: [] };
  if (tokens.length < need) {
    return { ok: false, message: `Type ${need} words: the model reads exactly ${need} (you typed ${tokens.length}).`, unknown: [] };
  }
  const words = tokens.slice(-need);
  const note = tokens.length > need ? `Using the last ${need} words: "${words.join(' ')}".` : null;
  const unknown = words.filter((w) => !vocab.index.has(w));
  if (unknown.length) {
    return {
      ok: false,
      message: `Word not in dictionary: ${unknown.map((w) => `"${w}"`).join(', ')}`,
      unknown: [...new Set(unknown)].map((word) => ({ word, suggestions: closestWords(word, vocab, 5) })),
    };
  }
  return { ok: true, words, ids: words.map((w) => vocab.index.get(w)!), note };
}
