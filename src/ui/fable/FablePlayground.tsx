// The playground: three words in, the model's next 32 words out (greedy or sampled), with help for words the
// model does not know.
import { MAX_TEMPERATURE, Temperature } from '../Temperature.tsx';
import { numberIn, useSavedState } from '../saved.ts';
import { Fragment, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { FableWeightsInfo } from '../../engine/protocol.ts';
import { LiveStatus } from '../LiveStatus.tsx';
import { useKeepFocus } from '../useKeepFocus.ts';
import { replaceWord, type FableGeneration } from './state.ts';

export const GENERATE_COUNT = 32;

/** "62.1%", "0.3%", "< 0.1%". */
function formatProbability(p: number): string {
  return p < 0.001 ? '< 0.1%' : `${(p * 100).toFixed(1)}%`;
}

export interface FablePlaygroundProps {
  ready: boolean;
  pending: boolean;
  result: FableGeneration | null;
  weights: FableWeightsInfo | null;
  vocab: string[];
  error: ReactNode;
  onGenerate: (input: string, temperature: number) => void;
}

export function FablePlayground({ ready, pending, result, weights, vocab, error, onGenerate }: FablePlaygroundProps) {
  const id = useId();
  const [input, setInput] = useState('');
  const [temperature, setTemperature] = useSavedState('rnnlab.fable.temperature', () => 0, numberIn(0, MAX_TEMPERATURE));
  const inputRef = useRef<HTMLInputElement>(null);
  const continueButton = useKeepFocus(pending);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!ready) return;
    onGenerate(input, temperature);
  };

  const prompt = result?.prompt ?? null;
  // Unknown words that are still in the box (a clicked suggestion removes its word's row).
  const unknown = prompt && !prompt.ok ? prompt.unknown.filter((u) => replaceWord(input, u.word, '\u0000') !== input) : [];
  const showPromptError = prompt !== null && !prompt.ok && (prompt.unknown.length === 0 || unknown.length > 0);

  const applySuggestion = (word: string, suggestion: string) => {
    setInput((text) => replaceWord(text, word, suggestion));
    inputRef.current?.focus();
  };

  return (
    <div className="panel fable-play" data-testid="fable-playground">
      <h2>Playground</h2>
      <p className="muted small">
        Type three words (punctuation such as <code>,</code> and <code>.</code> counts as a word); the model predicts the next word, appends it,
        slides its three-word window and repeats, {GENERATE_COUNT} times.
      </p>
      <form className="fable-play-form" onSubmit={submit}>
        <div className="field grow">
          <label htmlFor={`${id}-input`}>Start with three words</label>
          <input
            ref={inputRef}
            id={`${id}-input`}
            type="text"
            autoComplete="off"
            spellCheck={false}
            placeholder="long ago ,"
            value={input}
            onChange={(e) => setInput(e.target.value)}
            aria-describedby={showPromptError ? `${id}-prompt-error` : undefined}
            aria-invalid={showPromptError ? true : undefined}
            data-testid="fable-input"
          />
        </div>
        <Temperature value={temperature} onChange={setTemperature} testId="fable-temperature" help="0 = always the most likely word; higher = more surprising" />
        <button type="submit" className="primary" disabled={!ready || pending} onClick={continueButton.pressed} ref={continueButton.ref} data-testid="fable-continue">
          {pending ? 'Writing…' : 'Continue'}
        </button>
      </form>

      {weights?.kind === 'untrained' && (
        <div className="note" data-testid="fable-untrained-note">
          The model is untrained (random weights): its words are random. Train it below first.
        </div>
      )}

      {showPromptError && prompt && !prompt.ok && (
        <div className="error inline" role="alert" id={`${id}-prompt-error`} data-testid="fable-prompt-error">
          <div>{prompt.message}</div>
          {unknown.map((u) => (
            <div key={u.word} className="fable-suggestions" data-testid="fable-suggestions" data-word={u.word}>
              <span className="small">
                Instead of “{u.word}”, try:
              </span>{' '}
              {u.suggestions.map((s) => (
                <button
                  key={s}
                  type="button"
                  className="fable-suggestion"
                  onClick={() => applySuggestion(u.word, s)}
                  aria-label={`Replace “${u.word}” with “${s}”`}
                  data-testid="fable-suggestion"
                >
                  {s}
                </button>
              ))}
            </div>
          ))}
        </div>
      )}
      {error}

      {result && result.prompt.ok && (
        <div className="fable-result">
          {result.prompt.note && (
            <p className="muted small" data-testid="fable-prompt-note">
              {result.prompt.note}
            </p>
          )}
          <p className="fable-output" data-testid="fable-output" data-words={result.words.length}>
            {result.prompt.words.map((w, i) => (
              <Fragment key={`p${i}`}>
                <span className="fable-prompt-word">{w}</span>{' '}
              </Fragment>
            ))}
            {result.words.map((w, i) => (
              <Fragment key={`g${i}`}>
                <span className="fable-word">{w}</span>{' '}
              </Fragment>
            ))}
          </p>
          <p className="muted small">
            <span className="fable-legend-prompt">your words</span> then <span className="fable-legend-word">the model's {result.words.length}</span>
          </p>
          {result.candidates.length > 0 && (
            <div className="fable-candidates" data-testid="fable-candidates">
              <p className="small">
                The most likely words after “{result.prompt.words.join(' ')}”,{' '}
                {result.temperature > 0
                  ? `as sampling at temperature ${result.temperature.toFixed(2)} draws them:`
                  : 'as the model rates them (greedy, temperature 0, always takes the first):'}
              </p>
              <ol className="fable-candidate-list">
                {result.candidates.map((c) => (
                  <li key={c.word} data-testid="fable-candidate" data-word={c.word} data-p={c.p}>
                    <span className="fable-candidate-word">{c.word}</span>
                    <span className="fable-candidate-bar" aria-hidden="true">
                      <span style={{ width: `${Math.max(1, Math.round(c.p * 100))}%` }} />
                    </span>
                    <span className="fable-candidate-p">{formatProbability(c.p)}</span>
                  </li>
                ))}
              </ol>
            </div>
          )}
        </div>
      )}

      <LiveStatus
        text={result && result.prompt.ok ? `The model wrote: ${result.words.join(' ')}` : pending ? 'Writing…' : ''}
        everyMs={0}
        testId="fable-output-live"
      />

      {vocab.length > 0 && (
        <details className="fable-vocab">
          <summary>The {vocab.length} words the model knows</summary>
          <p className="small" data-testid="fable-vocab">
            {vocab.join('  ')}
          </p>
        </details>
      )}
    </div>
  );
}
