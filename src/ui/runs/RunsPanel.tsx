// The Runs tab: every run saved in this browser (name, task, model, steps, best figure, size, date, state), to
// rename, delete, resume, download as CSV or compare; the storage they use against the browser's quota, a request
// for persistent storage, and how often a run is saved.
import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { Task } from '../../engine/protocol.ts';
import { curvesCsv } from '../../engine/runStart.ts';
import { DEFAULT_SAVE_SECONDS, SAVE_SECONDS } from '../../engine/runSaver.ts';
import { canResume, deleteRun, getCurves, listRuns, liveRunIds, renameRun, type SavedRun } from '../../engine/runStore.ts';
import { saveFile } from '../files.ts';
import { formatBytes, formatDuration } from '../format.ts';
import { numberIn, useSavedState } from '../saved.ts';
import type { Engine } from '../useEngine.ts';
import { CompareRuns } from './CompareRuns.tsx';
import { TASK_LABEL, bestText, resumeRun, runState, savedWhen, useRunsChanged } from './runs.ts';

export const SAVE_EVERY_KEY = 'rnnlab.runs.saveEvery';

const fileSafe = (s: string) => s.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') || 'run';

/** Moves focus, once React has drawn the change, to a run's button (a control that replaced itself or went away
 *  would leave keyboard users at the top of the page). */
function focusLater(selector: string): void {
  requestAnimationFrame(() => document.querySelector<HTMLElement>(selector)?.focus());
}
const rowButton = (id: string, testId: string) => `[data-run-id="${id}"] [data-testid="${testId}"]`;

interface Storage {
  usage: number | null;
  quota: number | null;
  persisted: boolean | null;
}

function useStorage(runs: SavedRun[] | null): [Storage, () => Promise<void>] {
  const [s, setS] = useState<Storage>({ usage: null, quota: null, persisted: null });
  const refresh = useCallback(async () => {
    const est = await navigator.storage?.estimate?.().catch(() => null);
    const persisted = await navigator.storage?.persisted?.().catch(() => null);
    setS({ usage: est?.usage ?? null, quota: est?.quota ?? null, persisted: persisted ?? null });
  }, []);
  useEffect(() => void refresh(), [refresh, runs]);
  return [s, refresh];
}

export function RunsPanel({ engine, openTask }: { engine: Engine; openTask: (t: Task) => void }) {
  const [runs, setRuns] = useState<SavedRun[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [renaming, setRenaming] = useState<{ id: string; name: string } | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const [comparing, setComparing] = useState<SavedRun[] | null>(null);
  const [everySeconds, setEverySeconds] = useSavedState(SAVE_EVERY_KEY, () => DEFAULT_SAVE_SECONDS, numberIn(SAVE_SECONDS.min, SAVE_SECONDS.max));
  const [everyText, setEveryText] = useState(String(everySeconds));
  const everyId = useId();
  const everyHint = useId();

  // the runs training now, in this tab or another (their locks are held): not resumed or deleted under them
  const [live, setLive] = useState<ReadonlySet<string>>(new Set());
  const reloads = useRef(0);
  const reload = useCallback(async () => {
    const n = ++reloads.current;
    try {
      const [list, held] = await Promise.all([listRuns(), liveRunIds()]);
      if (n !== reloads.current) return; // a later reload answers
      setRuns(list);
      setLive(held);
    } catch (e) {
      setError((e as Error).message);
      setRuns([]);
    }
  }, []);
  useEffect(() => void reload(), [reload]);
  useRunsChanged(engine, () => void reload());
  const [storage, refreshStorage] = useStorage(runs);

  const act = async (fn: () => Promise<unknown>, done?: string) => {
    setError(null);
    try {
      await fn();
      if (done) setNotice(done);
    } catch (e) {
      setError((e as Error).message);
    }
    await reload();
  };

  const submitEvery = (e: FormEvent) => {
    e.preventDefault();
    const n = Number(everyText);
    if (!Number.isFinite(n) || n < SAVE_SECONDS.min || n > SAVE_SECONDS.max) {
      setError(`Save every: a number of seconds from ${SAVE_SECONDS.min} to ${SAVE_SECONDS.max}.`);
      return;
    }
    setError(null);
    setEverySeconds(n);
    engine.send({ type: 'save-settings', everySeconds: n });
    setNotice(`Runs are saved at least every ${n} s of training.`);
  };

  const toggle = (id: string) => setSelected((s) => {
    const next = new Set(s);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    return next;
  });
  const picked = (runs ?? []).filter((r) => selected.has(r.id));
  const pickedTasks = new Set(picked.map((r) => r.task));
  const compareProblem = picked.length < 2 ? 'Select two or more runs of one task to compare them.' : pickedTasks.size > 1 ? 'The selected runs are of different tasks: compare runs of one task.' : null;
  const savedBytes = (runs ?? []).reduce((n, r) => n + r.bytes, 0);

  return (
    <div className="runs-panel">
      <div className="panel">
        <h2 tabIndex={-1} data-testid="runs-heading">
          Saved runs
        </h2>
        <p className="small muted">
          Every run you train is saved in this browser as it trains: after its first step, at least every {everySeconds} s of training, after each epoch
          and when you stop it. A run cut short (a reload, a closed tab, a lost GPU) goes on from its last save.
        </p>
        <div className="row runs-storage" data-testid="runs-storage">
          <span>
            Saved runs: <strong>{formatBytes(savedBytes)}</strong>
            {storage.usage !== null && storage.quota !== null && (
              <>
                {' '}
                · this site uses {formatBytes(storage.usage)} of the {formatBytes(storage.quota)} the browser allows it
              </>
            )}
            {storage.persisted === true && <> · kept even when space runs low</>}
          </span>
          {storage.persisted === false && (
            <button
              type="button"
              data-testid="runs-persist"
              onClick={() =>
                void act(async () => {
                  const ok = await navigator.storage.persist();
                  await refreshStorage();
                  setNotice(ok ? 'The browser keeps these saves even when space runs low.' : 'The browser declined to keep the saves for good (it may still clear them when space runs low); export a model to keep it.');
                })
              }
            >
              Keep saves when space runs low
            </button>
          )}
        </div>
        <form className="row" onSubmit={submitEvery}>
          <label htmlFor={everyId}>Save every</label>
          <input id={everyId} type="number" min={SAVE_SECONDS.min} max={SAVE_SECONDS.max} step={1} value={everyText} onChange={(e) => setEveryText(e.target.value)} aria-describedby={everyHint} data-testid="runs-save-every" className="narrow" />
          <span id={everyHint} className="small muted">
            seconds of training
          </span>
          <button type="submit">Set</button>
        </form>
        {error && (
          <p className="error inline" role="alert" data-testid="runs-error">
            {error}
          </p>
        )}
        {notice && !error && (
          <p className="small" role="status" data-testid="runs-notice">
            {notice}
          </p>
        )}
      </div>

      <div className="panel">
        {runs === null ? (
          <p className="muted">Reading the saved runs…</p>
        ) : runs.length === 0 ? (
          <p className="muted" data-testid="runs-empty">
            No saved runs yet: train a model in the MNIST, Fable or Penn TreeBank tab and it appears here.
          </p>
        ) : (
          <div className="table-scroll">
            <table className="grid runs-table" data-testid="runs-table">
              <caption className="visually-hidden">Saved runs, the newest save first</caption>
              <thead>
                <tr>
                  <th scope="col">Compare</th>
                  <th scope="col">Name</th>
                  <th scope="col">Task</th>
                  <th scope="col">Model</th>
                  <th scope="col">Steps</th>
                  <th scope="col">Best</th>
                  <th scope="col">Size</th>
                  <th scope="col">Saved</th>
                  <th scope="col">State</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {runs.map((r) => {
                  const state = runState(r, live);
                  const isLive = state === 'training now';
                  const resumable = canResume(r) && !isLive;
                  return (
                    <tr key={r.id} data-testid="run-row" data-run-id={r.id} data-task={r.task} data-status={r.status} data-step={r.step}>
                      <td data-label="Compare">
                        <input type="checkbox" checked={selected.has(r.id)} onChange={() => toggle(r.id)} aria-label={`Compare ${r.name}`} data-testid="run-select" />
                      </td>
                      <td data-label="Name">
                        {renaming?.id === r.id ? (
                          <form
                            className="row tight"
                            onSubmit={(e) => {
                              e.preventDefault();
                              const name = renaming.name;
                              setRenaming(null);
                              void act(() => renameRun(r.id, name)).then(() => focusLater(rowButton(r.id, 'run-rename')));
                            }}
                          >
                            <input
                              autoFocus
                              value={renaming.name}
                              aria-label={`New name for ${r.name}`}
                              maxLength={120}
                              onChange={(e) => setRenaming({ id: r.id, name: e.target.value })}
                              onKeyDown={(e) => {
                                if (e.key !== 'Escape') return;
                                setRenaming(null);
                                focusLater(rowButton(r.id, 'run-rename'));
                              }}
                              data-testid="run-name-input"
                            />
                            <button type="submit">Save</button>
                            <button
                              type="button"
                              onClick={() => {
                                setRenaming(null);
                                focusLater(rowButton(r.id, 'run-rename'));
                              }}
                            >
                              Cancel
                            </button>
                          </form>
                        ) : (
                          <span data-testid="run-name">{r.name}</span>
                        )}
                      </td>
                      <td data-label="Task">{TASK_LABEL[r.task]}</td>
                      <td className="small" data-label="Model">{r.summary}</td>
                      <td data-label="Steps">
                        {r.step.toLocaleString('en-US')} of {r.totalSteps.toLocaleString('en-US')}
                      </td>
                      <td data-testid="run-best" data-label="Best">{bestText(r)}</td>
                      <td data-label="Size">{formatBytes(r.bytes)}</td>
                      <td className="small" data-label="Saved">
                        {savedWhen(r.saved)}
                        <br />
                        <span className="muted">{formatDuration(r.elapsed)} of training</span>
                      </td>
                      <td data-testid="run-status" data-label="State">
                        {state}
                      </td>
                      <td data-label="Actions">
                        <div className="row tight">
                          {resumable && (
                            <button
                              type="button"
                              data-testid="run-resume"
                              onClick={() => {
                                resumeRun(engine, r);
                                openTask(r.task);
                              }}
                            >
                              {r.status === 'stopped' ? 'Continue' : 'Resume'}
                              <span className="visually-hidden"> {r.name}</span>
                            </button>
                          )}
                          <button type="button" data-testid="run-rename" onClick={() => setRenaming({ id: r.id, name: r.name })}>
                            Rename<span className="visually-hidden"> {r.name}</span>
                          </button>
                          <button
                            type="button"
                            data-testid="run-csv"
                            onClick={() => void act(async () => saveFile(`${fileSafe(r.name)}.csv`, curvesCsv(await getCurves(r.id)), 'text/csv'))}
                          >
                            CSV<span className="visually-hidden"> of {r.name}</span>
                          </button>
                          {deleting === r.id ? (
                            <>
                              <button
                                type="button"
                                className="danger"
                                data-testid="run-delete-confirm"
                                autoFocus
                                onClick={() => {
                                  setDeleting(null);
                                  setSelected((s) => new Set([...s].filter((x) => x !== r.id)));
                                  void act(() => deleteRun(r.id), `Deleted "${r.name}".`).then(() => focusLater('[data-testid="runs-heading"]'));
                                }}
                              >
                                Delete for good<span className="visually-hidden"> {r.name}</span>
                              </button>
                              <button
                                type="button"
                                onClick={() => {
                                  setDeleting(null);
                                  focusLater(rowButton(r.id, 'run-delete'));
                                }}
                              >
                                Keep<span className="visually-hidden"> {r.name}</span>
                              </button>
                            </>
                          ) : (
                            <button type="button" data-testid="run-delete" disabled={isLive} onClick={() => setDeleting(r.id)}>
                              Delete<span className="visually-hidden"> {r.name}</span>
                            </button>
                          )}
                        </div>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
        {runs && runs.length > 0 && (
          <div className="row">
            <button type="button" data-testid="runs-compare" disabled={compareProblem !== null} onClick={() => setComparing(picked)}>
              Compare selected ({picked.length})
            </button>
            {compareProblem && <span className="small muted">{compareProblem}</span>}
          </div>
        )}
      </div>
      {comparing && <CompareRuns runs={comparing} onClose={() => setComparing(null)} />}
    </div>
  );
}
