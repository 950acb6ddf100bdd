// What the page says about saved runs outside the Runs tab: the runs a previous visit was training when it went
// away (offered to resume; "Not now" keeps them in the Runs tab as stopped), a lost GPU replaced by a new one (which runs went on, how many steps are redone), and
// in each task's panel the last save of its run or why it could not be written.
import { useEffect, useState } from 'react';
import type { Task } from '../../engine/protocol.ts';
import { interruptedRuns, updateRun, type SavedRun } from '../../engine/runStore.ts';
import { formatBytes } from '../format.ts';
import { useTaskMessages, type Engine } from '../useEngine.ts';
import { TASK_LABEL, dataNeeded, resumeRun, savedWhen } from './runs.ts';

/** After a reload: the runs that were training, each with Resume (the task's tab opens and the run goes on). */
export function InterruptedRuns({ engine, openTask }: { engine: Engine; openTask: (t: Task) => void }) {
  const [runs, setRuns] = useState<SavedRun[]>([]);
  useEffect(() => {
    let live = true;
    interruptedRuns().then(
      (r) => live && setRuns(r),
      () => {}, // no storage: nothing to offer
    );
    return () => {
      live = false;
    };
  }, []);
  if (runs.length === 0) return null;
  const drop = (id: string) => setRuns((rs) => rs.filter((r) => r.id !== id));
  return (
    <section className="panel notice" aria-label="Interrupted runs" data-testid="interrupted-runs">
      <h2>{runs.length === 1 ? 'A run was interrupted' : `${runs.length} runs were interrupted`}</h2>
      <ul>
        {runs.map((r) => {
          const needs = dataNeeded(r);
          return (
            <li key={r.id} data-testid="interrupted-run" data-run-id={r.id}>
              <strong>{r.name}</strong> ({TASK_LABEL[r.task]}, {r.summary}): saved at step {r.step.toLocaleString('en-US')} of {r.totalSteps.toLocaleString('en-US')} on {savedWhen(r.saved)}
              {needs ? `; ${needs}` : ''}.{' '}
              <button
                type="button"
                data-testid="interrupted-resume"
                onClick={() => {
                  resumeRun(engine, r);
                  openTask(r.task);
                  drop(r.id);
                }}
              >
                Resume<span className="visually-hidden"> {r.name}</span>
              </button>{' '}
              <button
                type="button"
                onClick={async () => {
                  // not offered again: it stays in the Runs tab as stopped, to continue from there
                  await updateRun(r.id, (x) => ({ ...x, status: 'stopped' })).catch(() => {});
                  drop(r.id);
                }}
                data-testid="interrupted-dismiss"
              >
                Not now<span className="visually-hidden"> ({r.name} stays in the Runs tab, to continue later)</span>
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/** A lost GPU the worker replaced: what happened and which runs went on from their saves. */
export function DeviceRecovered({ engine }: { engine: Engine }) {
  const [message, setMessage] = useState<string | null>(null);
  useTaskMessages(engine, null, (msg) => {
    if (msg.type === 'device-recovered') setMessage(msg.message);
  });
  if (!message) return null;
  return (
    <div className="panel notice" role="status" data-testid="device-recovered">
      {message}{' '}
      <button type="button" onClick={() => setMessage(null)}>
        Dismiss
      </button>
    </div>
  );
}

type SaveLine = { kind: 'saved'; run: SavedRun } | { kind: 'error'; message: string };

/** The task's run as saved: its name, the step of its last save, how long the save took; or why it was not. */
export function SaveStatus({ engine, task }: { engine: Engine; task: Task }) {
  const [line, setLine] = useState<SaveLine | null>(null);
  useTaskMessages(engine, task, (msg) => {
    if (msg.type === 'train-started') setLine(null); // a new run: nothing of it saved yet
    else if (msg.type === 'run-saved' || msg.type === 'train-history') setLine({ kind: 'saved', run: msg.run });
    else if (msg.type === 'run-save-error') setLine({ kind: 'error', message: msg.message });
  });
  if (!line) return null;
  if (line.kind === 'error') {
    return (
      <p className="error inline" role="alert" data-testid={`${task}-save-status`} data-kind="error">
        {line.message}
      </p>
    );
  }
  const r = line.run;
  return (
    <p className="small muted" data-testid={`${task}-save-status`} data-step={r.step} data-run-id={r.id}>
      Saved as “{r.name}” at step {r.step.toLocaleString('en-US')} ({savedWhen(r.saved)}, {formatBytes(r.bytes)}
      {r.saveMs > 0 ? `, ${Math.round(r.saveMs)} ms` : ''}): see the Runs tab.
    </p>
  );
}
