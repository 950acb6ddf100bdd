// Sampling text from the current model (also while it trains): a prompt, a temperature and a number of words.
import { MAX_TEMPERATURE, Temperature } from '../Temperature.tsx';
import { aString, numberIn, useSavedState } from '../saved.ts';
import { Fragment, useId, type FormEvent, type ReactNode } from 'react';
import { LiveStatus } from '../LiveStatus.tsx';
import { useKeepFocus } from '../useKeepFocus.ts';
import type { PtbState } from './state.ts';

export const DEFAULT_SAMPLE_WORDS = 50;
const MAX_SAMPLE_WORDS = 1000;

export function sampleCountError(text: string): string | null {
  const t = text.trim();
  if (t === '') return 'enter a number';
  const v = Number(t.replace(/[,_]/g, ''));
  if (!Number.isFinite(v)) return 'must be a number';
  if (!Number.isInteger(v)) return 'must be a whole number';
  if (v < 1) return 'must be at least 1';
  if (v > MAX_SAMPLE_WORDS) return `must be at most ${MAX_SAMPLE_WORDS.toLocaleString('en-US')}`;
  return null;
}

export interface PtbSampleProps {
  hasModel: boolean;
  training: boolean;
  sample: PtbState['sample'];
  error: ReactNode;
  onSample: (prompt: string, count: number, temperature: number) => void;
}

function Words({ words, className }: { words: string[]; className: string }) {
  return (
    <>
      {words.map((w, i) =>
        w === '<eos>' ? (
          <Fragment key={i}>
            <span className={`${className} ptb-eos`} title="<eos>: end of sentence">
              ⏎
            </span>
            <br />
          </Fragment>
        ) : (
          <Fragment key={i}>
            <span className={className}>{w}</span>{' '}
          </Fragment>
        ),
      )}
    </>
  );
}

export function PtbSample({ hasModel, training, sample, error, onSample }: PtbSampleProps) {
  const id = useId();
  const [prompt, setPrompt] = useSavedState('rnnlab.ptb.samplePrompt', () => 'the company said', aString);
  const [count, setCount] = useSavedState('rnnlab.ptb.sampleWords', () => String(DEFAULT_SAMPLE_WORDS), aString);
  const [temperature, setTemperature] = useSavedState('rnnlab.ptb.sampleTemperature', () => 1, numberIn(0, MAX_TEMPERATURE));
  const countError = sampleCountError(count);
  const pending = sample.pendingId !== null;
  const sampleButton = useKeepFocus(pending);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!hasModel || countError || pending) return;
    onSample(prompt, Number(count.trim().replace(/[,_]/g, '')), temperature);
  };

  const r = sample.result;
  const heard = pending ? 'Writing…' : r ? `The model wrote: ${r.words.map((w) => (w === '<eos>' ? '(end of sentence)' : w)).join(' ')}` : '';
  return (
    <div className="panel ptb-sample" data-testid="ptb-sample">
      <h2>Sample text</h2>
      <p className="muted small">
        The model reads your words (lowercase, as in PTB; numbers are <code>N</code>) and then writes on, one word at a time, drawing each from its
        predicted distribution. Empty prompt: a new sentence. {training && 'It uses the model as it is now, while it trains.'}
      </p>
      <form className="ptb-sample-form" onSubmit={submit} noValidate>
        <div className="field grow">
          <label htmlFor={`${id}-prompt`}>Prompt</label>
          <input
            id={`${id}-prompt`}
            type="text"
            autoComplete="off"
            spellCheck={false}
            value={prompt}
            onChange={(e) => setPrompt(e.target.value)}
            data-testid="ptb-prompt"
          />
        </div>
        <Temperature value={temperature} onChange={setTemperature} testId="ptb-temperature" help="0 = most likely word; 1 = the model's distribution" />
        <div className={`field ptb-count${countError ? ' invalid' : ''}`}>
          <label htmlFor={`${id}-count`}>Words</label>
          <input
            id={`${id}-count`}
            type="text"
            inputMode="numeric"
            autoComplete="off"
            value={count}
            onChange={(e) => setCount(e.target.value)}
            aria-invalid={countError ? true : undefined}
            aria-describedby={countError ? `${id}-count-error` : undefined}
            data-testid="ptb-sample-count"
          />
          {countError && (
            <span id={`${id}-count-error`} className="field-error">
              {countError}
            </span>
          )}
        </div>
        <button
          type="submit"
          className="primary"
          disabled={!hasModel || countError !== null || pending}
          onClick={sampleButton.pressed}
          ref={sampleButton.ref}
          data-testid="ptb-sample-button"
        >
          {pending ? 'Writing…' : 'Sample'}
        </button>
      </form>
      {!hasModel && <p className="muted small">Start a training run first: sampling uses the model being trained.</p>}
      <LiveStatus text={heard} everyMs={0} testId="ptb-sample-live" />
      {error}
      {r && (
        <div className="fable-result">
          {r.unknown.length > 0 && (
            <p className="note" data-testid="ptb-unk-note">
              Not in the vocabulary, read as <code>&lt;unk&gt;</code>: {r.unknown.map((w) => `“${w}”`).join(', ')}.
            </p>
          )}
          <p className="fable-output ptb-output" data-testid="ptb-sample-output" data-words={r.words.length}>
            <Words words={r.prompt} className="fable-prompt-word" />
            <Words words={r.words} className="fable-word" />
          </p>
          <p className="muted small">
            <span className="fable-legend-prompt">the prompt as read</span> then <span className="fable-legend-word">the model's {r.words.length} words</span>{' '}
            (⏎ = <code>&lt;eos&gt;</code>, end of sentence)
          </p>
        </div>
      )}
    </div>
  );
}
