// What the Runs tab, the banners and the task panels share about saved runs: how a run is named and described,
// resuming one, and following the saves of the runs training in this page.
import { useEffect, useRef } from 'react';
import type { Task } from '../../engine/protocol.ts';
import type { SavedRun } from '../../engine/runStore.ts';
import type { Engine } from '../useEngine.ts';

export const TASK_LABEL: Record<Task, string> = { mnist: 'MNIST', fable: 'Fable', ptb: 'Penn TreeBank' };
const TASKS: readonly Task[] = ['mnist', 'fable', 'ptb'];

/** "test accuracy 97.8%" / "validation perplexity 121.4". */
export function bestText(r: SavedRun): string {
  const b = r.best;
  if (!b) return '–';
  const value = b.name.includes('accuracy') ? `${(b.value * 100).toFixed(1)}%` : b.value.toFixed(b.value < 10 ? 3 : 1);
  return `${b.name} ${value}`;
}

/** "29 Nov, 23:41" */
export function savedWhen(ms: number): string {
  return new Date(ms).toLocaleString('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}

/** Asks the worker to go on with a saved run (it loads the built-in data the run needs itself). */
export function resumeRun(engine: Engine, r: SavedRun): void {
  engine.send({ type: 'run-resume', id: r.id, baseUrl: import.meta.env.BASE_URL });
}

/** Where a run's data comes from, for a resume: nothing to do (built in), or the files to load first. */
export function dataNeeded(r: SavedRun): string | null {
  if (r.data.source === 'builtin') return null;
  return `it needs ${r.data.names.join(', ')}: load ${r.data.names.length > 1 ? 'them' : 'it'} in the ${TASK_LABEL[r.task]} tab first`;
}

/** Calls `changed` whenever a run of this page is saved or changes state (any task). */
export function useRunsChanged(engine: Engine, changed: () => void): void {
  const ref = useRef(changed);
  ref.current = changed;
  useEffect(() => {
    const offs = TASKS.map((t) =>
      engine.subscribe(t, (msg) => {
        if (msg.type === 'run-saved' || msg.type === 'train-history' || (msg.type === 'train-state' && msg.state !== 'running' && msg.state !== 'paused')) ref.current();
      }),
    );
    return () => offs.forEach((off) => off());
  }, [engine]);
}

/** How a saved run stands for the person looking: training now (here or in another tab: its lock is held), or
 *  left training by a page that went away (interrupted), else how it ended. */
export function runState(r: SavedRun, live: ReadonlySet<string>): string {
  if (r.status !== 'training' && r.status !== 'paused') return r.status;
  return live.has(r.id) ? 'training now' : 'interrupted';
}
