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
