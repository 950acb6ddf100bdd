// The page side of `npm run save-times` (scripts/save-times.ts): loaded by the dev server into a blank page, it
// builds a task's default model on its real data, then saves it as a run in training is saved (RunSaver.save):
// the GPU readback (the session's checkpoint()), the encoding to safetensors bytes, and the write of the record,
// curves and checkpoint Blob in one IndexedDB transaction (writeSave), each timed.
import { loadMnist, MNIST_FILE_NAMES, MNIST_ROLES, type MnistFiles } from '../src/data/idx.ts';
import { prepareFable } from '../src/data/fable.ts';
import { preparePtb } from '../src/data/ptb.ts';
import { acquireGpu } from '../src/gpu/device.ts';
import { encodeFableCheckpoint, FABLE_PRESETS, FableSession } from '../src/engine/fable.ts';
import { defaultMnistConfig, encodeMnistCheckpoint, MnistSession } from '../src/engine/mnist.ts';
import { decodePtbCheckpoint, encodePtbCheckpoint, PTB_CONFIGS, PtbSession } from '../src/engine/ptb.ts';
import { runSummary, type RunStart } from '../src/engine/runStart.ts';
import { adapterName } from '../src/engine/savedRuns.ts';
import { presetConfig } from '../src/ui/ptb/config.ts';
import { deleteRun, getCheckpoint, newRunId, writeSave, type RunCurves, type SavedRun } from '../src/engine/runStore.ts';
import { lmParams } from '../src/models/lm.ts';
import { ptbModel } from '../src/models/ptb.ts';

export type SaveTask = 'mnist' | 'fable' | 'ptb-demo' | 'ptb-small' | 'ptb-medium';

/** One save, in ms: readback (checkpoint()), encode (to bytes), write (the Blob and the transaction). */
export interface SaveTiming {
  readback: number;
  encode: number;
  write: number;
  total: number;
}

export interface SaveTimes {
  label: string;
  parameters: number;
  bytes: number;
  /** Building the session (uploading the data, compiling its programs), ms. */
  buildMs: number;
  saves: SaveTiming[];
  /** The WebGPU adapter (vendor, architecture); none for PTB large. */
  adapter?: string;
  /** PTB large from synthetic weights: reading the save back (getCheckpoint, arrayBuffer) and decoding it. */
  reads?: { read: number; decode: number }[];
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${res.statusText}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** A run's curves as a save carries them: `n` training reports. */
function curvesOf(task: SavedRun['task'], n: number): RunCurves {
  return Array.from({ length: n }, (_, i) => ({ type: 'train-metrics' as const, task, step: (i + 1) * 10, epoch: 0, epochStep: (i + 1) * 10, values: { loss: 2 / (i + 1), accuracy: i / n } }));
}

function record(id: string, start: RunStart, step: number, bytes: number, saves: number): SavedRun {
  const now = Date.now();
  return {
    id, name: `save-times ${start.task}`, task: start.task, start, summary: runSummary(start), status: 'training',
    data: { fingerprint: '0:0000000000000000', source: 'builtin', names: [] }, step, totalSteps: step * 10, epoch: 0, best: null,
    bytes, created: now, saved: now, elapsed: 1, adapter: 'save-times', saveMs: 0, saves,
  };
}

/** `reps` saves of one run (each replacing the previous, as a training run's saves do), timed. */
async function timeSaves(reps: number, start: RunStart, take: () => Promise<{ bytes: () => Uint8Array; step: number }>): Promise<{ saves: SaveTiming[]; bytes: number }> {
  const id = newRunId(start.task);
  const curves = curvesOf(start.task, 100);
  const saves: SaveTiming[] = [];
  let size = 0;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const c = await take();
    const t1 = performance.now();
    const bytes = c.bytes();
    const t2 = performance.now();
    await writeSave(record(id, start, c.step, bytes.length, i + 1), curves, new Blob([bytes as Uint8Array<ArrayBuffer>]));
    const t3 = performance.now();
    size = bytes.length;
    saves.push({ readback: t1 - t0, encode: t2 - t1, write: t3 - t2, total: t3 - t0 });
  }
  await deleteRun(id);
  return { saves, bytes: size };
}

export async function measureTask(task: SaveTask, reps: number): Promise<SaveTimes> {
  const { device, adapterInfo } = await acquireGpu();
  const adapter = adapterName(adapterInfo);
  try {
    const t0 = performance.now();
    switch (task) {
      case 'mnist': {
        const files = {} as MnistFiles;
        for (const role of MNIST_ROLES) files[role] = await fetchBytes(`/data/mnist/${MNIST_FILE_NAMES[role]}`);
        const config = defaultMnistConfig('lstm');
        const session = await MnistSession.create(device, await loadMnist(files), config);
        const buildMs = performance.now() - t0;
        try {
          const r = await timeSaves(reps, { task: 'mnist', config }, async () => {
            const c = await session.checkpoint();
            return { bytes: () => encodeMnistCheckpoint(c), step: c.globalStep + 1 };
          });
          return { label: 'MNIST LSTM-128 (default)', parameters: session.params.specs.reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0), buildMs, adapter, ...r };
        } finally {
          session.destroy();
        }
      }
      case 'fable': {
        const text = await (await fetch('/data/fable/belling-the-cat.txt')).text();
        const session = await FableSession.create(device, prepareFable(text, 'belling-the-cat.txt'), FABLE_PRESETS.fast);
        const buildMs = performance.now() - t0;
        try {
          const r = await timeSaves(reps, { task: 'fable', preset: 'fast', iterations: FABLE_PRESETS.fast.iterations }, async () => {
            const c = await session.checkpoint();
            return { bytes: () => encodeFableCheckpoint(c), step: c.iteration + 1 };
          });
          return { label: "Fable 'fast' (2 x LSTM-512)", parameters: session.params.specs.reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0), buildMs, adapter, ...r };
        } finally {
          session.destroy();
        }
      }
      case 'ptb-demo':
      case 'ptb-small':
      case 'ptb-medium': {
        const name = task === 'ptb-demo' ? 'demo' : task === 'ptb-small' ? 'small' : 'medium';
        const [train, valid, test] = await Promise.all(['train', 'valid', 'test'].map((s) => fetchBytes(`/save-times-data/ptb/ptb.${s}.txt`)));
        const prepared = preparePtb({ train: train!, valid: valid!, test: test! });
        // the page's default is the quick demo (src/ui/ptb/config.ts), else the tutorial's configs
        const config = presetConfig(name);
        const session = await PtbSession.create(device, { train: prepared.train, valid: prepared.valid, test: prepared.test }, config);
        const buildMs = performance.now() - t0;
        try {
          const options = { stepLimit: null, validLimit: null, testLimit: null, reportEvery: null, seed: 1 };
          const r = await timeSaves(reps, { task: 'ptb', config, options }, async () => {
            const c = await session.checkpoint({ step: 0, lossSum: 0, rows: 0, seconds: 0 });
            return { bytes: () => encodePtbCheckpoint(c), step: c.globalStep + 1 };
          });
          const [L, H] = [config.numLayers, config.hiddenSize];
          return { label: `PTB ${name === "demo" ? "quick demo, the page's default" : name} (${L} x LSTM-${H})`, parameters: session.params.specs.reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0), buildMs, adapter, ...r };
        } finally {
          session.destroy();
        }
      }
    }
  } finally {
    device.destroy();
  }
}

/** PTB large (66M parameters) from synthetic weights, no session: encode, write, and read back + decode. */
export async function measurePtbLarge(reps: number): Promise<SaveTimes> {
  const config = PTB_CONFIGS.large;
  const weights: Record<string, Float32Array> = {};
  let parameters = 0;
  for (const s of lmParams(ptbModel(config))) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const w = new Float32Array(n);
    for (let i = 0; i < n; i++) w[i] = ((i * 2654435761) >>> 0) / 2 ** 32 - 0.5;
    weights[s.name] = w;
    parameters += n;
  }
  const states = Array.from({ length: config.numLayers }, () => new Float32Array(2 * config.batchSize * config.hiddenSize));
  const options = { stepLimit: null, validLimit: null, testLimit: null, reportEvery: null, seed: 1 };
  const start: RunStart = { task: 'ptb', config, options };
  const data = 'train=929589:0000000000000000 valid=73760:0000000000000000 test=82430:0000000000000000';
  const checkpoint = (step: number) => ({ config, seed: 1, epoch: 0, progress: { step: 0, lossSum: 0, rows: 0, seconds: 0 }, globalStep: step, weights, states, data, notes: {} });
  const id = newRunId('ptb');
  const curves = curvesOf('ptb', 100);
  const saves: SaveTiming[] = [];
  const reads: { read: number; decode: number }[] = [];
  let size = 0;
  for (let i = 0; i < reps; i++) {
    const t1 = performance.now();
    const bytes = encodePtbCheckpoint(checkpoint(i + 1));
    const t2 = performance.now();
    await writeSave(record(id, start, i + 1, bytes.length, i + 1), curves, new Blob([bytes as Uint8Array<ArrayBuffer>]));
    const t3 = performance.now();
    size = bytes.length;
    saves.push({ readback: 0, encode: t2 - t1, write: t3 - t2, total: t3 - t1 });
    const back = new Uint8Array(await (await getCheckpoint(id))!.arrayBuffer());
    const t4 = performance.now();
    const c = decodePtbCheckpoint(back, 'the PTB large save');
    const t5 = performance.now();
    if (c.globalStep !== i + 1 || c.weights.Wy![12345] !== weights.Wy![12345]) throw new Error('the PTB large save read back is not the one written');
    reads.push({ read: t4 - t3, decode: t5 - t4 });
  }
  await deleteRun(id);
  return { label: 'PTB large (2 x LSTM-1500), synthetic', parameters, bytes: size, buildMs: 0, saves, reads };
}
