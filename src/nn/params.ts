// Parameters of a model: one flat buffer each for weights, gradients and optimizer moments (views at
// 256-byte aligned offsets), initialised on the host with a seeded generator and uploaded once.
import { mulberry32 } from '../data/batch.ts';
import { upload, download, downloadMany } from '../gpu/runner.ts';
import { createStorageBuffer, FlatBuffer, type Tensor } from '../gpu/tensor.ts';
import type { Graph, Value } from './graph.ts';

export type Init =
  | { kind: 'zeros' }
  | { kind: 'const'; value: number }
  | { kind: 'uniform'; scale: number } // U(-scale, scale)
  | { kind: 'normal'; std: number }
  | { kind: 'glorot' }; // U(±sqrt(6 / (fanIn + fanOut))) with fan-in/out from a 2D shape

export interface ParamSpec {
  name: string;
  shape: readonly number[];
  init: Init;
}

export function initValues(spec: ParamSpec, rand: () => number): Float32Array {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  const init = spec.init;
  switch (init.kind) {
    case 'zeros':
      break;
    case 'const':
      out.fill(init.value);
      break;
    case 'uniform':
      for (let i = 0; i < n; i++) out[i] = (2 * rand() - 1) * init.scale;
      break;
    case 'normal':
      for (let i = 0; i < n; i += 2) {
        const r = Math.sqrt(-2 * Math.log(1 - rand()));
        const th = 2 * Math.PI * rand();
        out[i] = r * Math.cos(th) * init.std;
        if (i + 1 < n) out[i + 1] = r * Math.sin(th) * init.std;
      }
      break;
    case 'glorot': {
      const [fanIn, fanOut] = spec.shape.length === 2 ? spec.shape : [n, n];
      const s = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < n; i++) out[i] = (2 * rand() - 1) * s;
      break;
    }
  }
  return out;
}

export class ParamSet {
  readonly weights: FlatBuffer;
  readonly grads: FlatBuffer;
  /** First and second moments (Adam), or the mean square (RMSProp, in m); allocated by allocateMoments. */
  m?: FlatBuffer;
  v?: FlatBuffer;
  readonly byName: Map<string, number>;

  constructor(readonly device: GPUDevice, readonly specs: readonly ParamSpec[], label = 'params') {
    this.weights = new FlatBuffer(device, `${label}`, specs);
    this.grads = new FlatBuffer(device, `d${label}`, specs);
    this.byName = new Map(specs.map((s, i) => [s.name, i]));
  }

  get count(): number {
    return this.specs.reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0);
  }

  /** The GPU memory of weights, gradients, moments and the weights' backup together. */
  get bytes(): number {
    return [this.weights.buffer, this.grads.buffer, this.m?.buffer, this.v?.buffer, this.backup].reduce((n, b) => n + (b?.size ?? 0), 0);
  }

  weight(name: string): Tensor {
    return this.weights.views[this.index(name)];
  }

  grad(name: string): Tensor {
    return this.grads.views[this.index(name)];
  }

  private index(name: string): number {
    const i = this.byName.get(name);
    if (i === undefined) throw new Error(`no parameter ${name}`);
    return i;
  }

  /** Graph values for every parameter, by name. */
  values(g: Graph): Record<string, Value> {
    const out: Record<string, Value> = {};
    this.specs.forEach((s, i) => (out[s.name] = g.param(this.weights.views[i], this.grads.views[i])));
    return out;
  }

  initialize(seed: number): void {
    const rand = mulberry32(seed);
    this.specs.forEach((s, i) => upload(this.device, this.weights.views[i], initValues(s, rand)));
  }

  /** Allocates `count` moment buffers (Adam 2, RMSProp 1, SGD 0) and sets them: m to `mInit` (RMSProp's mean
   *  square starts at 1, as in TF), v to 0. */
  resetMoments(count: 0 | 1 | 2, mInit = 0): void {
    if (count >= 1) {
      this.m ??= new FlatBuffer(this.device, `${this.weights.whole.label}.m`, this.specs);
      upload(this.device, this.m.whole, new Float32Array(this.m.whole.size).fill(mInit));
    }
    if (count >= 2) {
      this.v ??= new FlatBuffer(this.device, `${this.weights.whole.label}.v`, this.specs);
      upload(this.device, this.v.whole, new Float32Array(this.v.whole.size));
    }
  }

  /** A copy of the weights kept on the GPU (made by the first saveBackup). */
  private backup?: GPUBuffer;

  /** Copies the weights to the backup on the GPU, queued after the work already submitted: nothing waits, nothing
   *  is read back. Sessions call it after an epoch that ended well. */
  saveBackup(): void {
    const size = this.weights.buffer.size;
    this.backup ??= createStorageBuffer(this.device, size, `${this.weights.whole.label}.backup`);
    const enc = this.device.createCommandEncoder({ label: 'save weights' });
    enc.copyBufferToBuffer(this.weights.buffer, 0, this.backup, 0, size);
    this.device.queue.submit([enc.finish()]);
  }

  /** Puts the last saveBackup's weights back (e.g. after the loss became NaN). False when none was saved. */
  restoreBackup(): boolean {
    if (!this.backup) return false;
    const enc = this.device.createCommandEncoder({ label: 'restore weights' });
    enc.copyBufferToBuffer(this.backup, 0, this.weights.buffer, 0, this.backup.size);
    this.device.queue.submit([enc.finish()]);
    return true;
  }

  destroy(): void {
    for (const f of [this.weights, this.grads, this.m, this.v]) f?.buffer.destroy();
    this.backup?.destroy();
  }

  set(name: string, values: Float32Array): void {
    upload(this.device, this.weight(name), values);
  }

  async get(name: string): Promise<Float32Array> {
    return download(this.device, this.weight(name));
  }

  async getGrad(name: string): Promise<Float32Array> {
    return download(this.device, this.grad(name));
  }

  /** Every weight by name (one readback). */
  async export(): Promise<Record<string, Float32Array>> {
    return (await this.exportState([], false)).weights;
  }

  /**
   * Every weight by name, the optimizer's moments and any `extra` tensors (a PTB run's carried state), read back
   * together: a checkpoint costs one readback.
   */
  async exportState(extra: readonly Tensor[] = [], withMoments = true): Promise<{ weights: Record<string, Float32Array>; moments: { m?: Float32Array; v?: Float32Array }; extra: Float32Array[] }> {
    const moments = withMoments ? [this.m?.whole, this.v?.whole].filter((t): t is Tensor => t !== undefined) : [];
    const got = await downloadMany(this.device, [...this.weights.views, ...moments, ...extra], `${this.weights.whole.label} state`);
    const weights: Record<string, Float32Array> = {};
    this.specs.forEach((s, i) => (weights[s.name] = got[i]!));
    let k = this.specs.length;
    const m = withMoments && this.m ? got[k++] : undefined;
    const v = withMoments && this.v ? got[k++] : undefined;
    return { weights, moments: { m, v }, extra: got.slice(k) };
  }

  importMoments(moments: { m?: Float32Array; v?: Float32Array }): void {
    for (const key of ['m', 'v'] as const) {
      const buf = this[key];
      const data = moments[key];
      if (!buf) {
        if (data) throw new Error(`moments: this optimizer keeps no ${key}`);
        continue;
      }
      if (!data || data.length !== buf.whole.size) throw new Error(`moments: ${key} missing or of the wrong size (${data?.length ?? 0} != ${buf.whole.size})`);
      upload(this.device, buf.whole, data);
    }
  }

  import(weights: Record<string, Float32Array>): void {
    for (const s of this.specs) {
      const w = weights[s.name];
      const n = s.shape.reduce((a, b) => a * b, 1);
      if (!w || w.length !== n) throw new Error(`weights: ${s.name} missing or of the wrong size (${w?.length ?? 0} != ${n})`);
      this.set(s.name, w);
    }
  }
}
