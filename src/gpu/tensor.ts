// A Tensor is a typed range of a GPU buffer. Persistent tensors (parameters, optimizer moments, carried
// state, datasets) get their buffer when created; transient tensors (everything that lives within one
// training step) get theirs when their Program is compiled, planned by lifetime.
import { GpuError } from './errors.ts';

export type DType = 'f32' | 'u32';

export interface Tensor {
  readonly id: number;
  readonly label: string;
  readonly shape: readonly number[];
  /** Number of elements. */
  readonly size: number;
  readonly dtype: DType;
  readonly kind: 'persistent' | 'transient';
  /** The program that owns a transient tensor. */
  readonly owner?: object;
  buffer?: GPUBuffer;
  /** Byte offset into `buffer` (a multiple of 256 for views of flat buffers). */
  byteOffset: number;
}

let nextId = 1;

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function makeTensor(init: Omit<Tensor, 'id' | 'size' | 'byteOffset'> & { byteOffset?: number }): Tensor {
  const size = sizeOf(init.shape);
  if (!Number.isInteger(size) || size <= 0) throw new Error(`tensor ${init.label}: bad shape [${init.shape.join(', ')}]`);
  return { ...init, id: nextId++, size, byteOffset: init.byteOffset ?? 0 };
}

export const STORAGE_USAGE = GPUBufferUsageFlags();

/** GPUBufferUsage is a global in browsers; Dawn's Node binding installs it too (globals). */
function GPUBufferUsageFlags(): number {
  const u = (globalThis as { GPUBufferUsage?: typeof GPUBufferUsage }).GPUBufferUsage;
  // Values are fixed by the WebGPU spec; fall back to them so this module loads before the globals exist.
  const STORAGE = u?.STORAGE ?? 0x80;
  const COPY_SRC = u?.COPY_SRC ?? 0x04;
  const COPY_DST = u?.COPY_DST ?? 0x08;
  return STORAGE | COPY_SRC | COPY_DST;
}

/** The most bytes one storage buffer may hold on this device: every rnnlab buffer is a storage buffer and is
 *  bound whole (or in views of it), so both the buffer and the binding limit apply. */
export function maxStorageBytes(device: GPUDevice): number {
  return Math.min(device.limits.maxBufferSize, device.limits.maxStorageBufferBindingSize);
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toLocaleString('en-US', { maximumFractionDigits: bytes < 2 ** 20 ? 3 : 0 })} MiB`;
}

/** Throws GpuError 'too-big' when a buffer of `bytes` exceeds the device's limit, naming the buffer, both sizes
 *  and what to change: WebGPU would only fail later with an invalid buffer and errors at every step. */
export function checkStorageFits(device: GPUDevice, bytes: number, label: string): void {
  const limit = maxStorageBytes(device);
  if (bytes <= limit) return;
  const which = device.limits.maxBufferSize <= device.limits.maxStorageBufferBindingSize ? 'maxBufferSize' : 'maxStorageBufferBindingSize';
  throw new GpuError(
    'too-big',
    `The model is too big for this GPU: its buffer "${label}" needs ${mib(bytes)}, and this GPU allows at most ${mib(limit)} ` +
      `in one buffer (its ${which} limit). Try a smaller hidden size or batch size.`,
  );
}

/** A storage buffer (copy source and destination too), checked against the device's size limits first. */
export function createStorageBuffer(device: GPUDevice, bytes: number, label: string): GPUBuffer {
  checkStorageFits(device, bytes, label);
  return device.createBuffer({ label, size: bytes, usage: STORAGE_USAGE });
}

/** Creates a persistent tensor with its own buffer. */
export function createPersistent(device: GPUDevice, shape: readonly number[], label: string, dtype: DType = 'f32'): Tensor {
  const t = makeTensor({ label, shape, dtype, kind: 'persistent' });
  t.buffer = createStorageBuffer(device, alignTo(t.size * 4, 16), label);
  return t;
}

export function alignTo(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/**
 * One buffer holding many tensors at 256-byte aligned offsets (parameters, their gradients, optimizer
 * moments): clipping and the optimizer step are one dispatch each for the whole model.
 */
export class FlatBuffer {
  readonly buffer: GPUBuffer;
  readonly views: Tensor[];
  readonly whole: Tensor;
  /** Element offset of each view. */
  readonly offsets: number[];

  constructor(device: GPUDevice, label: string, entries: readonly { name: string; shape: readonly number[] }[]) {
    const offsets: number[] = [];
    let total = 0;
    for (const e of entries) {
      offsets.push(total);
      total += alignTo(sizeOf(e.shape), 64);
    }
    this.offsets = offsets;
    this.buffer = createStorageBuffer(device, Math.max(total, 64) * 4, label);
    this.whole = makeTensor({ label, shape: [Math.max(total, 64)], dtype: 'f32', kind: 'persistent' });
    this.whole.buffer = this.buffer;
    this.views = entries.map((e, i) => {
      const t = makeTensor({ label: `${label}.${e.name}`, shape: e.shape, dtype: 'f32', kind: 'persistent', byteOffset: offsets[i] * 4 });
      t.buffer = this.buffer;
      return t;
    });
  }
}
