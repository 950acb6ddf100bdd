// Drawing batches from datasets kept on the GPU (shaders/data.wgsl). The host only writes the batch's start
// offset into `step` before each submit.
import { grid1d, type Program } from '../gpu/program.ts';
import { upload } from '../gpu/runner.ts';
import type { Tensor } from '../gpu/tensor.ts';

export interface GpuImageSet {
  /** bytes packed 4 per u32: [count][rowLen*T] */
  pixels: Tensor;
  labels: Tensor;
  count: number;
  rowLen: number;
  T: number;
}

/** Uploads images given as bytes (count × rowLen·T, rowLen·T a multiple of 4) and their labels. */
export function uploadImageSet(program: Program, bytes: Uint8Array, labels: Uint8Array, rowLen: number, T: number, label: string): GpuImageSet {
  const count = labels.length;
  const per = rowLen * T;
  if (per % 4 !== 0) throw new Error('image size must be a multiple of 4 bytes');
  if (bytes.length !== count * per) throw new Error(`${label}: ${bytes.length} bytes for ${count} images of ${per}`);
  const pixels = program.persistent([(count * per) / 4], `${label}.pixels`, 'u32');
  const aligned = new Uint8Array(bytes); // a copy with its own, aligned buffer
  upload(program.device, pixels, new Uint32Array(aligned.buffer));
  const labelTensor = program.persistent([count], `${label}.labels`, 'u32');
  upload(program.device, labelTensor, Uint32Array.from(labels));
  return { pixels, labels: labelTensor, count, rowLen, T };
}

/** Records the gather of batch rows perm[step[0] .. step[0]+B) into X [T][B][rowLen] (time-major) and labels [B]. */
export function recordImageBatch(program: Program, set: GpuImageSet, perm: Tensor, step: Tensor, B: number, X: Tensor, labels: Tensor): void {
  program.dispatch(
    'image_batch',
    { B, T: set.T, rowLen: set.rowLen, len: 0 },
    { pixels: set.pixels, labels: set.labels, perm, step, X, labelsOut: labels },
    grid1d(set.T * B * set.rowLen, 64),
  );
}

/** Records the window of token ids starting at column step[0] of data [B][len]: ids and targets [T][B]. */
export function recordTokenWindow(program: Program, data: Tensor, len: number, step: Tensor, B: number, T: number, ids: Tensor, targets: Tensor): void {
  program.dispatch('token_window', { B, T, rowLen: 0, len }, { step, data, ids, targets }, grid1d(T * B, 64));
}
