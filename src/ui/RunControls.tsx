// The pieces every training panel shares: Start / Pause / Resume / Stop with the run state, and a labelled
// figure. Each panel passes its own task, test ids and hints.
import type { ReactNode } from 'react';
import type { RunState, Task, ToWorker } from '../engine/protocol.ts';

const RUN_STATE_TEXT: Record<RunState, string> = {
  idle: 'Not started',
  preparing: 'Preparing (compiling the training step)…',
  running: 'Training',
  paused: 'Paused',
  stopped: 'Stopped',
  done: 'Done',
  diverged: 'Diverged',
  failed: 'Failed',
};

export function Stat({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  return (
    <div className="stat">
      <span className="stat-label">{label}</span>
      <span className="stat-value" data-testid={testId}>
        {children}
      </span>
    </div>
  );
}

export interface RunControlsProps {
  task: Task;
  state: RunState;
  /** A run is under way (preparing, running or paused). */
  active: boolean;
  canStart: boolean;
  send: (msg: ToWorker) => void;
  startLabel: string;
  /** Extra reason to disable Pause (e.g. during an evaluation that cannot pause). */
  pauseBlocked?: boolean;
  /** Test id of the state label (the MNIST panel's is 'train-state'). */
  stateTestId: string;
  preparingText?: string;
  /** Hints shown after the state. */
  children?: ReactNode;
}

/** The run buttons; Start is the form's submit button (the panel's form starts the run). */
export function RunControls({ task, state, active, canStart, send, startLabel, pauseBlocked = false, stateTestId, preparingText, children }: RunControlsProps) {
  const text = state === 'preparing' && preparingText ? preparingText : RUN_STATE_TEXT[state];
  return (
    <div className="row controls">
      <button type="submit" className="primary" disabled={!canStart} data-testid={`${task}-start`}>
        {startLabel}
      </button>
      <button type="button" disabled={state !== 'running' || pauseBlocked} onClick={() => send({ type: 'pause', task })} data-testid={`${task}-pause`}>
        Pause
      </button>
      <button type="button" disabled={state !== 'paused'} onClick={() => send({ type: 'resume', task })} data-testid={`${task}-resume`}>
        Resume
      </button>
      <button type="button" disabled={!active} onClick={() => send({ type: 'stop', task })} data-testid={`${task}-stop`}>
        Stop
      </button>
      <span className={`run-state state-${state}`} data-testid={stateTestId} data-state={state} aria-live="polite">
        {text}
      </span>
      {children}
    </div>
  );
}

/** A labelled text field for a number, with its validation message (or a hint) tied to it for screen readers. */
export function Field(props: { id: string; label: ReactNode; value: string; error?: string; hint?: string; disabled: boolean; onChange: (v: string) => void; testId: string; placeholder?: string }) {
  const errId = `${props.id}-error`;
  const hintId = `${props.id}-hint`;
  return (
    <div className={`field${props.error ? ' invalid' : ''}`}>
      <label htmlFor={props.id}>{props.label}</label>
      <input
        id={props.id}
        type="text"
        inputMode="decimal"
        autoComplete="off"
        spellCheck={false}
        value={props.value}
        placeholder={props.placeholder}
        disabled={props.disabled}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={props.error ? errId : props.hint ? hintId : undefined}
        onChange={(e) => props.onChange(e.target.value)}
        data-testid={props.testId}
      />
      {props.error ? (
        <span id={errId} className="field-error" data-testid={`${props.testId}-error`}>
          {props.error}
        </span>
      ) : props.hint ? (
        <span id={hintId} className="muted small">
          {props.hint}
        </span>
      ) : null}
    </div>
  );
}
