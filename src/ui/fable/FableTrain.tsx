// Training the fable model: preset and iterations, the run controls and the progress of the run.
import { Choice, RunControls, RunStats, Stat } from '../RunControls.tsx';
import { useId, type FormEvent, type ReactNode } from 'react';
import { useSavedState } from '../saved.ts';
import { FABLE_PRESETS, type FablePresetName } from '../../engine/fable.ts';
import type { FableWeightsInfo, ToWorker } from '../../engine/protocol.ts';
import { ACTIVE_STATES, type FableState } from './state.ts';

export const PRESET_TEXT: Record<FablePresetName, { label: string; explain: string }> = {
  fast: {
    label: 'Fast (default)',
    explain: 'Same 2×512 LSTM with a word embedding, 64 random 3-word windows per step and Adam: learns the fable in a few hundred iterations.',
  },
  original: {
    label: 'Original recipe (tutorial)',
    explain: 'Exactly the TensorFlow tutorial: word ids fed as plain numbers, one window per step, RMSProp 0.001; 50,000 iterations for the published 95.2%.',
  },
};

const PRESET_ORDER: FablePresetName[] = ['fast', 'original'];
const MAX_ITERATIONS = 1_000_000;

export function iterationsError(text: string): string | null {
  const t = text.trim();
  if (t === '') return 'enter a number of iterations';
  const v = Number(t.replace(/[,_]/g, ''));
  if (!Number.isFinite(v)) return 'must be a number';
  if (!Number.isInteger(v)) return 'must be a whole number';
  if (v < 1) return 'must be at least 1';
  if (v > MAX_ITERATIONS) return 'must be at most 1,000,000';
  return null;
}

export interface FableTrainProps {
  run: FableState['run'];
  storyLoaded: boolean;
  lastStep: number;
  error: ReactNode;
  send: (msg: ToWorker) => void;
  onStart: (preset: FablePresetName) => void;
  /** The weights in use, which a run replaces when it ends. */
  weights: FableWeightsInfo | null;
  /** The shipped weights can be brought back (the text is the fable). */
  canRestoreShipped: boolean;
}

function savedFableTrain(v: unknown): { preset: FablePresetName; iterations: string } | null {
  const f = v as { preset?: unknown; iterations?: unknown } | null;
  return f && (f.preset === 'fast' || f.preset === 'original') && typeof f.iterations === 'string' ? { preset: f.preset, iterations: f.iterations } : null;
}

export function FableTrain({ run, storyLoaded, lastStep, error, send, onStart, weights, canRestoreShipped }: FableTrainProps) {
  const id = useId();
  const [form, setForm] = useSavedState('rnnlab.fable.train', () => ({ preset: 'fast' as FablePresetName, iterations: String(FABLE_PRESETS.fast.iterations) }), savedFableTrain);
  const { preset, iterations } = form;
  const setPreset = (p: FablePresetName) => setForm((f) => ({ ...f, preset: p }));
  const setIterations = (it: string) => setForm((f) => ({ ...f, iterations: it }));
  const itError = iterationsError(iterations);
  const active = ACTIVE_STATES.includes(run.state);
  const canStart = storyLoaded && !active && itError === null;

  const start = (e: FormEvent) => {
    e.preventDefault();
    if (!canStart) return;
    onStart(preset);
    send({ type: 'fable-train', preset, iterations: Number(iterations.trim().replace(/[,_]/g, '')) });
  };

  const p = run.progress;
  const started = run.started;
  const done = Math.max(p?.step ?? 0, lastStep);
  const total = started?.iterations ?? 0;
  const finished = run.state === 'done';
  return (
    <form className="panel train fable-train" onSubmit={start} noValidate data-testid="fable-train">
      <h2>Train</h2>
      <div className="fable-train-grid">
        <Choice
          id={`${id}-preset`}
          label="Preset"
          value={preset}
          options={PRESET_ORDER.map((name) => ({ value: name, label: PRESET_TEXT[name].label }))}
          disabled={active}
          describedBy={`${id}-preset-help`}
          onChange={(v) => {
            setPreset(v);
            setIterations(String(FABLE_PRESETS[v].iterations));
          }}
          testId="fable-preset"
        />
        <div className={`field${itError ? ' invalid' : ''}`}>
          <label htmlFor={`${id}-iterations`}>Iterations</label>
          <input
            id={`${id}-iterations`}
            type="text"
            inputMode="numeric"
            autoComplete="off"
            spellCheck={false}
            value={iterations}
            disabled={active}
            aria-invalid={itError ? true : undefined}
            aria-describedby={itError ? `${id}-iterations-error` : `${id}-iterations-hint`}
            onChange={(e) => setIterations(e.target.value)}
            data-testid="fable-iterations"
          />
          {itError ? (
            <span id={`${id}-iterations-error`} className="field-error" data-testid="fable-iterations-error">
              {itError}
            </span>
          ) : (
            <span id={`${id}-iterations-hint`} className="muted small">
              default {FABLE_PRESETS[preset].iterations.toLocaleString('en-US')}
            </span>
          )}
        </div>
      </div>
      <ul className="fable-presets muted small" id={`${id}-preset-help`}>
        {PRESET_ORDER.map((name) => (
          <li key={name} className={name === preset ? 'selected' : undefined}>
            <strong>{PRESET_TEXT[name].label}:</strong> {PRESET_TEXT[name].explain}
          </li>
        ))}
      </ul>

      {weights && !active && (
        <p className="note small" data-testid="fable-replaces">
          Training makes a new model; when the run ends it replaces the weights in use ({weights.kind === 'shipped' ? 'the shipped weights' : weights.kind === 'trained' ? 'the model trained here before' : 'the untrained model'}).
          {canRestoreShipped && ' “Restore shipped weights” in the panel above brings the shipped ones back.'}
        </p>
      )}
      <RunControls task="fable" state={run.state} active={active} canStart={canStart} send={send} startLabel={run.state === 'idle' || active ? 'Start' : 'Start again'} stateTestId="fable-train-state">
        {!storyLoaded && <span className="muted small">Waiting for the text to load.</span>}
      </RunControls>

      {run.message && (
        <div className={run.state === 'diverged' || run.state === 'failed' ? 'error inline' : 'note'} role="alert" data-testid="fable-train-message">
          {run.message}
        </div>
      )}
      {error}

      {started && (
        <div className="progress-block" data-testid="fable-progress">
          <label>
            <span className="small" data-testid="fable-progress-text">
              {PRESET_TEXT[run.preset].label}: iteration {done.toLocaleString('en-US')} / {total.toLocaleString('en-US')}
            </span>
            <progress value={finished ? total : done} max={total || 1} aria-label="Training progress" />
          </label>
          <RunStats
            secondsLeft={p && active ? p.secondsLeft : null}
            dispatchesPerStep={started.dispatchesPerStep}
            gpuBytes={started.gpuBytes}
            ids={{ timeLeft: 'fable-time-left', memory: 'fable-gpu-memory' }}
          >
            <Stat label="Iterations" testId="fable-step">
              {done.toLocaleString('en-US')} / {total.toLocaleString('en-US')}
            </Stat>
            <Stat label="Steps/s" testId="fable-steps-per-second">
              {p ? p.stepsPerSecond.toFixed(p.stepsPerSecond < 10 ? 2 : 1) : '–'}
            </Stat>
            <Stat label="Windows / step">{started.batch}</Stat>
          </RunStats>
        </div>
      )}
    </form>
  );
}
