// The one step loop of every session (MNIST, fable, PTB; training and evaluation alike): host writes, one
// submit per step, at most two steps in flight, metric sums read asynchronously (never waited for inside a
// step) with whatever no read covered collected at the end, pause / stop / requests between steps, and NaN
// detection: a non-finite loss ends the loop and says so.
import type { CompiledProgram } from '../gpu/program.ts';
import { AsyncReader, download, submitPrograms, upload } from '../gpu/runner.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { InFlight, type RunControl } from './control.ts';

/** What a metrics tensor accumulates on the GPU (softmax cross-entropy's layout): Σ loss, Σ correct, rows. */
export interface MetricSums {
  loss: number;
  correct: number;
  rows: number;
}

export interface StepLoop {
  label: string;
  program: CompiledProgram;
  /** [4] sums written by the program's loss; zeroed at the start and after every read. */
  metrics: Tensor;
  /** Runs steps first..steps-1 (first: 0 unless going on inside an epoch). */
  first?: number;
  steps: number;
  /** Host writes of step s (0-based), before its submit. */
  prepare(s: number): void;
  /** Whether to read the metrics after step s (the last step is always read). */
  readAfter(s: number): boolean;
  /** Partial sums since the previous read, covering the steps up to `stepsDone`. */
  onRead?(stepsDone: number, sums: MetricSums): void;
  onStep?(stepsDone: number): void;
  control?: RunControl;
  /** Ends the loop early, between two steps, when it says so (after at least one step): a run's piece ends there
   *  to be saved (`cut` in the result), and the run goes on from it. */
  cut?: () => boolean;
}

export interface LoopResult {
  /** Sums over every step run (in f64). */
  sums: MetricSums;
  /** Steps run by this call. */
  steps: number;
  /** False when stopped or diverged before the last step. */
  completed: boolean;
  /** A read showed a non-finite loss: the loop ended there. */
  diverged: boolean;
  /** `cut` ended the loop early (not completed, not stopped). */
  cut: boolean;
}

export async function runSteps(device: GPUDevice, l: StepLoop): Promise<LoopResult> {
  const zero = new Float32Array(4);
  upload(device, l.metrics, zero);
  const sums: MetricSums = { loss: 0, correct: 0, rows: 0 };
  let diverged = false;
  const deliver = (upTo: number, d: Float32Array) => {
    if (!(d[2]! > 0)) return;
    const part = { loss: d[0]!, correct: d[1]!, rows: d[2]! };
    sums.loss += part.loss;
    sums.correct += part.correct;
    sums.rows += part.rows;
    if (!Number.isFinite(part.loss)) diverged = true;
    l.onRead?.(upTo, part);
  };
  const readUpTo: number[] = [];
  const reader = new AsyncReader(device, l.metrics, (d) => deliver(readUpTo.shift()!, d));
  const inflight = new InFlight(device);
  const first = l.first ?? 0;
  let done = first;
  /** The last step whose sums a copy carries (the rest is read once at the end). */
  let covered = first;
  let completed = true;
  let cut = false;
  for (let s = first; s < l.steps; s++) {
    if (s > first && l.cut?.()) {
      completed = false;
      cut = true;
      break;
    }
    // a read that showed NaN ends the loop, whether it arrived before this boundary or while it waited
    if (diverged || (l.control && !(await l.control.checkpoint())) || diverged) {
      completed = false;
      break;
    }
    l.prepare(s);
    const copy = l.readAfter(s) || s === l.steps - 1 ? reader.copyCommand() : null;
    submitPrograms(device, [l.program], copy ? [copy] : [], l.label);
    done = s + 1;
    if (copy) {
      covered = done;
      readUpTo.push(done);
      reader.afterSubmit();
      upload(device, l.metrics, zero); // lands after the copy, before the next step
    }
    l.onStep?.(done);
    await inflight.afterSubmit();
  }
  await inflight.drain();
  await reader.drain();
  // whatever no read covered (a copy skipped while both staging buffers were busy, or a stop): one more readback,
  // only then (a loop that ran to its end with its last copy made submits nothing more)
  if (covered < done) deliver(done, await download(device, l.metrics));
  return { sums, steps: done - first, completed: completed && !diverged, diverged, cut: cut && !diverged };
}
