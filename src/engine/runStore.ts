// The runs saved in the browser (IndexedDB, through `idb`): each run's record (what the Runs panel lists), its
// curves (every metric message of the run) and its last checkpoint (one Blob of safetensors bytes, never JSON
// arrays). The worker writes a save as one transaction over the three stores, so a save cut short (a closed tab, a
// crash, a full quota) leaves the previous one whole. The page reads, renames and deletes through the same module.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { FromWorker, Task } from './protocol.ts';
import type { RunStart } from './runStart.ts';

export const RUNS_DB = 'rnnlab-runs';
const VERSION = 1;

/** How a saved run stands: 'training' / 'paused' while a page trains it (left so when the page went away: an
 *  interrupted run), else how it ended. */
export type SavedRunStatus = 'training' | 'paused' | 'stopped' | 'done' | 'diverged' | 'failed';

/** The best value a run reached of its task's headline metric. */
export interface BestMetric {
  /** e.g. 'test accuracy', 'validation perplexity'. */
  name: string;
  value: number;
  higherIsBetter: boolean;
  /** The step it was reached at. */
  step: number;
}

/** What the data of a run was: built into the app, or files the user picked (asked for again to resume). */
export interface RunData {
  /** The checkpoint's fingerprint of the data: a run resumes only on the same data. */
  fingerprint: string;
  source: 'builtin' | 'files';
  /** The files or text it was (for the message asking for them again). */
  names: string[];
}

export interface SavedRun {
  id: string;
  name: string;
  task: Task;
  /** How the run was started (its config and options): a resume starts the same run from the checkpoint. */
  start: RunStart;
  /** One line: the model and its main hyperparameters. */
  summary: string;
  data: RunData;
  status: SavedRunStatus;
  /** Training steps of the save, and of the whole run. */
  step: number;
  totalSteps: number;
  epoch: number;
  best: BestMetric | null;
  /** Bytes of the checkpoint and of the curves. */
  bytes: number;
  created: number;
  /** When the last save was written (ms since 1970). */
  saved: number;
  /** Seconds of training up to the save. */
  elapsed: number;
  /** The adapter(s) it trained on. */
  adapter: string;
  /** How long the last save took (ms): reading the state back from the GPU, encoding, writing. */
  saveMs: number;
  saves: number;
}

/** A run's curves: the metric messages of the run up to its save, in order (replayed when it resumes). */
export type RunCurves = Extract<FromWorker, { type: 'train-metrics' | 'phase-result' }>[];

interface RunsSchema extends DBSchema {
  runs: { key: string; value: SavedRun };
  curves: { key: string; value: RunCurves };
  checkpoints: { key: string; value: Blob };
}

/** Storage that refused a write: full (the quota), denied (no database at all: a private window, a blocked site),
 *  or a write that failed otherwise (the next save tries again). */
export class StorageError extends Error {
  constructor(
    readonly kind: 'full' | 'denied' | 'failed',
    message: string,
  ) {
    super(message);
    this.name = 'StorageError';
  }
}

/** What the browser said, as a StorageError: a full quota, storage refused (the database cannot be opened), or
 *  another failure of one write. */
export function storageError(e: unknown, what: string, opening = false): StorageError {
  const name = (e as { name?: string })?.name;
  const why = `${name ?? 'error'}: ${e instanceof Error ? e.message || 'no details' : String(e)}`;
  if (name === 'QuotaExceededError') {
    return new StorageError('full', `The browser's storage for this site is full: ${what} was not written, the earlier saves are kept. Delete runs you no longer need in the Runs tab, or allow this site more storage.`);
  }
  if (opening) return new StorageError('denied', `The browser refused to store ${what} (${why}). Runs cannot be saved here (a private window, or storage blocked for this site); training goes on unsaved.`);
  return new StorageError('failed', `The browser could not write ${what} (${why}); the earlier saves are kept and the next save tries again.`);
}

let opened: Promise<IDBPDatabase<RunsSchema>> | null = null;

function db(): Promise<IDBPDatabase<RunsSchema>> {
  if (typeof indexedDB === 'undefined') return Promise.reject(new StorageError('denied', 'This browser has no IndexedDB: runs cannot be saved.'));
  opened ??= openDB<RunsSchema>(RUNS_DB, VERSION, {
    upgrade(d) {
      d.createObjectStore('runs', { keyPath: 'id' });
      d.createObjectStore('curves');
      d.createObjectStore('checkpoints');
    },
    // another tab opened a newer version: let it, and open again next time
    blocking() {
      void opened?.then((x) => x.close());
      opened = null;
    },
    // the browser closed the connection (site data cleared): open again next time
    terminated() {
      opened = null;
    },
  }).catch((e: unknown) => {
    opened = null;
    throw storageError(e, 'the runs database', true);
  });
  return opened;
}

/** A new run's id: unique enough across tabs and reloads. */
export function newRunId(task: Task): string {
  const rand = crypto.getRandomValues(new Uint32Array(2));
  return `${task}-${Date.now().toString(36)}-${rand[0]!.toString(36)}${rand[1]!.toString(36)}`;
}

/**
 * Writes a save: the record, its curves and its checkpoint in one transaction (all or nothing). The stored name
 * is kept (a rename made while the run trains). `again`: the run was saved before, so a missing record means it
 * was deleted meanwhile: nothing is written and the answer is null. A full quota or another failure is a
 * StorageError, and the previous save of the run is untouched. Returns the record as written.
 */
export async function writeSave(run: SavedRun, curves: RunCurves, checkpoint: Blob, again = false): Promise<SavedRun | null> {
  const d = await db();
  try {
    const tx = d.transaction(['runs', 'curves', 'checkpoints'], 'readwrite');
    const runs = tx.objectStore('runs');
    const stored = await runs.get(run.id);
    if (again && !stored) {
      await tx.done;
      return null;
    }
    const record = stored ? { ...run, name: stored.name } : run;
    await Promise.all([tx.objectStore('checkpoints').put(checkpoint, run.id), tx.objectStore('curves').put(curves, run.id), runs.put(record), tx.done]);
    return record;
  } catch (e) {
    throw storageError(e, `the save of "${run.name}" at step ${run.step}`);
  }
}

/** Changes a run's record only (its status, its name): the curves and checkpoint stay as they are. */
export async function updateRun(id: string, change: (r: SavedRun) => SavedRun): Promise<SavedRun | null> {
  const d = await db();
  try {
    const tx = d.transaction('runs', 'readwrite');
    const r = await tx.store.get(id);
    if (!r) {
      await tx.done;
      return null;
    }
    const next = change(r);
    await Promise.all([tx.store.put(next), tx.done]);
    return next;
  } catch (e) {
    throw storageError(e, 'a change to a saved run');
  }
}

export function renameRun(id: string, name: string): Promise<SavedRun | null> {
  const clean = name.trim().slice(0, 120);
  if (!clean) return Promise.reject(new Error('A run needs a name.'));
  return updateRun(id, (r) => ({ ...r, name: clean }));
}

/** Every saved run, the newest save first. */
export async function listRuns(): Promise<SavedRun[]> {
  const runs = await (await db()).getAll('runs');
  return runs.sort((a, b) => b.saved - a.saved);
}

export async function getRun(id: string): Promise<SavedRun | undefined> {
  return (await db()).get('runs', id);
}

export async function getCurves(id: string): Promise<RunCurves> {
  return (await (await db()).get('curves', id)) ?? [];
}

export async function getCheckpoint(id: string): Promise<Blob | undefined> {
  return (await db()).get('checkpoints', id);
}

export async function deleteRun(id: string): Promise<void> {
  const d = await db();
  const tx = d.transaction(['runs', 'curves', 'checkpoints'], 'readwrite');
  await Promise.all([tx.objectStore('runs').delete(id), tx.objectStore('curves').delete(id), tx.objectStore('checkpoints').delete(id), tx.done]);
}

/** Runs a page was training when it went away (the page offers to resume them): left 'training' or 'paused',
 *  and not training now in this or another tab (its lock is free). */
export async function interruptedRuns(): Promise<SavedRun[]> {
  const live = await liveRunIds();
  return (await listRuns()).filter((r) => (r.status === 'training' || r.status === 'paused') && !live.has(r.id));
}

// A run being trained holds a Web Lock named after it (in the worker that trains it), for as long as it trains:
// other tabs see it is live, and a second tab cannot resume it too.
const LOCK_PREFIX = 'rnnlab-run:';

/** Takes the run's lock if no one holds it: the release function, or null when it is held (it trains elsewhere).
 *  Without Web Locks (Node) there is nothing to coordinate: always granted. */
export function holdRunLock(id: string): Promise<(() => void) | null> {
  const locks = globalThis.navigator?.locks;
  if (!locks) return Promise.resolve(() => {});
  return new Promise((granted) => {
    void locks.request(`${LOCK_PREFIX}${id}`, { ifAvailable: true }, (lock) => {
      if (!lock) return granted(null);
      return new Promise<void>((release) => granted(() => release()));
    });
  });
}

/** The ids of the runs training now, in any tab of this site. */
export async function liveRunIds(): Promise<Set<string>> {
  const locks = globalThis.navigator?.locks;
  if (!locks) return new Set();
  const { held = [] } = await locks.query();
  return new Set(held.flatMap((l) => (l.name?.startsWith(LOCK_PREFIX) ? [l.name.slice(LOCK_PREFIX.length)] : [])));
}

/** Whether a run can go on from its save (not finished, not diverged). */
export function canResume(r: SavedRun): boolean {
  return r.status !== 'done' && r.status !== 'diverged' && r.step < r.totalSteps;
}
