// Submitting work and moving data between host and GPU.
// A training step is one command encoder, one compute pass and one queue.submit. Values the host wants to see
// (loss, accuracy) are copied into a staging buffer at the end of a step every so often and mapped
// asynchronously: the step never waits for them, and the queue never stalls.
import type { CompiledProgram } from './program.ts';
import type { Tensor } from './tensor.ts';

export interface StepStats {
  submits: number;
  dispatches: number;
  readbacks: number;
}

/** Encodes programs into one compute pass and submits once. `copies` run after the pass, in the same submit. */
export function submitPrograms(device: GPUDevice, programs: readonly CompiledProgram[], copies: ((enc: GPUCommandEncoder) => void)[] = [], label = 'step'): void {
  const encoder = device.createCommandEncoder({ label });
  const pass = encoder.beginComputePass({ label });
  for (const p of programs) p.encode(pass);
  pass.end();
  for (const c of copies) c(encoder);
  device.queue.submit([encoder.finish()]);
}

const UPLOAD_CHUNK = 8 << 20;

export function upload(device: GPUDevice, t: Tensor, data: Float32Array | Uint32Array, elementOffset = 0): void {
  if (data.length + elementOffset > t.size) throw new Error(`upload to ${t.label}: ${data.length} elements do not fit in ${t.size}`);
  if (!t.buffer) throw new Error(`upload to ${t.label}: not allocated`);
  // In chunks of 8 MiB: the implementation's staging copy of each write stays small.
  for (let at = 0; at < data.byteLength; at += UPLOAD_CHUNK) {
    const n = Math.min(UPLOAD_CHUNK, data.byteLength - at);
    device.queue.writeBuffer(t.buffer, t.byteOffset + elementOffset * 4 + at, data.buffer, data.byteOffset + at, n);
  }
}

/** Reads a tensor back (waits for the queue). For tests, checkpoints and between-epoch evaluation only. */
export async function download(device: GPUDevice, t: Tensor): Promise<Float32Array> {
  return (await downloadMany(device, [t], `read ${t.label}`))[0]!;
}

/**
 * Reads several tensors back with one submission and one map (a run's save: its weights, moments and carried
 * state cost one readback), in groups of at most 128 MiB (and the device's largest buffer; a bigger tensor alone).
 */
export async function downloadMany(device: GPUDevice, tensors: readonly Tensor[], label = 'read state'): Promise<Float32Array[]> {
  // staging buffers of at most 128 MiB: a big model's save does not ask the GPU for another copy of it at once
  const max = Math.min(device.limits.maxBufferSize, 128 * 2 ** 20);
  const groups: Tensor[][] = [];
  let bytes = Infinity;
  for (const t of tensors) {
    if (bytes + t.size * 4 > max) {
      groups.push([]);
      bytes = 0;
    }
    groups.at(-1)!.push(t);
    bytes += t.size * 4;
  }
  const out: Float32Array[] = [];
  for (const group of groups) {
    const offsets: number[] = [];
    let size = 0;
    for (const t of group) {
      offsets.push(size);
      size += t.size * 4;
    }
    const staging = device.createBuffer({ label, size: Math.max(4, size), usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
    const enc = device.createCommandEncoder({ label });
    group.forEach((t, i) => enc.copyBufferToBuffer(t.buffer!, t.byteOffset, staging, offsets[i]!, t.size * 4));
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const all = staging.getMappedRange();
    group.forEach((t, i) => out.push(new Float32Array(all.slice(offsets[i]!, offsets[i]! + t.size * 4))));
    staging.unmap();
    staging.destroy();
  }
  return out;
}

export async function downloadU32(device: GPUDevice, t: Tensor): Promise<Uint32Array> {
  const f = await download(device, t);
  return new Uint32Array(f.buffer);
}

/**
 * Reads a small tensor (metrics) without ever blocking a step: `maybeCopy` adds a copy into a free staging
 * buffer to the step's encoder; when the map resolves, `onData` gets the values. With two staging buffers a
 * slow map never forces a wait; if both are busy the copy is simply skipped this time.
 */
export class AsyncReader {
  private readonly free: GPUBuffer[] = [];
  pending = 0;
  reads = 0;

  constructor(device: GPUDevice, private readonly source: Tensor, private readonly onData: (data: Float32Array) => void, buffers = 2) {
    for (let i = 0; i < buffers; i++) {
      this.free.push(device.createBuffer({ label: `${source.label} staging ${i}`, size: source.size * 4, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ }));
    }
  }

  /** Returns a copy command to run at the end of the step's encoder, or null when no staging buffer is free. */
  copyCommand(): ((enc: GPUCommandEncoder) => void) | null {
    const staging = this.free.pop();
    if (!staging) return null;
    return (enc) => {
      enc.copyBufferToBuffer(this.source.buffer!, this.source.byteOffset, staging, 0, this.source.size * 4);
      this.pending++;
      // mapAsync is called after submit (queued by the caller via afterSubmit).
      this.queued.push(staging);
    };
  }

  private queued: GPUBuffer[] = [];

  /** Call right after the submit that carried the copy: starts the asynchronous map. */
  afterSubmit(): void {
    for (const staging of this.queued.splice(0)) {
      staging.mapAsync(GPUMapMode.READ).then(
        () => {
          const data = new Float32Array(staging.getMappedRange().slice(0));
          staging.unmap();
          this.free.push(staging);
          this.pending--;
          this.reads++;
          this.onData(data);
        },
        () => {
          this.pending--; // device lost or destroyed: the engine reports that through device.lost
        },
      );
    }
  }

  /** Resolves when every started read has been delivered. */
  async drain(): Promise<void> {
    while (this.pending > 0) await new Promise((r) => setTimeout(r, 1));
  }
}

export interface Generation {
  label: string;
  /** One run computes one word: it reads its input (on the GPU) and writes the chosen id into `out`. */
  program: CompiledProgram;
  runs: number;
  /** Sampling: one uniform number per run, copied into `u` before it. */
  uniforms?: { values: Float32Array; u: Tensor };
  /** A prompt fed word by word: ids[k] is copied into `input` before run k. */
  feed?: { ids: Uint32Array; input: Tensor };
  out: Tensor;
  /** The ids of runs firstOut.. are the continuation. */
  firstOut: number;
}

/**
 * A whole continuation in ONE submission: every run's inputs are copied on the GPU (the sampled id is fed back by
 * the program itself), each run's id is copied into a history buffer, and the history is read back once.
 */
export async function generateOnGpu(device: GPUDevice, g: Generation): Promise<number[]> {
  const words = g.runs - g.firstOut;
  if (words <= 0) return [];
  const source = (label: string, data: Float32Array | Uint32Array) => {
    const b = device.createBuffer({ label, size: Math.max(4, data.byteLength), usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(b, 0, data.buffer, data.byteOffset, data.byteLength);
    return b;
  };
  const us = g.uniforms ? source(`${g.label} u`, g.uniforms.values) : null;
  const feed = g.feed ? source(`${g.label} prompt`, g.feed.ids) : null;
  const history = device.createBuffer({ label: `${g.label} ids`, size: words * 4, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
  try {
    const enc = device.createCommandEncoder({ label: g.label });
    for (let k = 0; k < g.runs; k++) {
      if (us) enc.copyBufferToBuffer(us, k * 4, g.uniforms!.u.buffer!, g.uniforms!.u.byteOffset, 4);
      if (feed && k < g.feed!.ids.length) enc.copyBufferToBuffer(feed, k * 4, g.feed!.input.buffer!, g.feed!.input.byteOffset, 4);
      const pass = enc.beginComputePass({ label: g.label });
      g.program.encode(pass);
      pass.end();
      if (k >= g.firstOut) enc.copyBufferToBuffer(g.out.buffer!, g.out.byteOffset, history, (k - g.firstOut) * 4, 4);
    }
    device.queue.submit([enc.finish()]);
    await history.mapAsync(GPUMapMode.READ);
    const ids = Array.from(new Uint32Array(history.getMappedRange().slice(0)));
    history.unmap();
    return ids;
  } finally {
    history.destroy();
    us?.destroy();
    feed?.destroy();
  }
}
