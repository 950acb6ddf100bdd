// The training form (validated on the page), the run controls and the progress of the run.
import { Choice, Field, RunControls, RunStats, Stat } from '../RunControls.tsx';
import { useEffect, useId, useState, type FormEvent } from 'react';
import type { ToWorker } from '../../engine/protocol.ts';
import { defaultEpochs, formToConfig, loadSavedForm, saveForm, validateForm, type Cell, type FieldErrors, type MnistForm } from './config.ts';
import { ACTIVE_STATES, type MnistState } from './state.ts';

export interface TrainFormProps {
  run: MnistState['run'];
  dataLoaded: boolean;
  lastStep: number;
  send: (msg: ToWorker) => void;
  onStart: (cell: Cell) => void;
  evaluation: MnistState['evaluation'];
  onEvaluate: () => void;
}



const CELLS: readonly { value: Cell; label: string }[] = [
  { value: 'lstm', label: 'LSTM' },
  { value: 'rnn', label: 'Basic RNN' },
];

export function TrainForm({ run, dataLoaded, lastStep, send, onStart, evaluation, onEvaluate }: TrainFormProps) {
  const [form, setForm] = useState<MnistForm>(loadSavedForm);
  const id = useId();
  useEffect(() => saveForm(form), [form]);

  const errors: FieldErrors = validateForm(form);
  const valid = Object.keys(errors).length === 0;
  const active = ACTIVE_STATES.includes(run.state);
  const canStart = valid && dataLoaded && !active;

  const set = (key: Exclude<keyof MnistForm, 'cell'>) => (v: string) => setForm((f) => ({ ...f, [key]: v }));
  const setCell = (cell: Cell) => setForm((f) => ({ ...f, cell, epochs: String(defaultEpochs(cell)) }));

  const start = (e: FormEvent) => {
    e.preventDefault();
    if (!canStart) return;
    onStart(form.cell);
    send({ type: 'mnist-train', config: formToConfig(form) });
  };

  const p = run.progress;
  const started = run.started;
  const step = Math.max(p?.step ?? 0, lastStep);
  return (
    <form className="panel train" onSubmit={start} noValidate data-testid="mnist-train">
      <h2>Train</h2>
      <div className="form-grid">
        <Choice id={`${id}-cell`} label="Cell" value={form.cell} options={CELLS} disabled={active} onChange={setCell} testId="mnist-cell" />
        <Field id={`${id}-hidden`} label="Hidden size" value={form.hidden} error={errors.hidden} hint="1 to 2048" disabled={active} onChange={set('hidden')} testId="mnist-hidden" />
        <Field id={`${id}-lr`} label="Learning rate (Adam)" value={form.lr} error={errors.lr} hint="e.g. 0.001" disabled={active} onChange={set('lr')} testId="mnist-lr" />
        <Field id={`${id}-batch`} label="Batch size" value={form.batch} error={errors.batch} hint="1 to 4096" disabled={active} onChange={set('batch')} testId="mnist-batch" />
        <Field id={`${id}-epochs`} label="Epochs" value={form.epochs} error={errors.epochs} hint="1 to 100" disabled={active} onChange={set('epochs')} testId="mnist-epochs" />
      </div>

      <RunControls task="mnist" state={run.state} active={active} canStart={canStart} send={send} startLabel={run.state === 'idle' ? 'Start' : 'Start again'} stateTestId="train-state">
        <button
          type="button"
          disabled={!started || run.state === 'preparing' || evaluation?.pending === true}
          onClick={() => {
            onEvaluate();
            send({ type: 'mnist-evaluate' });
          }}
          title="Test accuracy of the model now, on the full test set (also during training, between two steps)"
          data-testid="mnist-evaluate"
        >
          Evaluate
        </button>
        {!dataLoaded && <span className="muted small">Load the data first.</span>}
        {dataLoaded && !valid && <span className="muted small">Fix the highlighted fields to start.</span>}
      </RunControls>

      {run.message && (
        <div className={run.state === 'diverged' || run.state === 'failed' ? 'error inline' : 'note'} role="status" data-testid="train-message">
          {run.message}
        </div>
      )}
      {evaluation && (
        <div className="note" role="status" data-testid="mnist-evaluation">
          {evaluation.pending
            ? 'Evaluating on the test set…'
            : `Test accuracy now: ${(evaluation.accuracy * 100).toFixed(2)}% (loss ${evaluation.loss.toFixed(4)}) on ${evaluation.rows.toLocaleString('en-US')} test images, after step ${evaluation.atStep.toLocaleString('en-US')} (${evaluation.seconds.toFixed(1)} s)`}
        </div>
      )}
      {run.error && (
        <div className="error inline" role="alert" data-testid="mnist-train-error">
          {run.error}
        </div>
      )}

      {started && (
        <div className="progress-block" data-testid="train-progress">
          <div className="row">
            <label className="grow">
              <span className="small">
                Epoch {Math.min((p?.epoch ?? 0) + 1, started.epochs)} of {started.epochs} · step {(p?.epochStep ?? 0).toLocaleString('en-US')} /{' '}
                {started.stepsPerEpoch.toLocaleString('en-US')}
              </span>
              <progress className="epoch-progress" value={p?.epochStep ?? 0} max={started.stepsPerEpoch || 1} data-testid="epoch-progress" />
            </label>
          </div>
          <RunStats
            secondsLeft={p && active ? p.secondsLeft : null}
            dispatchesPerStep={started.dispatchesPerStep}
            gpuBytes={started.gpuBytes}
            ids={{ timeLeft: 'time-left', dispatches: 'dispatches-per-step', memory: 'gpu-memory' }}
          >
            <Stat label="Step" testId="train-step">
              {step.toLocaleString('en-US')}
            </Stat>
            <Stat label="Steps/s" testId="steps-per-second">
              {p ? p.stepsPerSecond.toFixed(p.stepsPerSecond < 10 ? 2 : 1) : '–'}
            </Stat>
            <Stat label="Samples/s" testId="samples-per-second">
              {p ? Math.round(p.samplesPerSecond).toLocaleString('en-US') : '–'}
            </Stat>
            <Stat label="Batch">{started.batch}</Stat>
          </RunStats>
        </div>
      )}
    </form>
  );
}
