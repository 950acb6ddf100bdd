// Measures the LSTM step kernel variants on this device for one shape and keeps the faster (src/nn/kernelChoice.ts).
// The rule the ops use without it suits CPU adapters (register tiles of 8 batch rows); on a real GPU those tiles
// give few workgroups (16 for batch 128, H 128), and the one-row kernels' 8x more invocations may win: rather
// than guess per vendor, the session times both, as cuDNN picks its algorithms. Time = the wall time of a few
// submissions of T steps each, to completion (what a training step pays), median of interleaved repetitions.
import { grid1d, Program, type CompiledProgram } from '../gpu/program.ts';
import { submitPrograms } from '../gpu/runner.ts';
import { createPersistent, type Tensor } from '../gpu/tensor.ts';
import { kernelTuningEnabled, LSTM_SMALL_BATCH, lstmKernels, lstmTiming, recordLstmTiming, type LstmTiming } from './kernelChoice.ts';
import { lstmBackwardStep, lstmForwardStep } from './ops.ts';

export type { LstmTiming } from './kernelChoice.ts';

export interface TuneOptions {
  /** time steps recorded per submission (default 4) */
  steps?: number;
  /** timed repetitions per variant, interleaved (default 5; one warm-up run each before) */
  reps?: number;
  /** submissions per timed repetition (default 2) */
  submits?: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Times both LSTM step variants (forward and backward separately) for batch B, hidden H; stores and returns the
 *  choice. Batches under 4 have one variant: nothing is measured. */
export async function tuneLstm(device: GPUDevice, B: number, H: number, options: TuneOptions = {}): Promise<LstmTiming> {
  if (B < LSTM_SMALL_BATCH) return { B, H, forward: null, backward: null, chosen: lstmKernels(device, B, H) };
  const T = options.steps ?? 4;
  const reps = options.reps ?? 5;
  const submits = options.submits ?? 2;
  const owned: Tensor[] = [];
  const tensor = (n: number, label: string) => {
    const t = createPersistent(device, [n], `tune.${label}`);
    owned.push(t);
    return t;
  };
  const BH = B * H, G4 = 4 * H;
  const XW = tensor(T * B * G4, 'XW'), Wh = tensor(H * G4, 'Wh'), WhT = tensor(H * G4, 'WhT');
  const Hs = tensor((T + 1) * BH, 'Hs'), Cs = tensor((T + 1) * BH, 'Cs'), G = tensor(T * B * G4, 'G');
  const state = tensor(2 * BH, 'state'), dHs = tensor(T * BH, 'dHs'), dhT = tensor(BH, 'dhT');
  const dG = tensor(T * B * G4, 'dG'), dC = tensor(BH, 'dC');
  const uniforms = (t: number) => ({ T, B, H, t, forgetBias: 1, useState: 0, writeState: 0, hasDHs: 1, hasDhT: 0 });

  const forward = async (rows: boolean) => {
    const p = new Program(device, `tune lstm fwd ${rows ? 'rows' : 'tiles'}`);
    const step = lstmForwardStep(B, H, rows);
    for (let t = 0; t < T; t++) p.dispatch(step.kernel, uniforms(t), { XW, Wh, Hs, Cs, G, state }, step.grid);
    return p.compile();
  };
  const backward = async (rows: boolean) => {
    const p = new Program(device, `tune lstm bwd ${rows ? 'rows' : 'tiles'}`);
    const step = lstmBackwardStep(B, H, rows);
    if (!rows) p.dispatch('lstm_transpose_wh', uniforms(0), { Wh, WhT }, grid1d(H * H, 64));
    const weights: Record<string, Tensor> = rows ? { Wh } : { WhT };
    for (let t = T - 1; t >= 0; t--) p.dispatch(step.kernel, uniforms(t), { ...weights, Cs, G, dHs, dhT, dG, dC }, step.grid);
    return p.compile();
  };
  const time = async (c: CompiledProgram) => {
    const t0 = performance.now();
    for (let i = 0; i < submits; i++) submitPrograms(device, [c], [], 'tune');
    await device.queue.onSubmittedWorkDone();
    return (performance.now() - t0) / (submits * T);
  };
  const race = async (a: CompiledProgram, b: CompiledProgram) => {
    await time(a);
    await time(b);
    const ta: number[] = [], tb: number[] = [];
    for (let r = 0; r < reps; r++) {
      ta.push(await time(a));
      tb.push(await time(b));
    }
    return { tiles: median(ta), rows: median(tb) };
  };
  const compiled: CompiledProgram[] = [];
  const keep = (c: CompiledProgram) => (compiled.push(c), c);
  try {
    const fwd = await race(keep(await forward(false)), keep(await forward(true)));
    const bwd = await race(keep(await backward(false)), keep(await backward(true)));
    const timing = { B, H, forward: fwd, backward: bwd, chosen: { forwardRows: fwd.rows < fwd.tiles, backwardRows: bwd.rows < bwd.tiles } };
    recordLstmTiming(device, timing);
    return timing;
  } finally {
    for (const t of owned) t.buffer?.destroy();
    for (const c of compiled) c.destroy();
  }
}

/** What a session calls before recording its programs: tunes each [B, H] (once per device and shape) where tuning
 *  is enabled for the device (enableKernelTuning), else nothing. Returns the timings, for logs. */
export async function tuneLstmShapes(device: GPUDevice, shapes: readonly (readonly [number, number])[]): Promise<LstmTiming[]> {
  if (!kernelTuningEnabled(device)) return [];
  const out: LstmTiming[] = [];
  for (const key of new Set(shapes.filter(([B]) => B >= LSTM_SMALL_BATCH).map(([B, H]) => `${B} ${H}`))) {
    const [B, H] = key.split(' ').map(Number) as [number, number];
    const known = lstmTiming(device, B, H);
    if (known) recordLstmTiming(device, known); // its choice again, whatever was set for the shape since
    out.push(known ?? (await tuneLstm(device, B, H)));
  }
  return out;
}

/** One line per tuned shape, for logs: "lstm B128 H128: forward tiles (rows 15.496, tiles 6.995 ms/step), backward ...". */
export function describeLstmTiming(t: LstmTiming): string {
  const part = (name: string, m: { tiles: number; rows: number } | null, rows: boolean) =>
    m ? `${name} ${rows ? 'rows' : 'tiles'} (rows ${m.rows.toFixed(3)}, tiles ${m.tiles.toFixed(3)} ms/step)` : `${name} rows (batch under ${LSTM_SMALL_BATCH})`;
  return `lstm B${t.B} H${t.H}: ${part('forward', t.forward, t.chosen.forwardRows)}, ${part('backward', t.backward, t.chosen.backwardRows)}`;
}
