/**
 * The largest file rnnlab accepts for each kind a person can pick (or pass to the CLI), checked before the file
 * is decoded, so a wrong or hostile file fails at once with a clear message instead of exhausting memory.
 * The real data sit well inside: MNIST's train images are 47,040,016 bytes (10,000 test images 7,840,016),
 * PTB's train text 5,101,618 bytes, the fable 976 bytes, the shipped fable weights 8.6 MB and a PTB "large"
 * checkpoint about 265 MB. For .gz files the limit holds for the file and for what it decompresses to.
 */
import { DataError } from './errors.ts';

const MiB = 1 << 20;

export type FileKind = 'idxImages' | 'idxLabels' | 'ptbText' | 'fableText' | 'safetensors';

export const FILE_LIMITS: Readonly<Record<FileKind, { bytes: number; what: string }>> = {
  /** 128 MiB: about 171,000 images of 28x28 (MNIST's train set is 60,000). */
  idxImages: { bytes: 128 * MiB, what: 'an IDX image file' },
  /** 1 MiB: a million labels. */
  idxLabels: { bytes: 1 * MiB, what: 'an IDX label file' },
  /** 32 MiB per split (PTB's train text is 4.9 MiB). */
  ptbText: { bytes: 32 * MiB, what: 'a Penn TreeBank text file' },
  /** 2 MiB (bytes of a file, or characters of pasted text) for the fable model's own text. */
  fableText: { bytes: 2 * MiB, what: 'a text for the fable model' },
  /** 1 GiB: weights or a training checkpoint (PTB "large": about 265 MB). */
  safetensors: { bytes: 1024 * MiB, what: 'a .safetensors weights or checkpoint file' },
};

/** "47.0 MiB" / "976 bytes". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} byte${n === 1 ? '' : 's'}`;
  if (n < MiB) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * MiB) return `${(n / MiB).toFixed(1)} MiB`;
  return `${(n / (1024 * MiB)).toFixed(1)} GiB`;
}

/** Throws a DataError naming the file when `size` (bytes, or characters of text) is over the kind's limit. */
export function checkFileSize(name: string, size: number, kind: FileKind): void {
  const limit = FILE_LIMITS[kind];
  if (size > limit.bytes) {
    throw new DataError(
      name,
      `the file is ${formatBytes(size)}, more than the ${formatBytes(limit.bytes)} rnnlab accepts for ${limit.what}; ` +
        'check that this is the right file',
    );
  }
}
