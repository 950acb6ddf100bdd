// `npm run bench -- --node`: training-step speed of rnnlab's engine, headless (Node + Dawn; SwiftShader without a GPU,
// the machine's Vulkan GPU with RNNLAB_ADAPTER=native). Prints a table and writes bench-results/bench-node.json.
// Per workload: median ms per training step after warm-up (steps run back to back, as in training),
// dispatches, submits and CPU readbacks per step (counted by wrapping the queue and buffer methods), FLOPs
// per step and achieved GFLOP/s, beside the adapter's matmul roof measured in the same run.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assembleMnist, MNIST_FILE_NAMES, MNIST_ROLES, type MnistFiles } from '../src/data/idx.ts';
import { prepareFable } from '../src/data/fable.ts';
import { RunControl } from '../src/engine/control.ts';
import { FABLE_PRESETS, FableSession } from '../src/engine/fable.ts';
import { defaultMnistConfig, MnistSession } from '../src/engine/mnist.ts';
import { acquireNodeGpu } from '../src/gpu/node.ts';
import { enableKernelTuningOnGpu } from '../src/nn/kernelChoice.ts';
import { describeLstmTiming } from '../src/nn/tune.ts';
import { Program } from '../src/gpu/program.ts';
import { submitPrograms } from '../src/gpu/runner.ts';
import { Graph } from '../src/nn/graph.ts';
import { matmul } from '../src/nn/ops.ts';
import { counters, instrument } from '../bench/instrument.ts';
import { mnistDataDir } from './vite-mnist-plugin.ts';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const REPS = quick ? 3 : 5;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Row {
  workload: string;
  msPerStep: number;
  dispatches: number;
  submitsPerStep: number;
  /** mapAsync calls per step: the asynchronous metrics reads (every `metricsEvery` steps), never awaited in a step. */
  asyncReadsPerStep: number;
  gflopPerStep: number;
  gflops: number;
  gpuMemoryMiB: number;
}

/** Runs `steps` training steps `REPS` times (after a warm-up) and returns the median ms per step. */
async function timeSteps(device: GPUDevice, steps: number, run: (n: number) => Promise<void>): Promise<{ ms: number; submits: number; maps: number }> {
  await run(1);
  await device.queue.onSubmittedWorkDone();
  const times: number[] = [];
  let submits = 0, maps = 0;
  for (let r = 0; r < REPS; r++) {
    const s0 = counters.submits, m0 = counters.maps;
    const t0 = performance.now();
    await run(steps);
    await device.queue.onSubmittedWorkDone();
    times.push((performance.now() - t0) / steps);
    submits = (counters.submits - s0) / steps;
    maps = (counters.maps - m0) / steps;
  }
  return { ms: median(times), submits, maps };
}

/** FLOPs of one LSTM/RNN classifier training step (multiply-adds x 2; forward, backward and weight gradients). */
function recurrentFlops(T: number, B: number, I: number, H: number, gates: number, V: number, inputGrad: boolean) {
  const G = gates * H;
  const fwd = T * B * (I * G + H * G) + B * H * V;
  const bwd = T * B * H * G /* recurrent dh */ + T * B * (I + H) * G /* dWx, dWh */ + (inputGrad ? T * B * I * G : 0) + 2 * B * H * V;
  return 2 * (fwd + bwd);
}

async function matmulRoof(device: GPUDevice, n: number): Promise<number> {
  const p = new Program(device, 'roof');
  const g = new Graph(p);
  const A = p.persistent([n, n], 'A'), B = p.persistent([n, n], 'B'), C = p.persistent([n, n], 'C');
  matmul(g, 'nn', { tensor: A, offset: 0 }, { tensor: B, offset: 0 }, { tensor: C }, n, n, n);
  const c = await p.compile();
  const r = await timeSteps(device, 2, async (k) => {
    for (let i = 0; i < k; i++) submitPrograms(device, [c]);
  });
  return (2 * n ** 3) / (r.ms / 1000) / 1e9;
}

async function main() {
  const gpu = await acquireNodeGpu();
  const { device, adapterInfo } = gpu;
  const tuning = enableKernelTuningOnGpu(gpu);
  console.log(tuning ? 'LSTM step kernels: timed per shape on this adapter (src/nn/tune.ts)' : 'LSTM step kernels: the default rule (fallback adapter, not timed)');
  instrument();
  const adapter = `${adapterInfo.vendor} ${adapterInfo.architecture} ${adapterInfo.description}`.trim();
  console.log(`rnnlab bench — ${new Date().toISOString().slice(0, 10)} — adapter: ${adapter} (Node + Dawn)`);
  const roofN = quick ? 512 : 1024;
  const roof = await matmulRoof(device, roofN);
  console.log(`matmul roof (${roofN}^3, rnnlab's vec4 kernel): ${roof.toFixed(2)} GFLOP/s`);

  const rows: Row[] = [];
  const dir = mnistDataDir();
  const files = Object.fromEntries(MNIST_ROLES.map((r) => [r, new Uint8Array(readFileSync(join(dir, MNIST_FILE_NAMES[r])))])) as MnistFiles;
  const mnist = assembleMnist(files);
  for (const cell of ['lstm', 'rnn'] as const) {
    const cfg = defaultMnistConfig(cell);
    const s = await MnistSession.create(device, mnist, cfg);
    for (const t of s.kernelTimings) console.log(`  ${describeLstmTiming(t)}`);
    // Steps run as in training: metrics copied every 10 steps and mapped asynchronously.
    const r = await timeSteps(device, quick ? 5 : 10, async (n) => {
      await s.trainEpoch(new RunControl(), () => {}, undefined, n);
    });
    const flops = recurrentFlops(28, 128, 28, 128, cell === 'lstm' ? 4 : 1, 10, false);
    rows.push({
      workload: `MNIST row-${cell.toUpperCase()} (B128, T28, I28, H128, Adam)`,
      msPerStep: r.ms, dispatches: s.dispatchesPerStep, submitsPerStep: r.submits, asyncReadsPerStep: r.maps,
      gflopPerStep: flops / 1e9, gflops: flops / (r.ms / 1000) / 1e9, gpuMemoryMiB: s.params.bytes / 2 ** 20,
    });
  }

  const fable = prepareFable(readFileSync('public/data/fable/belling-the-cat.txt', 'utf8'));
  for (const [name, batch] of [['original', 1], ['fast', 64]] as const) {
    const preset = FABLE_PRESETS[name];
    const s = await FableSession.create(device, fable, preset);
    for (const t of s.kernelTimings) console.log(`  ${describeLstmTiming(t)}`);
    const r = await timeSteps(device, batch === 1 ? 10 : quick ? 2 : 4, async (n) => {
      await s.train(n, new RunControl(), () => {});
    });
    const I = name === 'original' ? 1 : 512;
    const flops = 2 * recurrentFlops(3, batch, I, 512, 4, 0, true) / 2 + 2 * 2 * 3 * batch * 512 * 512 * 4 + 6 * batch * 512 * 112;
    rows.push({
      workload: `Fable 2xLSTM-512 T3 (${name}: B${batch}, ${preset.optimizer.kind})`,
      msPerStep: r.ms, dispatches: s.dispatchesPerStep, submitsPerStep: r.submits, asyncReadsPerStep: r.maps,
      gflopPerStep: flops / 1e9, gflops: flops / (r.ms / 1000) / 1e9, gpuMemoryMiB: s.params.bytes / 2 ** 20,
    });
  }

  const head = ['workload', 'ms/step (median)', 'dispatches/step', 'submits/step', 'async metric reads/step', 'GFLOP/step', 'GFLOP/s', '% of roof', 'params+grads+moments MiB'];
  const table = rows.map((r) => [
    r.workload, r.msPerStep.toFixed(1), String(r.dispatches), r.submitsPerStep.toFixed(2), r.asyncReadsPerStep.toFixed(2),
    r.gflopPerStep.toFixed(3), r.gflops.toFixed(2), `${((100 * r.gflops) / roof).toFixed(0)}%`, r.gpuMemoryMiB.toFixed(1),
  ]);
  const md = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...table.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  console.log(md);
  mkdirSync('bench-results', { recursive: true });
  writeFileSync('bench-results/bench-node.json', JSON.stringify({ date: new Date().toISOString(), adapter, roofGflops: roof, roofSize: roofN, rows }, null, 2));
  console.log('written bench-results/bench-node.json');
}

await main();
process.exit(0);
