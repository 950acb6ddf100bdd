// The one host: the policies every task's runs follow in the worker (and in the headless trainer), written once.
//   - Start while a run is starting or running: refused with a message; exactly one run results.
//   - A request while a run trains (inspect, generate, sample, evaluate) is answered between two of its steps.
//   - A session replaced while a request uses it is freed once, when the last request using it ends.
//   - A lost device stops the run at once: state 'failed' with the reason, and no message of the run after it.
//   - NaN: one message for every task, saying what was restored.
import { DataError } from '../data/errors.ts';
import { GpuError } from '../gpu/errors.ts';
import { RateMeter, RunControl } from './control.ts';
import { ConfigError } from './errors.ts';
import type { FromWorker, RunState, Task } from './protocol.ts';

export type Post = (msg: FromWorker, transfer?: Transferable[]) => void;

/** How a run ended (a failure is an exception). */
export interface RunEnd {
  state: 'done' | 'stopped' | 'diverged';
  message?: string;
}

/** A run in pieces: its whole training state saved every `every` steps, or whenever `due()` says so (a
 *  checkpoint; also after each epoch, and when a run is stopped), and a run that goes on from one exactly as if it
 *  had never stopped. The headless trainer writes them to a file; the page keeps them in the browser (RunSaver). */
export interface RunPieces<C> {
  every: number;
  /** Whether a save is due now (asked between two steps; the page: every 60 s of training). */
  due?(): boolean;
  /** The state to go on from. */
  resume?: C;
  /** The run's own record, kept in the checkpoint (e.g. its log so far). */
  notes(): Record<string, string>;
  /** `readMs`: how long taking the checkpoint (reading the state back from the GPU) took. */
  save(checkpoint: C, readMs: number): void | Promise<void>;
}

/** Takes a checkpoint and saves it (when the run is in pieces), timing the readback. */
export async function savePiece<C>(pieces: RunPieces<C> | undefined, take: () => Promise<C>): Promise<void> {
  if (!pieces) return;
  const t0 = performance.now();
  const c = await take();
  await pieces.save(c, performance.now() - t0);
}

/** Sees every message of a task's runs (a RunSaver keeps the curves and the state of its run from them). */
export type RunObserver = (msg: FromWorker) => void;

export function messageOf(e: unknown): string {
  if (e instanceof DataError || e instanceof ConfigError || e instanceof GpuError) return e.message;
  return e instanceof Error ? e.message : String(e);
}

/** The message of a divergence, the same for every task: what happened, what was put back, what to try. */
export function divergedMessage(what: 'loss' | 'perplexity', restored: string | null, advice: string): string {
  return `Training diverged: the ${what} became NaN or infinite. ${restored ?? 'No good weights were saved before it, so none were restored.'} ${advice}`;
}

/**
 * The session a task uses for requests (inspect, generate, sample), with the sessions it replaced kept alive
 * until the requests using them end: each is freed exactly once, never while in use.
 */
export class SessionSlot<S extends { destroy(): void }> {
  private current: S | null = null;
  private readonly users = new Map<S, number>();

  get(): S | null {
    return this.current;
  }

  /** Makes `s` the session in use; the one it replaces is freed now, or when the last request using it ends. */
  set(s: S | null): void {
    const old = this.current;
    this.current = s;
    if (old && old !== s) this.release(old);
  }

  /** Frees `s` now unless a request uses it (then when the last one ends), unless it is the session in use. */
  release(s: S): void {
    if (s !== this.current && !this.users.has(s)) s.destroy();
  }

  /** Runs `fn` with the session in use (or `s`), which stays alive until `fn` ends. */
  async use<T>(fn: (s: S) => Promise<T>, s: S | null = this.current): Promise<T> {
    if (!s) throw new ConfigError('There is no model yet.');
    this.users.set(s, (this.users.get(s) ?? 0) + 1);
    try {
      return await fn(s);
    } finally {
      const n = this.users.get(s)! - 1;
      if (n > 0) this.users.set(s, n);
      else {
        this.users.delete(s);
        this.release(s);
      }
    }
  }
}

interface ActiveRun {
  control: RunControl;
  /** Whether the run's state messages are shown (a quiet activity, e.g. a test pass on request, has none). */
  announce: boolean;
  failed: boolean;
}

export class TaskHost {
  private run: ActiveRun | null = null;
  private ended: Promise<void> = Promise.resolve();
  state: RunState = 'idle';
  /** Sees the messages of the runs (set for a saved run, cleared when it ends). */
  observer: RunObserver | null = null;

  constructor(readonly task: Task, private readonly out: Post) {}

  get busy(): boolean {
    return this.run !== null;
  }

  get control(): RunControl | null {
    return this.run?.control ?? null;
  }

  /** A message of the run in progress: dropped once the run failed (its device is gone), so nothing counts on. */
  post(msg: FromWorker, transfer?: Transferable[]): void {
    if (this.run?.failed) return;
    this.out(msg, transfer);
    this.observer?.(msg); // after: what it posts in answer (a resumed run's curves) follows the message
  }

  private setState(state: RunState, message?: string): void {
    this.state = state;
    const msg: FromWorker = { type: 'train-state', task: this.task, state, ...(message === undefined ? {} : { message }) };
    this.out(msg);
    this.observer?.(msg);
  }

  /** Resolves when the run in progress (if any) has ended, its body returned or thrown. */
  whenIdle(): Promise<void> {
    return this.ended;
  }

  /** The run is built and trains now: what it will do, then its state. */
  started(info: Omit<Extract<FromWorker, { type: 'train-started' }>, 'type' | 'task'>): void {
    this.post({ type: 'train-started', task: this.task, ...info });
    if (this.run && !this.run.failed && this.run.announce) this.setState(this.run.control.isPaused ? 'paused' : 'running');
  }

  /**
   * Runs `body` unless a run is starting or running (then it says so, and the run in progress goes on). States:
   * 'preparing', then what `body` returns; an exception is 'failed' with its message (and an error message in the
   * task's scope). `announce: false`: an activity without run states (a stop still cancels it).
   */
  async start(body: (control: RunControl) => Promise<RunEnd>, announce = true): Promise<void> {
    if (this.run) {
      this.out({ type: 'error', scope: this.task === 'mnist' ? 'mnist-train' : this.task, message: 'A run is already in progress: pause or stop it first.' });
      return;
    }
    const run: ActiveRun = { control: new RunControl(), announce, failed: false };
    this.run = run;
    this.lostRun = false;
    let end!: () => void;
    this.ended = new Promise((r) => (end = r));
    if (announce) this.setState('preparing');
    try {
      const end = await body(run.control);
      if (!run.failed && announce) this.setState(end.state, end.message);
    } catch (e) {
      if (!run.failed) {
        if (e instanceof GpuError && e.kind === 'device-lost') this.fail(e.message);
        else {
          this.out({ type: 'error', scope: this.task === 'mnist' ? 'mnist-train' : this.task, message: messageOf(e) });
          if (announce) this.setState('failed', messageOf(e));
        }
      }
    } finally {
      run.control.close();
      if (this.run === run) this.run = null;
      end();
    }
  }

  pause(): void {
    if (!this.run || this.run.failed) return;
    this.run.control.pause();
    if (this.run.announce) this.setState('paused');
  }

  resume(): void {
    if (!this.run || this.run.failed) return;
    this.run.control.resume();
    if (this.run.announce) this.setState('running');
  }

  stop(): void {
    this.run?.control.stop();
  }

  /** Runs `fn` between two steps of the run in progress (at once when none runs). */
  request<T>(fn: () => Promise<T>): Promise<T> {
    return this.run ? this.run.control.between(fn) : fn();
  }

  /** The run in progress ended because the device was lost (its saved run is interrupted, not failed). */
  get deviceLost(): boolean {
    return this.lostRun;
  }
  private lostRun = false;

  /** The device is gone: the run stops at once, says 'failed' with the reason, and posts nothing more. */
  fail(message: string): void {
    const run = this.run;
    if (!run || run.failed) return;
    this.lostRun = true;
    run.control.stop();
    this.setState('failed', message);
    run.failed = true;
  }
}

/** A run's progress: steps per second over about a second (pauses left out) and the time left, as train-progress. */
export class ProgressReporter {
  private readonly meter: RateMeter;

  constructor(private readonly host: TaskHost, control: RunControl, private readonly plan: { epochs: number; stepsPerEpoch: number; samplesPerStep: number }) {
    this.meter = new RateMeter(control);
  }

  /**
   * After a step: `step` counts the run's steps, `epoch` is 0-based, `epochStep` the steps done in it; `otherSeconds`:
   * what the rest of the run needs besides training steps (PTB's validations). Returns the rate when it posted.
   */
  step(step: number, epoch: number, epochStep: number, otherSeconds = 0): number | null {
    const { epochs, stepsPerEpoch, samplesPerStep } = this.plan;
    const rate = this.meter.tick(epochStep === stepsPerEpoch);
    if (rate === null) return null;
    const stepsLeft = (epochs - epoch) * stepsPerEpoch - epochStep;
    this.host.post({
      type: 'train-progress', task: this.host.task, step, epoch, epochStep, stepsPerEpoch, stepsPerSecond: rate,
      samplesPerSecond: rate * samplesPerStep, secondsLeft: rate > 0 ? stepsLeft / rate + otherSeconds : Infinity,
    });
    return rate;
  }
}
