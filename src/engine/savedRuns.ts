// The page's runs, saved as they train and resumed, written once for every task: a run the page starts is given a
// RunSaver as its pieces; a saved run goes on from its checkpoint with the data it was trained on (the built-in
// data is loaded for it; files the user picked must be loaded again, and are checked against the fingerprint);
// after a lost device, the runs that were training go on from their last saves.
import type { AdapterSummary } from '../gpu/device.ts';
import { DataError } from '../data/errors.ts';
import { decodeFableCheckpoint, encodeFableCheckpoint, type FableCheckpoint } from './fable.ts';
import type { FableTask } from './fableTask.ts';
import type { Post, TaskHost } from './host.ts';
import { decodeMnistCheckpoint, encodeMnistCheckpoint, type MnistCheckpoint } from './mnist.ts';
import type { MnistTask } from './mnistTask.ts';
import type { Task } from './protocol.ts';
import { decodePtbCheckpoint, encodePtbCheckpoint, type PtbCheckpoint } from './ptb.ts';
import type { PtbTask } from './ptbTask.ts';
import type { RunStart } from './runStart.ts';
import { DEFAULT_SAVE_SECONDS, RunSaver, type CheckpointCodec, type SavedState } from './runSaver.ts';
import { canResume, getCheckpoint, getCurves, getRun, holdRunLock, type SavedRun } from './runStore.ts';

interface Checkpoints {
  mnist: MnistCheckpoint;
  fable: FableCheckpoint;
  ptb: PtbCheckpoint;
}

const CODECS: { [T in Task]: CheckpointCodec<Checkpoints[T]> } = {
  mnist: { encode: encodeMnistCheckpoint, decode: decodeMnistCheckpoint, position: (c) => ({ step: c.globalStep, epoch: c.epoch }), fingerprint: (c) => c.data },
  fable: { encode: encodeFableCheckpoint, decode: decodeFableCheckpoint, position: (c) => ({ step: c.iteration, epoch: 0 }), fingerprint: (c) => c.data },
  ptb: { encode: encodePtbCheckpoint, decode: decodePtbCheckpoint, position: (c) => ({ step: c.globalStep, epoch: c.epoch }), fingerprint: (c) => c.data },
};

export interface Tasks {
  mnist: MnistTask;
  fable: FableTask;
  ptb: PtbTask;
}

/** A run that was training when the device was lost, how far it had got, its last save (null: none yet), and
 *  whether it was paused. */
export interface Interrupted {
  id: string;
  task: Task;
  name: string;
  reached: number;
  savedStep: number | null;
  paused: boolean;
}

export function adapterName(a: AdapterSummary): string {
  return [a.vendor, a.architecture, a.description].filter(Boolean).join(' ') || 'unknown adapter';
}

export class SavedRuns {
  everySeconds = DEFAULT_SAVE_SECONDS;
  private readonly savers = new Map<Task, RunSaver<unknown>>();

  constructor(
    private readonly tasks: Tasks,
    private readonly hosts: Record<Task, TaskHost>,
    private readonly post: Post,
    private readonly adapter: () => string,
    /** Whether runs are kept (IndexedDB, in the worker); without, they train unsaved (tests in Node). */
    private readonly saving: boolean,
  ) {}

  /** Starts a run, saved as it trains; `from`: going on from a save, `lock`: its run lock, already held. A run
   *  already in progress is left alone (the task refuses the start and says so). */
  async train(start: RunStart, from?: SavedState<unknown>, lock?: () => void): Promise<void> {
    const host = this.hosts[start.task];
    if (host.busy || (!this.saving && !from)) {
      lock?.();
      return this.startTask(start, undefined);
    }
    const source = this.tasks[start.task].dataSource;
    const saver = new RunSaver<unknown>({
      host, post: this.post, start, codec: CODECS[start.task] as CheckpointCodec<unknown>,
      data: source ?? { source: 'builtin', names: [] }, adapter: this.adapter(), everySeconds: () => this.everySeconds, from,
    });
    from = undefined; // the saver holds the saved state until the run has started from it, then lets it go
    // the run's lock, held while it trains: other tabs see it is live and cannot resume it too
    const release = lock ?? (await holdRunLock(saver.id)) ?? (() => {});
    this.savers.set(start.task, saver);
    host.observer = saver.observe;
    try {
      await this.startTask(start, saver);
    } finally {
      release();
      if (host.observer === saver.observe) host.observer = null;
      // a run ended by a lost device stays known: the dispatcher resumes it on the new device
      if (this.savers.get(start.task) === saver && !host.deviceLost) this.savers.delete(start.task);
    }
  }

  private startTask(start: RunStart, saver: RunSaver<unknown> | undefined): Promise<void> {
    const name = saver ? `the save of "${saver.name}"` : undefined;
    switch (start.task) {
      case 'mnist':
        return this.tasks.mnist.train(start.config, Infinity, undefined, saver as RunSaver<MnistCheckpoint> | undefined, name);
      case 'fable': {
        const pieces = saver as RunSaver<FableCheckpoint> | undefined;
        return this.tasks.fable.train(start.preset, start.iterations, { pieces, name, seed: pieces?.resume?.seed });
      }
      case 'ptb':
        return this.tasks.ptb.train(start.config, start.options, { pieces: saver as RunSaver<PtbCheckpoint> | undefined, name });
    }
  }

  /** Goes on with a saved run from its last save (`paused`: and pauses it at once, as it was when its device was
   *  lost). */
  async resume(id: string, baseUrl: string, paused = false): Promise<void> {
    const run = await getRun(id);
    if (!run) throw new DataError('saved run', 'is gone (deleted, perhaps in another tab)');
    if (this.hosts[run.task].busy) throw new DataError(run.name, `cannot go on while another ${run.task.toUpperCase()} run trains: stop it first`);
    if (!canResume(run)) throw new DataError(run.name, run.status === 'diverged' ? 'diverged: its last save is the state before that; start a new run with a lower learning rate' : 'is finished: there is nothing left to train');
    const lock = await holdRunLock(id);
    if (!lock) throw new DataError(run.name, 'is training in another tab or window of rnnlab: go on with it there, or close that tab and resume it here');
    let from: SavedState<unknown>;
    try {
      const blob = await getCheckpoint(id);
      if (!blob) throw new DataError(run.name, 'has no checkpoint (a damaged save): delete it');
      const checkpoint = CODECS[run.task].decode(new Uint8Array(await blob.arrayBuffer()), `the save of "${run.name}"`);
      await this.ensureData(run, baseUrl);
      from = { run, curves: await getCurves(id), checkpoint };
    } catch (e) {
      lock();
      throw e;
    }
    const going = this.train(run.start, from, lock);
    if (paused) this.hosts[run.task].pause(); // the run has begun (its host holds it): paused before its first step
    return going;
  }

  /** The data the run was trained on, in use: the built-in data is loaded for it; the user's files must be, and
   *  whatever is loaded must have the run's fingerprint. */
  private async ensureData(run: SavedRun, baseUrl: string): Promise<void> {
    const task = this.tasks[run.task];
    const where = run.task === 'mnist' ? 'in the MNIST tab' : run.task === 'fable' ? 'as your own text in the Fable tab' : 'in the Penn TreeBank tab';
    const them = run.data.names.length > 1 ? 'them' : 'it';
    if (run.data.source === 'builtin') {
      if (task.dataFingerprint() !== run.data.fingerprint) {
        if (run.task === 'mnist') await this.tasks.mnist.loadBuiltin(baseUrl);
        else if (run.task === 'fable') await this.tasks.fable.loadBuiltin(baseUrl);
      }
    } else if (task.dataSource === null) {
      throw new DataError(run.name, `was trained on ${run.data.names.join(', ')}: load ${them} again ${where}, then resume`);
    }
    const now = task.dataFingerprint();
    if (now !== run.data.fingerprint) {
      const loaded = task.dataSource?.names.join(', ') ?? 'nothing';
      throw new DataError(
        run.name,
        `was trained on other data than what is loaded now (${loaded}): its data has the fingerprint ${run.data.fingerprint}, the loaded data ${now}. Load ${run.data.names.join(', ')} ${where} and resume again; nothing was changed.`,
      );
    }
  }

  /** The runs training now (a lost device resumes those with a save). */
  interrupted(): Interrupted[] {
    return [...this.savers.values()].map((s) => ({ id: s.id, task: s.task, name: s.name, reached: s.lastStep, savedStep: s.savedStep, paused: s.paused }));
  }
}
