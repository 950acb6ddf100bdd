// The page `npm run bench` drives in headless Chromium: one measurement per page load, so that the libraries'
// global state (TF.js backends, jax-js devices) never leaks from one measurement into the next.
import { counters, instrument } from './instrument.ts';
import { tinyWorkload, WORKLOADS, type PeerBackend, type PeerRunner, type WorkloadId, type WorkloadSpec } from './workloads.ts';

export type Impl = 'rnnlab' | 'tfjs' | 'jax';

export interface MeasureRequest {
  impl: Impl;
  backend: PeerBackend;
  workload: WorkloadId;
  /** Use the tiny shapes (tests of the bench itself). */
  tiny?: boolean;
  /** Steps per timed repetition (0: chosen from a timed probe step so that a repetition takes about 4 s, 1 to 20
   *  steps), and repetitions (the median is reported; fewer when the budget runs out, at least one). */
  steps: number;
  reps: number;
  /** Give up (and say so) once this much wall time has been spent, warm-up included. */
  budgetMs: number;
}

export interface MeasureResult {
  impl: Impl;
  backend: PeerBackend;
  workload: WorkloadId;
  note: string;
  /** ms per step of each timed repetition. */
  msPerStep: number[];
  warmupMs: number;
  stepsPerRep: number;
  /** Loss after the warm-up step and after the last timed repetition. */
  firstLoss: number;
  lastLoss: number;
  /** Counted on WebGPU by wrapping the API (all implementations alike), per timed step: compute dispatches,
   *  queue submits, buffer maps (CPU readbacks). Zero for backends that do not use WebGPU. */
  dispatchesPerStep: number;
  submitsPerStep: number;
  readbacksPerStep: number;
  /** Peak bytes of live WebGPU buffers during the measurement (MiB). */
  peakGpuMiB: number;
  /** Extra figures an implementation reports (rnnlab: the dispatches recorded in its program, parameter memory). */
  extra: Record<string, number>;
  error?: string;
}

async function createRunner(impl: Impl, backend: PeerBackend, w: WorkloadSpec): Promise<PeerRunner & { extra?: () => Record<string, number> }> {
  if (impl === 'tfjs') {
    if (backend === 'wasm') throw new Error('TF.js runs here on webgpu, webgl or cpu');
    return (await import('./peers/tfjs.ts')).createTfjsRunner(w, backend);
  }
  if (impl === 'jax') {
    if (backend !== 'webgpu' && backend !== 'wasm') throw new Error('jax-js runs here on webgpu or wasm');
    return (await import('./peers/jaxjs.ts')).createJaxRunner(w, backend);
  }
  return (await import('./rnnlab.ts')).createRnnlabRunner(w);
}

instrument();



async function measure(req: MeasureRequest): Promise<MeasureResult> {
  const w = req.tiny ? tinyWorkload(req.workload) : WORKLOADS[req.workload];
  const out: MeasureResult = {
    impl: req.impl, backend: req.backend, workload: req.workload, note: '', msPerStep: [], warmupMs: NaN, stepsPerRep: 0,
    firstLoss: NaN, lastLoss: NaN, dispatchesPerStep: 0, submitsPerStep: 0, readbacksPerStep: 0, peakGpuMiB: 0, extra: {},
  };
  const t0 = performance.now();
  let runner: (PeerRunner & { extra?: () => Record<string, number> }) | undefined;
  try {
    runner = await createRunner(req.impl, req.backend, w);
    out.note = runner.note;
    await runner.run(1);
    out.firstLoss = await runner.lastLoss();
    out.warmupMs = performance.now() - t0;
    let stepsPerRep = req.steps;
    if (stepsPerRep <= 0) {
      const s = performance.now();
      await runner.run(1);
      await runner.lastLoss();
      // rnnlab: at least 10 steps, as in training (its metrics are copied every 10 steps, and each run of its
      // session starts with a state reset and ends with a read: counted per step, they would inflate the figures).
      const least = req.impl === 'rnnlab' ? 10 : 1;
      stepsPerRep = Math.max(least, Math.min(20, Math.round(4000 / Math.max(performance.now() - s, 1))));
    }
    const c0 = { ...counters };
    for (let r = 0; r < req.reps; r++) {
      if (performance.now() - t0 > req.budgetMs) {
        if (r === 0) throw new Error(`exceeded its time budget of ${(req.budgetMs / 1000).toFixed(0)} s before a timed repetition`);
        break;
      }
      const s = performance.now();
      await runner.run(stepsPerRep);
      out.msPerStep.push((performance.now() - s) / stepsPerRep);
    }
    const steps = stepsPerRep * out.msPerStep.length;
    out.stepsPerRep = stepsPerRep;
    out.dispatchesPerStep = (counters.dispatches - c0.dispatches) / steps;
    out.submitsPerStep = (counters.submits - c0.submits) / steps;
    out.readbacksPerStep = (counters.maps - c0.maps) / steps;
    out.lastLoss = await runner.lastLoss();
    out.peakGpuMiB = counters.peakBytes / 2 ** 20;
    out.extra = runner.extra?.() ?? {};
  } catch (e) {
    out.error = e instanceof Error ? e.message : String(e);
  } finally {
    try {
      await runner?.dispose();
    } catch {
      // Disposal errors after a failure say nothing new.
    }
  }
  return out;
}

/** GFLOP/s of an implementation's matmul on an n x n x n product (median of `reps`, after a warm-up). */
async function roof(impl: 'rnnlab' | 'jax', n: number, reps: number): Promise<number> {
  if (impl === 'jax') return (await import('./peers/jaxjs.ts')).jaxMatmulRoof(n, reps);
  return (await import('./rnnlab.ts')).rnnlabMatmulRoof(n, reps);
}

async function adapterName(): Promise<string> {
  const a = await navigator.gpu?.requestAdapter();
  if (!a) return 'no WebGPU adapter';
  return [a.info.vendor, a.info.architecture, a.info.description].filter(Boolean).join(' ');
}

declare global {
  interface Window {
    rnnlabBench: { measure: typeof measure; roof: typeof roof; adapterName: typeof adapterName };
  }
}
window.rnnlabBench = { measure, roof, adapterName };
document.getElementById('status')!.textContent = 'ready';
