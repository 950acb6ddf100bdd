// "Your own text": paste or open a .txt file, cap the vocabulary, and load it in place of the fable.
import { useId, useState, type ChangeEvent, type FormEvent, type ReactNode } from 'react';
import { aString, useSavedState } from '../saved.ts';
import { DataError } from '../../data/errors.ts';
import { checkFileSize } from '../../data/limits.ts';
import type { FableStory } from './state.ts';

export const DEFAULT_MAX_VOCAB = 1000;
const MAX_VOCAB_LIMIT = 20_000;

export function maxVocabError(text: string): string | null {
  const t = text.trim();
  if (t === '') return 'enter a number';
  const v = Number(t.replace(/[,_]/g, ''));
  if (!Number.isFinite(v)) return 'must be a number';
  if (!Number.isInteger(v)) return 'must be a whole number';
  if (v < 2) return 'must be at least 2';
  if (v > MAX_VOCAB_LIMIT) return `must be at most ${MAX_VOCAB_LIMIT.toLocaleString('en-US')}`;
  return null;
}

export interface FableOwnTextProps {
  story: FableStory | null;
  loading: boolean;
  /** Loading is refused while a run is active (the new text would replace the model being trained). */
  training: boolean;
  error: ReactNode;
  onLoadText: (name: string, text: string, maxVocab: number) => void;
  onLoadFable: () => void;
}

export function FableOwnText({ story, loading, training, error, onLoadText, onLoadFable }: FableOwnTextProps) {
  const id = useId();
  const [text, setText] = useState('');
  const [fileName, setFileName] = useState<string | null>(null);
  const [maxVocab, setMaxVocab] = useSavedState('rnnlab.fable.maxVocab', () => String(DEFAULT_MAX_VOCAB), aString);
  const [readError, setReadError] = useState<string | null>(null);
  const capError = maxVocabError(maxVocab);
  const busy = loading || training;

  const onFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const input = e.currentTarget;
    const file = input.files?.[0];
    if (!file) return;
    setReadError(null);
    try {
      checkFileSize(file.name, file.size, 'fableText'); // refused before it is read into the page
      setText(await file.text());
      setFileName(file.name);
    } catch (err) {
      setReadError(err instanceof DataError ? err.message : `Could not read ${file.name}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      input.value = ''; // so picking the same file again fires another change
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (busy || capError) return;
    setReadError(null);
    onLoadText(fileName ?? 'your text', text, Number(maxVocab.trim().replace(/[,_]/g, '')));
  };

  const own = story && story.maxVocab !== null ? story : null;
  return (
    <form className="panel fable-own" onSubmit={submit} noValidate data-testid="fable-own-text">
      <h2>Your own text</h2>
      <p className="muted small">
        The text is read as the playground reads what you type: lowercased, with <code>,</code> <code>.</code> <code>?</code> as words of
        their own (“The cat, said he.” is the cat , said he .), split at spaces. Only the most frequent words up to the cap are kept; the
        rest become <code>&lt;unk&gt;</code>.
      </p>
      <div className="field">
        <label htmlFor={`${id}-text`}>Paste a text</label>
        <textarea
          id={`${id}-text`}
          rows={5}
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            setFileName(null);
          }}
          placeholder="once upon a time , …"
          data-testid="fable-text"
        />
      </div>
      <div className="row">
        <label className="file-button">
          Open a .txt file…
          <input type="file" accept=".txt,text/plain" onChange={onFile} disabled={busy} data-testid="fable-file" />
        </label>
        {fileName && (
          <span className="muted small" data-testid="fable-file-name">
            {fileName}
          </span>
        )}
        <div className={`field inline-field${capError ? ' invalid' : ''}`}>
          <label htmlFor={`${id}-cap`}>Vocabulary cap</label>
          <input
            id={`${id}-cap`}
            type="text"
            inputMode="numeric"
            autoComplete="off"
            value={maxVocab}
            onChange={(e) => setMaxVocab(e.target.value)}
            aria-invalid={capError ? true : undefined}
            aria-describedby={capError ? `${id}-cap-error` : undefined}
            className="fable-cap"
            data-testid="fable-max-vocab"
          />
          {capError && (
            <span id={`${id}-cap-error`} className="field-error" data-testid="fable-max-vocab-error">
              {capError}
            </span>
          )}
        </div>
      </div>
      <div className="row controls">
        <button type="submit" className="primary" disabled={busy || capError !== null} data-testid="fable-load-text">
          Train on this text
        </button>
        <button type="button" disabled={busy} onClick={onLoadFable} data-testid="fable-use-fable">
          Use the fable again
        </button>
        {training && <span className="muted small">Stop the training run to load another text.</span>}
        {loading && <span className="muted small">Loading…</span>}
      </div>
      {readError && (
        <div className="error inline" role="alert" data-testid="fable-read-error">
          {readError}
        </div>
      )}
      {error}
      {own && (
        <p className="fable-own-result" data-testid="fable-own-result" aria-live="polite">
          Loaded “{own.name}”: {own.tokens.toLocaleString('en-US')} words, vocabulary of{' '}
          <strong data-testid="fable-own-vocab">{own.vocab.length.toLocaleString('en-US')}</strong> (cap {own.maxVocab?.toLocaleString('en-US')}),{' '}
          <strong data-testid="fable-own-unk">{own.unkCount.toLocaleString('en-US')}</strong> {own.unkCount === 1 ? 'word' : 'words'} became{' '}
          <code>&lt;unk&gt;</code>. Now press <em>Start</em> under Train.
        </p>
      )}
    </form>
  );
}
