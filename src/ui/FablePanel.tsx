// The Fable tab: next-word prediction on Aesop's "Belling the Cat" (or the user's own text) with a 2-layer LSTM,
// following the TensorFlow tutorial (../shared/docs/reference-results.md section 2).
import { SaveStatus } from './runs/RunBanners.tsx';
import { useCallback, useEffect, useReducer, useRef } from 'react';
import { FABLE_PRESETS, type FablePresetName } from '../engine/fable.ts';
import { FABLE_TITLE as FABLE_NAME, type FableWeightsInfo, type ToWorker } from '../engine/protocol.ts';
import { FableCharts } from './fable/FableCharts.tsx';
import { FableOwnText } from './fable/FableOwnText.tsx';
import { FablePlayground, GENERATE_COUNT } from './fable/FablePlayground.tsx';
import { FableTrain } from './fable/FableTrain.tsx';
import { ACTIVE_STATES, fableReducer, initialFableState, type FableArea, type FableState } from './fable/state.ts';
import { LiveStatus } from './LiveStatus.tsx';
import { ModelFile } from './ModelFile.tsx';
import { RUN_STATE_TEXT } from './RunControls.tsx';
import { useTaskMessages, type Engine } from './useEngine.ts';

export interface FablePanelProps {
  engine: Engine;
}

const WEIGHTS_LABEL: Record<FableWeightsInfo['kind'], string> = {
  shipped: 'Shipped weights',
  trained: 'Trained here',
  untrained: 'Untrained',
};

/** The run in one sentence, for the screen-reader status. */
export function fableRunSummary(s: FableState): string {
  const { run, metrics } = s;
  if (!run.started) return run.state === 'idle' ? '' : RUN_STATE_TEXT[run.state];
  const m = metrics[metrics.length - 1];
  const done = Math.max(run.progress?.step ?? 0, m?.step ?? 0);
  const parts = [RUN_STATE_TEXT[run.state], `iteration ${done.toLocaleString('en-US')} of ${run.started.iterations.toLocaleString('en-US')}`];
  if (m) parts.push(`loss ${m.loss.toFixed(3)}`, `accuracy ${(m.accuracy * 100).toFixed(1)}%`);
  return `Fable: ${parts.join(', ')}.`;
}

export function FablePanel({ engine }: FablePanelProps) {
  const [state, dispatch] = useReducer(fableReducer, initialFableState);
  const requestId = useRef(0);
  const loadSent = useRef(false);

  useTaskMessages(engine, 'fable', (msg) => {
    dispatch({ type: 'worker', msg });
  });
  const send = useCallback((msg: ToWorker) => engine.send(msg), [engine]);

  const loadFable = useCallback(
    (area: 'story' | 'text') => {
      dispatch({ type: 'load-requested', area });
      send({ type: 'fable-load-builtin', baseUrl: import.meta.env.BASE_URL });
    },
    [send],
  );

  useEffect(() => {
    if (loadSent.current) return; // once, also under StrictMode's double effects
    loadSent.current = true;
    loadFable('story');
  }, [loadFable]);

  const generate = (input: string, temperature: number) => {
    const id = ++requestId.current;
    dispatch({ type: 'generate-requested', requestId: id });
    send({ type: 'fable-generate', requestId: id, input, count: GENERATE_COUNT, temperature });
  };
  const train = (preset: FablePresetName) => dispatch({ type: 'train-requested', preset });
  const loadText = (name: string, text: string, maxVocab: number) => {
    dispatch({ type: 'load-requested', area: 'text' });
    send({ type: 'fable-load-text', name, text, maxVocab });
  };

  const errorIn = (area: FableArea) =>
    state.error?.area === area ? (
      <div className="error inline" role="alert" data-testid="fable-error" data-area={area}>
        {state.error.message}
      </div>
    ) : null;

  const { story, weights, run } = state;
  const training = ACTIVE_STATES.includes(run.state);
  return (
    <div className="fable" data-testid="fable-panel">
      <p className="intro">
        A 2-layer LSTM reads three words of Aesop's fable “Belling the Cat” and predicts the fourth, as in the classic TensorFlow tutorial. Type
        three words and it writes on; or train it yourself, on the fable or on a text of your own.
      </p>

      <div className="panel fable-story" data-testid="fable-story">
        <h2>Text and model</h2>
        <div className="stats">
          <div className="stat">
            <span className="stat-label">Text</span>
            <span className="stat-value" data-testid="fable-story-name">
              {story ? story.name : state.loading ? 'Loading…' : '–'}
            </span>
          </div>
          <div className="stat">
            <span className="stat-label">Tokens</span>
            <span className="stat-value" data-testid="fable-tokens">
              {story ? story.tokens.toLocaleString('en-US') : '–'}
            </span>
          </div>
          <div className="stat">
            <span className="stat-label">Vocabulary</span>
            <span className="stat-value" data-testid="fable-vocab-size">
              {story ? story.vocab.length.toLocaleString('en-US') : '–'}
            </span>
          </div>
          {story && story.unkCount > 0 && (
            <div className="stat">
              <span className="stat-label">&lt;unk&gt; tokens</span>
              <span className="stat-value">{story.unkCount.toLocaleString('en-US')}</span>
            </div>
          )}
        </div>
        <p className={`fable-weights weights-${weights?.kind ?? 'none'}`} data-testid="fable-weights" data-kind={weights?.kind ?? ''} aria-live="polite">
          {weights ? (
            <>
              <strong>{WEIGHTS_LABEL[weights.kind]}</strong> — {weights.description}
              {training && ' · a run is training a new model, which replaces these weights when it ends'}
            </>
          ) : (
            'Weights: loading…'
          )}
        </p>
        {story?.name === FABLE_NAME && weights && weights.kind !== 'shipped' && (
          <button
            type="button"
            disabled={training || state.loading}
            onClick={() => {
              dispatch({ type: 'load-requested', area: 'story' });
              send({ type: 'fable-restore-shipped' });
            }}
            data-testid="fable-restore-shipped"
          >
            Restore shipped weights
          </button>
        )}
        {story && <ModelFile engine={engine} task="fable" training={training} what="The model in use" />}
        {errorIn('story')}
      </div>

      <FablePlayground
        ready={story !== null}
        pending={state.generation.pendingId !== null}
        result={state.generation.result}
        weights={weights}
        vocab={story?.vocab ?? []}
        error={errorIn('play')}
        onGenerate={generate}
      />
      <FableTrain
        run={run}
        storyLoaded={story !== null && !state.loading}
        lastStep={state.metrics[state.metrics.length - 1]?.step ?? 0}
        error={errorIn('train')}
        send={send}
        onStart={train}
        weights={weights}
        canRestoreShipped={story?.name === FABLE_NAME}
      />
      <LiveStatus text={fableRunSummary(state)} immediateKey={state.run.state} testId="fable-live" />
      <SaveStatus engine={engine} task="fable" />
      <FableCharts metrics={state.metrics} reportEvery={FABLE_PRESETS[run.preset].metricsEvery} />
      <FableOwnText
        story={story}
        loading={state.loading}
        training={training}
        error={errorIn('text')}
        onLoadText={loadText}
        onLoadFable={() => loadFable('text')}
      />
    </div>
  );
}
