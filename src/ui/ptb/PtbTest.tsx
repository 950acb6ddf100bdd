// Test perplexity: measured at the end of a run (or on request), batch 1 and one word per step, as in the
// tutorial. That is long on slow adapters, so it shows its progress and can be limited to the first windows.
import type { ReactNode } from 'react';
import { formatCount, formatPerplexity, type PtbState } from './state.ts';

export interface PtbTestProps {
  test: PtbState['test'];
  /** The run is in its test phase (Stop cancels it). */
  runTesting: boolean;
  canCompute: boolean;
  limit: number | null | string;
  published: { name: string; test: number } | null;
  error: ReactNode;
  onCompute: () => void;
  onCancel: () => void;
}

export function PtbTest({ test, runTesting, canCompute, limit, published, error, onCompute, onCancel }: PtbTestProps) {
  const r = test.result;
  const p = test.progress;
  const limitError = typeof limit === 'string' ? limit : null;
  return (
    <div className="panel ptb-test" data-testid="ptb-test">
      <h2>Test perplexity</h2>
      <p className="muted small">
        Measured after the last epoch over <code>ptb.test.txt</code> with batch size 1 and one word per step (82,429 steps for the real file: slow on a
        software adapter). “Test steps (limit)” under Advanced measures only the first words: quicker, but not comparable with the published figure.
      </p>
      {test.running && (
        <div className="progress-block" data-testid="ptb-test-progress">
          <label>
            <span className="small">
              Computing test perplexity… {p ? `${formatCount(p.step)} / ${formatCount(p.total)} words` : ''}
            </span>
            <progress value={p?.step ?? 0} max={p?.total || 1} aria-label="Test evaluation progress" />
          </label>
        </div>
      )}
      {r && !test.running && (
        <div className="ptb-test-result">
          <span className="ptb-big" data-testid="ptb-test-perplexity" data-value={r.perplexity} data-partial={r.partial ? 'true' : 'false'}>
            {formatPerplexity(r.perplexity)}
          </span>
          <span className="muted small">
            {' '}
            over {formatCount(r.steps)} words in {r.seconds.toFixed(1)} s
            {published && !r.partial && <> · published ({published.name}): {published.test}</>}
          </span>
          {r.partial && (
            <div className="note" data-testid="ptb-test-partial">
              Partial: only the first {formatCount(r.steps)} of {formatCount(r.total)} test words were evaluated (a limit was set), so this is not the
              test perplexity of the recipe{published ? ` and not comparable with the published ${published.test}` : ''}.
            </div>
          )}
        </div>
      )}
      {test.cancelled && !test.running && (
        <p className="muted small" data-testid="ptb-test-cancelled">
          The test evaluation was stopped before the end.
        </p>
      )}
      <div className="row controls">
        <button type="button" disabled={!canCompute || limitError !== null} onClick={onCompute} data-testid="ptb-compute-test">
          {r ? 'Compute again' : 'Compute test perplexity'}
          {typeof limit === 'number' ? ` (first ${formatCount(limit)} words)` : ''}
        </button>
        {test.running && (
          <button type="button" onClick={onCancel} data-testid="ptb-cancel-test">
            {runTesting ? 'Stop' : 'Cancel'}
          </button>
        )}
        {limitError && <span className="field-error">Test steps (limit): {limitError}</span>}
      </div>
      {error}
    </div>
  );
}
