// rnnlab's side of the bench: the real training sessions of the app (the same code the workers run), on the page's
// WebGPU device, with their real data (MNIST from the app's own /data/mnist/, the shipped fable, PTB when the
// bench server serves it) drawn on the GPU as in training.
import { assembleMnist, MNIST_FILE_NAMES, MNIST_ROLES, type MnistFiles } from '../src/data/idx.ts';
import { prepareFable } from '../src/data/fable.ts';
import { ptbIds, ptbTokens, ptbVocab } from '../src/data/ptb.ts';
import { RunControl } from '../src/engine/control.ts';
import { FABLE_PRESETS, FableSession } from '../src/engine/fable.ts';
import { defaultMnistConfig, MnistSession } from '../src/engine/mnist.ts';
import { PTB_CONFIGS, PtbSession } from '../src/engine/ptb.ts';
import { acquireGpu } from '../src/gpu/device.ts';
import { enableKernelTuningOnGpu } from '../src/nn/kernelChoice.ts';
import { Program } from '../src/gpu/program.ts';
import { submitPrograms } from '../src/gpu/runner.ts';
import { Graph } from '../src/nn/graph.ts';
import { matmul } from '../src/nn/ops.ts';
import { rng, type PeerRunner, type WorkloadSpec } from './workloads.ts';

export interface RnnlabRunner extends PeerRunner {
  extra(): Record<string, number>;
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

/** PTB train ids: the real ptb.train.txt when the bench server serves it (npm run bench does, from
 *  ../shared/data/ptb), else uniformly random ids over 10,000 words (the step's cost does not depend on the data). */
async function ptbTrainIds(): Promise<{ ids: Uint32Array; source: string }> {
  const r = await fetch('/bench-data/ptb/ptb.train.txt');
  if (r.ok) {
    const tokens = ptbTokens(await r.text());
    const vocab = ptbVocab(tokens);
    return { ids: ptbIds(tokens, vocab, { name: 'ptb.train.txt' }).ids, source: 'ptb.train.txt' };
  }
  const rand = rng(7);
  return { ids: Uint32Array.from({ length: 200_000 }, () => Math.floor(rand() * 10_000)), source: 'random ids (ptb.train.txt not served)' };
}

export async function createRnnlabRunner(w: WorkloadSpec): Promise<RnnlabRunner> {
  const gpu = await acquireGpu();
  const { device } = gpu;
  enableKernelTuningOnGpu(gpu); // as the app's worker does
  const control = new RunControl();
  let loss = NaN;
  let run: (n: number) => Promise<void>;
  let dispatches = 0;
  let memoryBytes = 0;
  let destroy = () => {};
  let readLoss = async () => loss;
  let note: string;

  if (w.id === 'mnist-lstm' || w.id === 'mnist-rnn') {
    const files = {} as MnistFiles;
    await Promise.all(MNIST_ROLES.map(async (r) => (files[r] = await fetchBytes(`/data/mnist/${MNIST_FILE_NAMES[r]}`))));
    const s = await MnistSession.create(device, assembleMnist(files), defaultMnistConfig(w.cell));
    run = async (n) => {
      await s.trainEpoch(control, (m) => (loss = m.loss), undefined, n);
    };
    dispatches = s.dispatchesPerStep;
    memoryBytes = s.params.bytes;
    destroy = () => s.destroy();
    note = 'rnnlab MnistSession (the app\'s training step): real MNIST batches drawn on the GPU, metrics read asynchronously every 10 steps';
  } else if (w.id === 'fable-b1' || w.id === 'fable-b64') {
    const text = await (await fetch('/data/fable/belling-the-cat.txt')).text();
    const s = await FableSession.create(device, prepareFable(text), { ...FABLE_PRESETS.original, batch: w.batch, metricsEvery: 10 });
    run = async (n) => {
      await s.train(n, control, (m) => (loss = m.loss));
    };
    readLoss = async () => {
      const d = await s.lastMetrics(); // sums since the last asynchronous metrics read
      return d[2]! > 0 ? d[0]! / d[2]! : loss;
    };
    dispatches = s.dispatchesPerStep;
    memoryBytes = s.params.bytes;
    note = `rnnlab FableSession, original recipe (id as float, RMSProp) with batch ${w.batch}: the tutorial's window walk, batches uploaded per step`;
  } else {
    const { ids, source } = await ptbTrainIds();
    const slice = ids.subarray(0, 20_000);
    const s = await PtbSession.create(device, { train: ids, valid: slice, test: slice }, PTB_CONFIGS.small);
    s.metricsEvery = 10;
    s.metricsPhase = 9;
    run = async (n) => {
      await s.trainEpoch(control, (m) => (loss = (m.lossSum / m.rows) * w.steps), undefined, n);
    };
    dispatches = s.dispatchesPerStep;
    memoryBytes = s.params.bytes;
    note = `rnnlab PtbSession, small config (${source}), state carried between steps`;
  }
  return {
    note,
    run,
    async lastLoss() {
      await device.queue.onSubmittedWorkDone();
      return readLoss();
    },
    extra: () => ({ dispatchesRecorded: dispatches, paramsGradsMomentsMiB: memoryBytes / 2 ** 20 }),
    dispose() {
      destroy();
      device.destroy();
    },
  };
}

/** GFLOP/s of rnnlab's best matmul (the vec4 register-tiled kernel) on an n x n x n product: the adapter's roof. */
export async function rnnlabMatmulRoof(n: number, reps: number): Promise<number> {
  const { device } = await acquireGpu();
  const p = new Program(device, 'roof');
  const g = new Graph(p);
  const A = p.persistent([n, n], 'A'), B = p.persistent([n, n], 'B'), C = p.persistent([n, n], 'C');
  matmul(g, 'nn', { tensor: A, offset: 0 }, { tensor: B, offset: 0 }, { tensor: C }, n, n, n);
  const c = await p.compile();
  submitPrograms(device, [c]);
  await device.queue.onSubmittedWorkDone();
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    submitPrograms(device, [c]);
    await device.queue.onSubmittedWorkDone();
    times.push(performance.now() - t0);
  }
  device.destroy();
  const ms = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
  return (2 * n ** 3) / (ms / 1000) / 1e9;
}
