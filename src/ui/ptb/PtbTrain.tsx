// Training the PTB model: the config (preset + every hyperparameter, editable and validated), the advanced run
// options, the run controls, and the progress of the run (epoch, words per second, time left, projections).
import { Choice, Field, RunControls, RunStats, Stat } from '../RunControls.tsx';
import { useId, type FormEvent, type ReactNode } from 'react';
import { ptbLearningRate } from '../../engine/ptb.ts';
import type { ToWorker } from '../../engine/protocol.ts';
import { formatDuration } from '../format.ts';
import { PTB_FIELDS, PTB_PRESETS, PTB_PUBLISHED, formFromPreset, isPresetUnchanged, type PtbForm, type PtbPresetName, type PtbFormErrors, type PtbOptionField, type ValidForm } from './config.ts';
import { ACTIVE_STATES, formatCount, formatPerplexity, type PtbMetricPoint, type PtbState } from './state.ts';

const OPTION_FIELDS: readonly { key: PtbOptionField; label: string; hint: string; testId: string; placeholder: string }[] = [
  { key: 'stepLimit', label: 'Steps per epoch (limit)', hint: 'empty = the full epoch', testId: 'ptb-step-limit', placeholder: 'full epoch' },
  { key: 'validLimit', label: 'Validation steps (limit)', hint: 'empty = all of ptb.valid', testId: 'ptb-valid-limit', placeholder: 'all' },
  { key: 'testLimit', label: 'Test steps (limit)', hint: 'empty = all of ptb.test (1 word a step)', testId: 'ptb-test-limit', placeholder: 'all' },
  { key: 'reportEvery', label: 'Report every N steps', hint: 'empty = about 100 per epoch', testId: 'ptb-report-every', placeholder: 'auto' },
  { key: 'seed', label: 'Seed', hint: 'initial weights and dropout', testId: 'ptb-seed', placeholder: '1' },
];

export interface PtbTrainProps {
  form: PtbForm;
  setForm: (f: PtbForm) => void;
  errors: PtbFormErrors;
  valid: ValidForm | null;
  run: PtbState['run'];
  trainTokens: number | null;
  lastMetric: PtbMetricPoint | undefined;
  testRunning: boolean;
  error: ReactNode;
  send: (msg: ToWorker) => void;
  onStart: (preset: PtbPresetName) => void;
}

/** Training windows of an epoch for a token count: ((len // batch_size) - 1) // num_steps. */
function epochSize(tokens: number, batch: number, steps: number): number {
  return Math.max(0, Math.floor((Math.floor(tokens / batch) - 1) / steps));
}

export function PtbTrain({ form, setForm, errors, valid, run, trainTokens, lastMetric, testRunning, error, send, onStart }: PtbTrainProps) {
  const id = useId();
  const active = ACTIVE_STATES.includes(run.state);
  const locked = active || testRunning;
  const canStart = !locked && valid !== null && trainTokens !== null;

  const setValue = (key: keyof PtbForm['values']) => (v: string) => setForm({ ...form, values: { ...form.values, [key]: v } });
  const setOption = (key: PtbOptionField) => (v: string) => setForm({ ...form, options: { ...form.options, [key]: v } });

  const start = (e: FormEvent) => {
    e.preventDefault();
    if (!canStart || !valid) return;
    onStart(form.preset);
    send({ type: 'ptb-train', config: valid.config, options: valid.options });
  };

  const started = run.started;
  const p = run.progress;
  const c = started?.config;
  const words = c ? c.numSteps * c.batchSize : 0;
  const wps = p && p.samplesPerSecond > 0 ? p.samplesPerSecond : lastMetric?.wps ?? 0;
  const epoch = p?.epoch ?? lastMetric?.epoch ?? started?.firstEpoch ?? 0;
  const epochStep = Math.max(
    p && p.epoch === epoch ? p.epochStep : 0,
    lastMetric && started && lastMetric.epoch === epoch ? lastMetric.step - epoch * started.stepsPerEpoch : 0,
  );
  const fullProjection = c && started && wps > 0 ? (c.maxMaxEpoch * started.fullStepsPerEpoch * words) / wps : null;
  const limited = started !== null && started.stepsPerEpoch < started.fullStepsPerEpoch;
  const unchanged = isPresetUnchanged(form);
  const published = PTB_PUBLISHED[form.preset];
  const plannedSteps = valid && trainTokens !== null ? epochSize(trainTokens, valid.config.batchSize, valid.config.numSteps) : null;
  const lr = c ? ptbLearningRate(c, epoch) : null;

  return (
    <form className="panel train ptb-train" onSubmit={start} noValidate data-testid="ptb-train">
      <h2>Train</h2>
      <div className="ptb-config-head">
        <Choice
          id={`${id}-preset`}
          label="Config"
          value={form.preset}
          options={PTB_PRESETS.map((p) => ({ value: p.name, label: p.label }))}
          disabled={locked}
          onChange={(v: PtbPresetName) => setForm(formFromPreset(v, form))}
          testId="ptb-preset"
        />
        <p className="muted small ptb-config-note" data-testid="ptb-config-note">
          {published ? (
            <>
              Published ({form.preset}): valid {published.valid} / test {published.test} perplexity
              {unchanged ? '.' : ' — your settings differ from the preset, so these are only a rough guide.'}
            </>
          ) : form.preset === 'demo' ? (
            <>
              <strong>Not the tutorial's recipe:</strong> one LSTM layer of 32 units trained for the first 100 steps of one epoch (40,000 of the
              929,589 training words), validated on 10 windows and tested on the first 100 words, so that training, validation, the test perplexity
              and a sample all finish in about two minutes, even without a GPU. Expect a perplexity in the hundreds, not comparable with the published
              figures; for those, pick <em>small</em>.
            </>
          ) : (
            <>The tutorial's TestConfig: one tiny layer, for quick checks (no published perplexity).</>
          )}{' '}
          {plannedSteps !== null && (
            <span data-testid="ptb-epoch-size">
              An epoch is {formatCount(plannedSteps)} steps of {valid!.config.batchSize}×{valid!.config.numSteps} words.
            </span>
          )}
        </p>
        {!unchanged && (
          <button type="button" disabled={locked} onClick={() => setForm(formFromPreset(form.preset, form))} data-testid="ptb-reset">
            Reset to {form.preset}
          </button>
        )}
      </div>
      <div className="form-grid ptb-form-grid">
        {PTB_FIELDS.map((f) => (
          <Field
            key={f.key}
            id={`${id}-${f.key}`}
            label={<code>{f.label}</code>}
            value={form.values[f.key]}
            error={errors[f.key]}
            hint={f.help}
            disabled={locked}
            onChange={setValue(f.key)}
            testId={`ptb-${f.label.replaceAll('_', '-')}`}
          />
        ))}
      </div>
      <details className="ptb-advanced">
        <summary>Advanced: shorter epochs and evaluations, reporting, seed</summary>
        <div className="form-grid ptb-form-grid">
          {OPTION_FIELDS.map((f) => (
            <Field
              key={f.key}
              id={`${id}-${f.key}`}
              label={f.label}
              value={form.options[f.key]}
              error={errors[f.key]}
              hint={f.hint}
              placeholder={f.placeholder}
              disabled={locked}
              onChange={setOption(f.key)}
              testId={f.testId}
            />
          ))}
        </div>
        <p className="muted small">
          Limits make quick runs: perplexities over part of an epoch or of the valid / test files are not comparable with the published ones.
        </p>
      </details>
      {errors.config && (
        <div className="error inline" role="alert" data-testid="ptb-config-error">
          {errors.config}
        </div>
      )}

      <RunControls
        task="ptb"
        state={run.state}
        active={active}
        canStart={canStart}
        send={send}
        startLabel={run.state === 'idle' || active ? 'Start' : 'Start again'}
        pauseBlocked={run.phase === 'test'}
        stateTestId="ptb-train-state"
        preparingText="Preparing (uploading the data, compiling the steps)…"
      >
        {trainTokens === null && <span className="muted small">Load the data first.</span>}
        {trainTokens !== null && !valid && <span className="muted small">Fix the highlighted fields to start.</span>}
        {testRunning && !active && <span className="muted small">Wait for the test evaluation (or cancel it).</span>}
      </RunControls>
      {run.message && (
        <div className={run.state === 'diverged' || run.state === 'failed' ? 'error inline' : 'note'} role="status" data-testid="ptb-train-message">
          {run.message}
        </div>
      )}
      {error}

      {started && c && (
        <div className="progress-block" data-testid="ptb-progress">
          <label>
            <span className="small" data-testid="ptb-progress-text">
              {c.name}: epoch {Math.min(epoch + 1, c.maxMaxEpoch)} of {c.maxMaxEpoch} · step {formatCount(epochStep)} / {formatCount(started.stepsPerEpoch)}
              {limited && ` (limited; a full epoch is ${formatCount(started.fullStepsPerEpoch)})`}
              {run.phase === 'valid' && active && (
                <span data-testid="ptb-validating">
                  {' '}
                  · validating{run.valid ? ` ${formatCount(run.valid.step)} / ${formatCount(run.valid.total)}` : '…'}
                </span>
              )}
              {run.phase === 'test' && active && <span> · computing the test perplexity (see below)</span>}
            </span>
            <progress value={epochStep} max={started.stepsPerEpoch || 1} aria-label="Epoch progress" data-testid="ptb-epoch-progress" />
          </label>
          <RunStats
            secondsLeft={p && active && run.phase !== 'test' ? p.secondsLeft : null}
            timeLeftLabel="Time left (this run)"
            dispatchesPerStep={run.dispatchesPerStep}
            gpuBytes={run.gpuBytes}
            ids={{ timeLeft: 'ptb-time-left', memory: 'ptb-gpu-memory' }}
          >
            <Stat label="Step" testId="ptb-step">
              {formatCount(Math.max(p?.step ?? 0, lastMetric?.step ?? 0))}
            </Stat>
            <Stat label="Words/s" testId="ptb-wps">
              {wps > 0 ? formatCount(Math.round(wps)) : '–'}
            </Stat>
            <Stat label={`All ${c.maxMaxEpoch} full epoch${c.maxMaxEpoch === 1 ? '' : 's'} at this speed`} testId="ptb-projected">
              {fullProjection !== null ? formatDuration(fullProjection) : '–'}
            </Stat>
            <Stat label="Learning rate" testId="ptb-lr">
              {lr !== null ? +lr.toPrecision(4) : '–'}
            </Stat>
            <Stat label="Training perplexity" testId="ptb-train-perplexity">
              {lastMetric ? formatPerplexity(lastMetric.perplexity) : '–'}
            </Stat>
          </RunStats>
          <p className="muted small">
            Time left covers the steps{limited ? ' and limits' : ''} of this run (and the validations, once one was timed). The projection counts
            training steps only: {c.maxMaxEpoch} × {formatCount(started.fullStepsPerEpoch)} steps of {formatCount(words)} words. For scale: about 24 s
            an epoch for the small model in PyTorch on a GTX 1070.
          </p>
        </div>
      )}
    </form>
  );
}
