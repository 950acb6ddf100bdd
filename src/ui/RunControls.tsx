// The pieces every training panel shares: Start / Pause / Resume / Stop with the run state, and a labelled
// figure, the figures of a run. Each panel passes its own task, test ids and hints.
import { useEffect, useRef, type ReactNode } from 'react';
import type { RunState, Task, ToWorker } from '../engine/protocol.ts';
import { formatBytes, formatDuration } from './format.ts';

export const RUN_STATE_TEXT: Record<RunState, string> = {
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

type RunButton = 'start' | 'pause' | 'resume' | 'stop';

/** The button that matters in each state: where focus goes when the one pressed has just been disabled. */
function nextButton(state: RunState): RunButton {
  switch (state) {
    case 'preparing':
      return 'stop';
    case 'running':
      return 'pause';
    case 'paused':
      return 'resume';
    default:
      return 'start';
  }
}

/** The run buttons; Start is the form's submit button (the panel's form starts the run). A pressed button is
 *  disabled by the state it causes, which would drop keyboard focus to the page: focus moves on instead to the
 *  button that now matters (Start -> Stop while preparing -> Pause; Pause -> Resume; Resume -> Pause; Stop -> Start). */
export function RunControls({ task, state, active, canStart, send, startLabel, pauseBlocked = false, stateTestId, preparingText, children }: RunControlsProps) {
  const text = state === 'preparing' && preparingText ? preparingText : RUN_STATE_TEXT[state];
  const buttons = useRef<Partial<Record<RunButton, HTMLButtonElement | null>>>({});
  /** Set when one of these buttons is pressed; focus follows the state until the user moves it elsewhere. */
  const following = useRef(false);
  const pressed = () => {
    following.current = true;
  };

  useEffect(() => {
    if (!following.current) return;
    const focused = document.activeElement;
    const ours = Object.values(buttons.current).includes(focused as HTMLButtonElement);
    if (focused && focused !== document.body && !ours) {
      following.current = false; // the user has moved on
      return;
    }
    const target = buttons.current[nextButton(state)];
    if (target && !target.disabled) target.focus();
    if (!active && state !== 'idle') following.current = false;
  }, [state, active, canStart, pauseBlocked]);

  const ref = (name: RunButton) => (el: HTMLButtonElement | null) => {
    buttons.current[name] = el;
  };
  return (
    <div className="row controls">
      <button type="submit" className="primary" disabled={!canStart} onClick={pressed} ref={ref('start')} data-testid={`${task}-start`}>
        {startLabel}
      </button>
      <button
        type="button"
        disabled={state !== 'running' || pauseBlocked}
        onClick={() => {
          pressed();
          send({ type: 'pause', task });
        }}
        ref={ref('pause')}
        data-testid={`${task}-pause`}
      >
        Pause
      </button>
      <button
        type="button"
        disabled={state !== 'paused'}
        onClick={() => {
          pressed();
          send({ type: 'resume', task });
        }}
        ref={ref('resume')}
        data-testid={`${task}-resume`}
      >
        Resume
      </button>
      <button
        type="button"
        disabled={!active}
        onClick={() => {
          pressed();
          send({ type: 'stop', task });
        }}
        ref={ref('stop')}
        data-testid={`${task}-stop`}
      >
        Stop
      </button>
      {/* Screen readers hear the state from each panel's live status (with the run's figures). */}
      <span className={`run-state state-${state}`} data-testid={stateTestId} data-state={state}>
        {text}
      </span>
      {children}
    </div>
  );
}

/** A labelled text field for a number, with its validation message (or a hint) tied to it for screen readers. */
/** A labelled choice (a select): the cell, the preset, the config. */
export function Choice<T extends string>(props: {
  id: string;
  label: ReactNode;
  value: T;
  options: readonly { value: T; label: string }[];
  disabled: boolean;
  onChange: (v: T) => void;
  testId: string;
  describedBy?: string;
}) {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <select
        id={props.id}
        value={props.value}
        disabled={props.disabled}
        aria-describedby={props.describedBy}
        onChange={(e) => props.onChange(e.target.value as T)}
        data-testid={props.testId}
      >
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

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

export interface RunStatsProps {
  /** The task's own figures (steps, speed, learning rate, ...), shown first. */
  children: ReactNode;
  /** Seconds the run still needs (null: not known, or not running). */
  secondsLeft: number | null;
  timeLeftLabel?: string;
  dispatchesPerStep: number | null;
  gpuBytes: number | null;
  /** Test ids of the shared figures. */
  ids: { timeLeft: string; dispatches?: string; memory: string };
}

/** The figures of a run every panel shows: its own, then the time left, the GPU work per step and its memory. */
export function RunStats({ children, secondsLeft, timeLeftLabel = 'Time left', dispatchesPerStep, gpuBytes, ids }: RunStatsProps) {
  return (
    <div className="stats">
      {children}
      <Stat label={timeLeftLabel} testId={ids.timeLeft}>
        {secondsLeft !== null ? formatDuration(secondsLeft) : '–'}
      </Stat>
      <Stat label="GPU dispatches / step" testId={ids.dispatches}>
        {dispatchesPerStep ?? '–'}
      </Stat>
      <Stat label="GPU memory" testId={ids.memory}>
        {gpuBytes !== null ? formatBytes(gpuBytes) : '–'}
      </Stat>
    </div>
  );
}
