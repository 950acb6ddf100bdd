// A Program is a recorded, fixed list of dispatches (a training step, an evaluation batch, ...).
// Recording names kernels and tensors; compile() plans the transient tensors by lifetime (tensors whose
// lifetimes do not overlap share a GPU buffer), creates every pipeline, uniform slot and bind group once,
// and afterwards encode() replays the dispatches into a compute pass with no allocation at all.
// The Program knows no model: ops in src/nn record into it.
import { KERNELS, type KernelName, type KernelSpec } from './kernels.ts';
import { type DType, type Tensor, alignTo, checkStorageFits, createPersistent, createStorageBuffer, makeTensor } from './tensor.ts';
import { GpuError } from './errors.ts';
import { withErrorScopes } from './device.ts';

export type Grid = readonly [number, number?, number?];

interface Dispatch {
  kernel: KernelName;
  uniforms: Record<string, number>;
  bindings: Record<string, Tensor>;
  grid: Grid;
  label: string;
}

const UNIFORM_SLOT = 256;

/** Pipelines are created once per device and kernel, and shared by every program. */
const pipelineCache = new WeakMap<GPUDevice, Map<KernelName, Promise<{ pipeline: GPUComputePipeline; layout: GPUBindGroupLayout }>>>();

export function getPipeline(device: GPUDevice, name: KernelName) {
  let perDevice = pipelineCache.get(device);
  if (!perDevice) pipelineCache.set(device, (perDevice = new Map()));
  let entry = perDevice.get(name);
  if (!entry) {
    entry = createPipeline(device, name, KERNELS[name]);
    perDevice.set(name, entry);
  }
  return entry;
}

const moduleCache = new WeakMap<GPUDevice, Map<string, GPUShaderModule>>();

function shaderModule(device: GPUDevice, source: string, label: string): GPUShaderModule {
  let perDevice = moduleCache.get(device);
  if (!perDevice) moduleCache.set(device, (perDevice = new Map()));
  let m = perDevice.get(source);
  if (!m) {
    m = device.createShaderModule({ label, code: source });
    perDevice.set(source, m);
  }
  return m;
}

// Dawn's Node binding (webgpu 0.6) crashes the process in createComputePipelineAsync for some shaders on
// SwiftShader; in Node pipelines are created synchronously (still once, up front).
const ASYNC_PIPELINES = !(globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;

async function createPipeline(device: GPUDevice, name: KernelName, spec: KernelSpec) {
  const layout = device.createBindGroupLayout({
    label: `${name} layout`,
    entries: [
      { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } },
      ...spec.bindings.map(([, slot, access]) => ({
        binding: slot,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: access === 'rw' ? ('storage' as const) : ('read-only-storage' as const) },
      })),
    ],
  });
  let module: GPUShaderModule | undefined;
  try {
    const describe = (m: GPUShaderModule): GPUComputePipelineDescriptor => ({
      label: name,
      layout: device.createPipelineLayout({ label: `${name} pipeline layout`, bindGroupLayouts: [layout] }),
      compute: { module: m, entryPoint: spec.entry, constants: spec.constants ? { ...spec.constants } : undefined },
    });
    const pipeline = ASYNC_PIPELINES
      ? await device.createComputePipelineAsync(describe((module = shaderModule(device, spec.source, name))))
      : await withErrorScopes(device, `kernel ${name}`, () => device.createComputePipeline(describe((module = shaderModule(device, spec.source, name)))));
    return { pipeline, layout };
  } catch (e) {
    const info = await module?.getCompilationInfo?.();
    const msgs = info?.messages.map((m) => `${m.lineNum}:${m.linePos} ${m.type}: ${m.message}`).join('\n') ?? '';
    throw new GpuError('validation', `kernel ${name}: pipeline creation failed: ${(e as Error).message}\n${msgs}`);
  }
}

export class Program {
  private readonly dispatches: Dispatch[] = [];
  private compiled?: CompiledProgram;

  constructor(readonly device: GPUDevice, readonly label: string) {}

  /** A tensor that lives within this program only; its memory is planned by lifetime at compile(). */
  transient(shape: readonly number[], label: string, dtype: DType = 'f32'): Tensor {
    return makeTensor({ label, shape, dtype, kind: 'transient', owner: this });
  }

  private readonly kept = new Set<Tensor>();

  /** Gives a transient its own buffer, so the host can read it after a run (e.g. hidden states to display). */
  keep(t: Tensor): Tensor {
    if (t.kind === 'transient') this.kept.add(t);
    return t;
  }

  /** Persistent tensors made through this program: freed with it. */
  private readonly owned: Tensor[] = [];

  /** A tensor that keeps its contents between runs (state carried across steps, outputs read by the host). It
   *  belongs to this program: destroy() frees it (a program used only as a factory of such tensors too). */
  persistent(shape: readonly number[], label: string, dtype: DType = 'f32'): Tensor {
    const t = createPersistent(this.device, shape, label, dtype);
    this.owned.push(t);
    return t;
  }

  /** Bytes of the persistent tensors made through this program. */
  get ownedBytes(): number {
    return this.owned.reduce((n, t) => n + (t.buffer?.size ?? 0), 0);
  }

  /** Frees every buffer this program made: its persistent tensors and, once compiled, its transients and uniforms. */
  destroy(): void {
    for (const t of this.owned) t.buffer?.destroy();
    this.compiled?.destroy();
  }

  dispatch(kernel: KernelName, uniforms: Record<string, number>, bindings: Record<string, Tensor>, grid: Grid, label: string = kernel): void {
    if (this.compiled) throw new Error(`program ${this.label}: already compiled`);
    const spec: KernelSpec = KERNELS[kernel];
    for (const [name] of spec.uniforms) {
      const v = uniforms[name];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${label}: uniform ${name} missing or not finite (${v})`);
    }
    for (const [name] of spec.bindings) {
      const t = bindings[name];
      if (!t) throw new Error(`${label}: binding ${name} missing`);
      if (t.kind === 'transient' && t.owner !== this) throw new Error(`${label}: transient ${t.label} belongs to another program`);
    }
    for (const name of Object.keys(bindings)) {
      if (!spec.bindings.some(([n]) => n === name)) throw new Error(`${label}: kernel ${kernel} has no binding ${name}`);
    }
    const [x, y = 1, z = 1] = grid;
    if (x < 1 || y < 1 || z < 1) return; // nothing to do (an empty range)
    this.dispatches.push({ kernel, uniforms: { ...uniforms }, bindings: { ...bindings }, grid: [x, y, z], label });
  }

  get dispatchCount(): number {
    return this.dispatches.length;
  }

  /** Plans the transients, creates the pipelines, uniforms and bind groups. When that fails (e.g. a buffer too big
   *  for the device) the program's own persistent tensors are freed too. */
  async compile(): Promise<CompiledProgram> {
    if (this.compiled) return this.compiled;
    try {
      return await this.build();
    } catch (e) {
      this.destroy();
      throw e;
    }
  }

  private async build(): Promise<CompiledProgram> {
    const device = this.device;
    const kernels = [...new Set(this.dispatches.map((d) => d.kernel))];
    const pipelines = new Map(await Promise.all(kernels.map(async (k) => [k, await getPipeline(device, k)] as const)));
    const transients = planTransients(device, this.label, this.dispatches, this.kept);
    const uniformBuffer = device.createBuffer({
      label: `${this.label} uniforms`,
      size: Math.max(1, this.dispatches.length) * UNIFORM_SLOT,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    const uniformData = new ArrayBuffer(Math.max(1, this.dispatches.length) * UNIFORM_SLOT);
    const steps = this.dispatches.map((d, i) => {
      const spec: KernelSpec = KERNELS[d.kernel];
      writeUniforms(uniformData, i * UNIFORM_SLOT, spec, d.uniforms);
      const { pipeline, layout } = pipelines.get(d.kernel)!;
      const bindGroup = device.createBindGroup({
        label: d.label,
        layout,
        entries: [
          { binding: 0, resource: { buffer: uniformBuffer, offset: i * UNIFORM_SLOT, size: UNIFORM_SLOT } },
          ...spec.bindings.map(([name, slot]) => {
            const t = d.bindings[name];
            return { binding: slot, resource: { buffer: t.buffer!, offset: t.byteOffset, size: alignTo(t.size * 4, 4) } };
          }),
        ],
      });
      return { pipeline, bindGroup, grid: d.grid as [number, number, number], label: d.label };
    });
    device.queue.writeBuffer(uniformBuffer, 0, uniformData);
    this.compiled = new CompiledProgram(this.label, steps, transients, [uniformBuffer, ...this.owned.map((t) => t.buffer!)]);
    return this.compiled;
  }
}

function writeUniforms(data: ArrayBuffer, offset: number, spec: KernelSpec, values: Record<string, number>) {
  const view = new DataView(data, offset, UNIFORM_SLOT);
  spec.uniforms.forEach(([name, type], i) => {
    const v = values[name];
    if (type === 'f32') view.setFloat32(i * 4, v, true);
    else if (type === 'i32') view.setInt32(i * 4, v, true);
    else view.setUint32(i * 4, v, true);
  });
}

/**
 * Lifetime planning: each transient lives from its first to its last dispatch. Walking the tensors in order of
 * first use, a tensor takes a pooled buffer whose previous tenants all died before it is born (the smallest
 * that fits, else the largest free one, grown). Every buffer is checked against the device's limits before any
 * is created. Returns the buffers.
 */
function planTransients(device: GPUDevice, label: string, dispatches: Dispatch[], kept: Set<Tensor>): GPUBuffer[] {
  const first = new Map<Tensor, number>();
  const last = new Map<Tensor, number>();
  dispatches.forEach((d, i) => {
    for (const t of Object.values(d.bindings)) {
      if (t.kind !== 'transient') continue;
      if (!first.has(t)) first.set(t, i);
      last.set(t, i);
    }
  });
  const tensors = [...first.keys()].sort((a, b) => first.get(a)! - first.get(b)! || b.size - a.size);
  const pool: { bytes: number; freeAfter: number; tenants: Tensor[] }[] = [];
  for (const t of tensors) {
    const bytes = alignTo(t.size * 4, 16);
    const born = first.get(t)!;
    const free = kept.has(t) ? [] : pool.filter((p) => p.freeAfter < born);
    const fitting = free.filter((p) => p.bytes >= bytes).sort((a, b) => a.bytes - b.bytes);
    let slot = fitting[0] ?? free.sort((a, b) => b.bytes - a.bytes)[0];
    if (!slot) pool.push((slot = { bytes, freeAfter: -1, tenants: [] }));
    slot.bytes = Math.max(slot.bytes, bytes);
    slot.freeAfter = kept.has(t) ? Infinity : last.get(t)!;
    slot.tenants.push(t);
  }
  // the largest tenant names the buffer in a too-big message (e.g. "mnist train step: XW [3584, 512]")
  const named = (p: (typeof pool)[number]) => {
    const t = p.tenants.reduce((a, b) => (b.size > a.size ? b : a));
    return `${label}: ${t.label} [${t.shape.join(', ')}]`;
  };
  for (const p of pool) checkStorageFits(device, p.bytes, named(p));
  return pool.map((p, i) => {
    const buffer = createStorageBuffer(device, p.bytes, `${label} transient ${i}`);
    for (const t of p.tenants) {
      t.buffer = buffer;
      t.byteOffset = 0;
    }
    return buffer;
  });
}

export class CompiledProgram {
  /** Bytes of the buffers planned for the transients. */
  readonly transientBytes: number;

  constructor(
    readonly label: string,
    private readonly steps: { pipeline: GPUComputePipeline; bindGroup: GPUBindGroup; grid: [number, number, number]; label: string }[],
    private readonly transients: GPUBuffer[],
    /** The program's other buffers: its uniforms and the persistent tensors it made. */
    private readonly others: GPUBuffer[],
  ) {
    this.transientBytes = transients.reduce((n, b) => n + b.size, 0);
  }

  /** Bytes of every buffer the program made (transients, uniforms, its own persistent tensors). */
  get bytes(): number {
    return [...this.transients, ...this.others].reduce((n, b) => n + b.size, 0);
  }

  /** Frees every buffer the program made (transients, uniforms, the persistent tensors it made; not those of
   *  others, such as parameters). The program must not run again. */
  destroy(): void {
    for (const b of [...this.transients, ...this.others]) b.destroy();
  }

  get dispatchCount(): number {
    return this.steps.length;
  }

  /** Runs each dispatch alone and waits for it: wall time per kernel, for benchmarks (never in training). */
  async profile(device: GPUDevice): Promise<Map<string, { ms: number; count: number }>> {
    const out = new Map<string, { ms: number; count: number }>();
    for (const s of this.steps) {
      const enc = device.createCommandEncoder();
      const pass = enc.beginComputePass();
      pass.setPipeline(s.pipeline);
      pass.setBindGroup(0, s.bindGroup);
      pass.dispatchWorkgroups(s.grid[0], s.grid[1], s.grid[2]);
      pass.end();
      const t0 = performance.now();
      device.queue.submit([enc.finish()]);
      await device.queue.onSubmittedWorkDone();
      const ms = performance.now() - t0;
      const key = s.pipeline.label;
      const e = out.get(key) ?? { ms: 0, count: 0 };
      e.ms += ms;
      e.count++;
      out.set(key, e);
    }
    return out;
  }

  /** Records every dispatch into an open compute pass. */
  encode(pass: GPUComputePassEncoder): void {
    let current: GPUComputePipeline | undefined;
    for (const s of this.steps) {
      if (s.pipeline !== current) pass.setPipeline((current = s.pipeline));
      pass.setBindGroup(0, s.bindGroup);
      pass.dispatchWorkgroups(s.grid[0], s.grid[1], s.grid[2]);
    }
  }
}

/** Workgroups for n items, folded into 2D when n exceeds the per-dimension limit. */
export function grid1d(n: number, perGroup: number, maxPerDim = 65535): Grid {
  const groups = Math.ceil(n / perGroup);
  if (groups <= maxPerDim) return [groups];
  return [maxPerDim, Math.ceil(groups / maxPerDim)];
}
