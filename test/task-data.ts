// The real data the task-level tests train on: the PTB files from ../shared/data/ptb as the page sends them, the
// fable's text, and the first images of the real MNIST training set with the whole test set.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MnistData } from '../src/data/idx.ts';
import type { NamedFile } from '../src/engine/protocol.ts';
import { loadRealMnist } from './mnist-files.ts';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** ptb.<split>.txt as the page's file picker sends it. */
export function ptbFile(split: string): NamedFile {
  return { name: `ptb.${split}.txt`, bytes: new Uint8Array(readFileSync(resolve(root, '..', 'shared', 'data', 'ptb', `ptb.${split}.txt`))).buffer as ArrayBuffer };
}

export const fableText = readFileSync(resolve(root, 'public/data/fable/belling-the-cat.txt'), 'utf8');

/** `count` training images (count / batch steps an epoch) and the whole test set (the evaluation batch divides it). */
export async function mnistSubset(count = 960): Promise<MnistData> {
  const full = await loadRealMnist();
  return { train: { pixels: full.train.pixels.subarray(0, count * 784), labels: full.train.labels.subarray(0, count), count }, test: full.test };
}
