// `npm run profile -- mnist-lstm [mnist-rnn fable-b1 fable-b64 ptb-small]`: wall time per kernel of one training
// step (each dispatch run alone and waited for; the minimum of 3 passes), in Node + Dawn. For finding the kernel
// that holds a workload back; whole-step speed is `npm run bench`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assembleMnist, MNIST_FILE_NAMES, MNIST_ROLES, type MnistFiles } from '../src/data/idx.ts';
import { prepareFable } from '../src/data/fable.ts';
import { ptbIds, ptbTokens, ptbVocab } from '../src/data/ptb.ts';
import { FABLE_PRESETS, FableSession } from '../src/engine/fable.ts';
import { defaultMnistConfig, MnistSession } from '../src/engine/mnist.ts';
import { PTB_CONFIGS, PtbSession } from '../src/engine/ptb.ts';
import type { CompiledProgram } from '../src/gpu/program.ts';
import { acquireNodeGpu } from '../src/gpu/node.ts';
import { enableKernelTuningOnGpu } from '../src/nn/kernelChoice.ts';
import { mnistDataDir } from './vite-mnist-plugin.ts';

const robust = process.argv.includes('--robust');
const names = process.argv.slice(2).filter((a) => a !== '--robust');
const gpu = await acquireNodeGpu({ robust });
const { device, adapterInfo } = gpu;
enableKernelTuningOnGpu(gpu); // as training does: real GPUs profile the LSTM step-kernel variants their sessions chose
console.log(`adapter: ${adapterInfo.vendor} ${adapterInfo.architecture} ${adapterInfo.description}`);

async function stepProgram(name: string): Promise<CompiledProgram> {
  if (name.startsWith('mnist-')) {
    const dir = mnistDataDir();
    const files = Object.fromEntries(MNIST_ROLES.map((r) => [r, new Uint8Array(readFileSync(join(dir, MNIST_FILE_NAMES[r])))])) as MnistFiles;
    const s = await MnistSession.create(device, assembleMnist(files), defaultMnistConfig(name === 'mnist-rnn' ? 'rnn' : 'lstm'));
    return (s as unknown as { trainStep: CompiledProgram }).trainStep;
  }
  if (name.startsWith('fable-')) {
    const fable = prepareFable(readFileSync('public/data/fable/belling-the-cat.txt', 'utf8'));
    const s = await FableSession.create(device, fable, { ...FABLE_PRESETS.original, batch: name === 'fable-b64' ? 64 : 1 });
    return (s as unknown as { trainStep: CompiledProgram }).trainStep;
  }
  if (name === 'ptb-small') {
    const text = readFileSync(join(process.env.PTB_DATA ?? '../shared/data/ptb', 'ptb.train.txt'), 'utf8');
    const tokens = ptbTokens(text);
    const ids = ptbIds(tokens, ptbVocab(tokens)).ids;
    const s = await PtbSession.create(device, { train: ids, valid: ids.subarray(0, 5000), test: ids.subarray(0, 5000) }, PTB_CONFIGS.small);
    return (s as unknown as { trainStep: CompiledProgram }).trainStep;
  }
  throw new Error(`unknown workload ${name}: mnist-lstm, mnist-rnn, fable-b1, fable-b64, ptb-small`);
}

for (const name of names.length ? names : ['mnist-lstm']) {
  const prog = await stepProgram(name);
  await prog.profile(device);
  const best = new Map<string, { ms: number; count: number }>();
  for (let r = 0; r < 3; r++) {
    for (const [k, v] of await prog.profile(device)) {
      const b = best.get(k);
      if (!b || v.ms < b.ms) best.set(k, v);
    }
  }
  const total = [...best.values()].reduce((a, b) => a + b.ms, 0);
  console.log(`\n${name}: ${prog.dispatchCount} dispatches, ${total.toFixed(1)} ms summed over kernels run alone`);
  for (const [k, v] of [...best].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(`  ${k.padEnd(28)} ${v.ms.toFixed(1).padStart(8)} ms  x${v.count}  (${((100 * v.ms) / total).toFixed(0)}%)`);
  }
}
process.exit(0);
