// A run saved in the browser as it trains, for every task alike: the RunPieces a task's run is given in the page.
// It sees the run's messages (its curves, where it is, its state), says when a save is due (every N seconds of
// training; the tasks also save after each epoch and when stopped), and writes each save as one transaction
// (runStore.ts): the record the Runs panel lists, the curves, the checkpoint as one Blob. A save the browser
// refuses (a full quota, storage denied) is said once in a message; training goes on and the earlier save stays.
import type { Post, RunPieces, TaskHost } from './host.ts';
import type { FromWorker, Task } from './protocol.ts';
import { bestMetric, defaultRunName, isCurvePoint, runSummary, type RunStart } from './runStart.ts';
import { StorageError, newRunId, updateRun, writeSave, type RunCurves, type RunData, type SavedRun, type SavedRunStatus } from './runStore.ts';

/** How a task's checkpoints become bytes and back, and where one stands. */
export interface CheckpointCodec<C> {
  encode(c: C): Uint8Array;
  decode(bytes: Uint8Array, name: string): C;
  /** The training steps done, and the 0-based epoch. */
  position(c: C): { step: number; epoch: number };
  /** The fingerprint of the data it was trained on. */
  fingerprint(c: C): string;
}

/** A saved run to go on from. */
export interface SavedState<C> {
  run: SavedRun;
  curves: RunCurves;
  checkpoint: C;
}

export interface SaverOptions<C> {
  host: TaskHost;
  post: Post;
  start: RunStart;
  codec: CheckpointCodec<C>;
  /** Where the data came from (the fingerprint comes with each checkpoint). */
  data: Omit<RunData, 'fingerprint'>;
  adapter: string;
  /** A save at least every this many seconds of training (read at each step: a new setting applies at once). */
  everySeconds: () => number;
  from?: SavedState<C>;
}

export const DEFAULT_SAVE_SECONDS = 60;
/** The save interval a person may set (seconds of training). */
export const SAVE_SECONDS = { min: 1, max: 3600 } as const;

export class RunSaver<C> implements RunPieces<C> {
  readonly every = Infinity;
  /** The save to go on from; let go once the run has started from it (a big model's state is not kept twice). */
  resume?: C;
  readonly id: string;
  readonly task: Task;
  private run: SavedRun | null;
  private readonly curves: RunCurves;
  /** The stored status (a resumed run's until it trains again). */
  private status: SavedRunStatus;
  private started = false;
  private closed = false;
  /** A new run is saved after its first step (so it is listed, and a lost device finds a save), then when due. */
  private lastSave: number;
  private readonly elapsedBefore: number;
  private startedAt = performance.now();
  private refusedOnce = false;
  /** The last training step the run reported (a lost device: the steps after the last save are redone). */
  lastStep = 0;
  totalSteps = 0;

  constructor(private readonly o: SaverOptions<C>) {
    this.task = o.start.task;
    this.resume = o.from?.checkpoint;
    this.run = o.from ? { ...o.from.run } : null;
    this.curves = o.from ? [...o.from.curves] : [];
    this.id = o.from?.run.id ?? newRunId(this.task);
    this.elapsedBefore = o.from?.run.elapsed ?? 0;
    this.lastStep = o.from?.run.step ?? 0;
    this.lastSave = o.from ? performance.now() : -Infinity;
    this.status = o.from?.run.status ?? 'training';
  }

  /** Whether the run was paused when it last changed state (kept through a lost device's 'failed'). */
  get paused(): boolean {
    return this.status === 'paused';
  }

  /** The step of the last save written (null: none yet). */
  get savedStep(): number | null {
    return this.run && this.run.saves > 0 ? this.run.step : null;
  }

  get name(): string {
    return this.run?.name ?? defaultRunName(this.o.start);
  }

  due(): boolean {
    return performance.now() - this.lastSave >= this.o.everySeconds() * 1000;
  }

  notes(): Record<string, string> {
    return {};
  }

  /** Seconds of training so far (pauses left out). */
  private elapsed(): number {
    const paused = this.o.host.control?.pausedMs() ?? 0;
    return this.elapsedBefore + Math.max(0, performance.now() - this.startedAt - paused) / 1000;
  }

  async save(c: C, readMs: number): Promise<void> {
    if (this.closed) return;
    const t0 = performance.now();
    const { codec, start, host } = this.o;
    const blob = new Blob([codec.encode(c) as Uint8Array<ArrayBuffer>]);
    const { step, epoch } = codec.position(c);
    const curves = this.curves.slice();
    const now = Date.now();
    const prev = this.run;
    const adapters = new Set((prev?.adapter ?? '').split('; ').filter(Boolean));
    adapters.add(this.o.adapter);
    const record: SavedRun = {
      id: this.id,
      name: prev?.name ?? this.name,
      task: this.task,
      start,
      summary: runSummary(start),
      data: { ...this.o.data, fingerprint: codec.fingerprint(c) },
      status: host.state === 'paused' ? 'paused' : 'training',
      step,
      totalSteps: this.totalSteps || prev?.totalSteps || step,
      epoch,
      best: bestMetric(this.task, curves),
      bytes: blob.size + JSON.stringify(curves).length,
      created: prev?.created ?? now,
      saved: now,
      elapsed: this.elapsed(),
      adapter: [...adapters].join('; '),
      saveMs: 0,
      saves: (prev?.saves ?? 0) + 1,
    };
    let written: SavedRun | null;
    try {
      written = await writeSave(record, curves, blob, (prev?.saves ?? 0) > 0);
    } catch (e) {
      this.lastSave = performance.now(); // the next try when the next save is due, not at every step
      if (!(e instanceof StorageError)) throw e;
      if (e.kind === 'denied' && this.refusedOnce) return;
      this.refusedOnce = true;
      this.o.post({ type: 'run-save-error', task: this.task, kind: e.kind, message: e.message });
      return;
    }
    if (!written) {
      // deleted in the Runs tab while it trained: it trains on, and is not brought back
      this.closed = true;
      this.o.post({ type: 'run-save-error', task: this.task, kind: 'deleted', message: `"${record.name}" was deleted in the Runs tab: it trains on unsaved (a new run is saved again).` });
      return;
    }
    written.saveMs = readMs + (performance.now() - t0);
    this.run = written;
    const saved = written;
    this.lastSave = performance.now();
    // the time it took is kept with the next write; the record in hand says it now
    void updateRun(this.id, (r) => ({ ...r, saveMs: saved.saveMs })).catch(() => {});
    this.o.post({ type: 'run-saved', task: this.task, run: saved });
  }

  /** Every message of the run (TaskHost.observer). */
  observe = (msg: FromWorker): void => {
    if (isCurvePoint(msg)) {
      this.curves.push(msg);
      if (msg.type === 'train-metrics') this.lastStep = Math.max(this.lastStep, msg.step);
      return;
    }
    switch (msg.type) {
      case 'train-started':
        this.started = true;
        this.resume = undefined;
        this.startedAt = performance.now();
        this.totalSteps = msg.epochs * msg.stepsPerEpoch;
        // a resumed run: its curves so far, for the page to draw before the new points
        if (this.o.from) this.o.post({ type: 'train-history', task: this.task, run: this.o.from.run, curves: this.o.from.curves });
        return;
      case 'train-progress':
        this.lastStep = Math.max(this.lastStep, msg.step);
        return;
      case 'train-state':
        if (!this.started || this.closed) return;
        if (msg.state === 'running' || msg.state === 'paused') this.setStatus(msg.state === 'running' ? 'training' : 'paused');
        else if (msg.state !== 'preparing' && msg.state !== 'idle') {
          // a lost device leaves it as it was: interrupted, resumed on a new device (or after a reload)
          if (!(msg.state === 'failed' && this.o.host.deviceLost)) this.setStatus(msg.state);
          this.closed = true;
        }
        return;
      default:
    }
  };

  private setStatus(status: SavedRunStatus): void {
    if (status === this.status) return;
    this.status = status;
    if (!this.run) return;
    this.run = { ...this.run, status };
    void updateRun(this.id, (r) => ({ ...r, status })).then(
      (r) => r && this.o.post({ type: 'run-saved', task: this.task, run: r }),
      () => {},
    );
  }
}
