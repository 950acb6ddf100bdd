// Shared by the gpu-*.test.ts files: the ONE tolerance table, the comparison, and small utilities to feed
// tensors in and read them back.
import { expect } from 'vitest';
import { Program, grid1d } from '../src/gpu/program.ts';
import { download, downloadU32, submitPrograms, upload } from '../src/gpu/runner.ts';
import type { Tensor } from '../src/gpu/tensor.ts';
import type { Graph, OpDef } from '../src/nn/graph.ts';
import { uniform, type Rand } from '../src/reference/random.ts';
import { maxRelErr } from './gpu.ts';

/**
 * Tolerances of GPU f32 results against the f64 CPU reference (or against another f32 computation).
 * An array passes when for every element i
 *     |got_i - want_i| / max(|want_i|, floor · max_k |want_k|)  <=  rel
 * i.e. a relative error, where elements smaller than `floor` times the array's largest magnitude are held to an
 * absolute error of rel · floor · max|want| (a pure ratio there only measures cancellation). The reference is
 * always fed the f32-rounded inputs the GPU saw, so only the GPU's own arithmetic is measured.
 * Integer results (ids, masks, argmax, labels) and pure copies (gathers) are compared exactly, not through this table.
 */
export const TOL = {
  /** Results a few roundings away from the reference (a division, a scale, one addition): 16 ulps relative, and
   *  4 ulps of max|want| absolute for elements below a quarter of it (where an addition may cancel). */
  ulp: { rel: 1e-6, floor: 0.25 },
  /** One kernel: dot products of up to ~130 terms, exp/log, reductions. */
  kernel: { rel: 1e-4, floor: 2e-2 },
  /** Chains of kernels: a recurrence over T steps and its backward, a whole training step, optimizer steps. */
  chain: { rel: 3e-4, floor: 1e-2 },
  /** Two f32 computations of the same quantity in different summation orders (fused vs composed kernels):
   *  floor 1 makes this an absolute error relative to the largest value, i.e. ~16 ulps of max|want|. */
  order: { rel: 2e-6, floor: 1 },
} as const;

export type Tol = { readonly rel: number; readonly floor: number };

/** The error measure of TOL (see above). */
export function tolErr(got: ArrayLike<number>, want: ArrayLike<number>, tol: Tol): number {
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  return maxRelErr(got, want, Math.max(tol.floor * scale, 1e-30));
}

/** GPU_TEST_VERBOSE=1 prints every comparison's error (to see the margins under the table). */
const VERBOSE = !!process.env.GPU_TEST_VERBOSE;

/** Asserts got ≈ want within `tol`; also guards against vacuous comparisons (an all-zero reference). */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: Tol, what: string): number {
  expect(got.length, `${what}: length`).toBe(want.length);
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  expect(scale, `${what}: the reference is all zero (a vacuous check)`).toBeGreaterThan(0);
  const err = tolErr(got, want, tol);
  if (VERBOSE) {
    let absMax = 0;
    for (let i = 0; i < want.length; i++) absMax = Math.max(absMax, Math.abs(got[i]! - want[i]!));
    console.log(`${what}: err ${err.toExponential(2)} (rel ${tol.rel}); max |diff| ${absMax.toExponential(2)}, max |want| ${scale.toPrecision(3)}`);
  }
  if (!(err <= tol.rel)) {
    // name the worst element for the failure message
    const floor = tol.floor * scale;
    let wi = 0, we = -1;
    for (let i = 0; i < want.length; i++) {
      const e = Number.isFinite(got[i]!) ? Math.abs(got[i]! - want[i]!) / Math.max(floor, Math.abs(want[i]!)) : Infinity;
      if (e > we) (we = e), (wi = i);
    }
    expect.fail(`${what}: error ${err} > ${tol.rel} (worst at [${wi}]: got ${got[wi]}, want ${want[wi]})`);
  }
  return err;
}

/** Exact equality of two integer (or bit-identical float) arrays, with the first mismatch in the message. */
export function expectEqualArrays(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) expect.fail(`${what}: [${i}] got ${got[i]}, want ${want[i]}`);
  }
}

/** n values uniform in [lo, hi), rounded to f32 (so the reference sees exactly what the GPU sees). */
export function randF32(n: number, rand: Rand, lo = -1, hi = 1): Float64Array {
  return Float64Array.from(Float32Array.from(uniform(n, rand, lo, hi)));
}

export const f32 = (a: ArrayLike<number>): Float32Array => Float32Array.from(a);
export const f64 = (a: ArrayLike<number>): Float64Array => Float64Array.from(a);

/** A persistent tensor holding `data` (f32 unless `data` is a Uint32Array). */
export function tensorOf(p: Program, data: ArrayLike<number>, label: string, shape: readonly number[] = [data.length]): Tensor {
  const isU32 = data instanceof Uint32Array;
  const t = p.persistent(shape, label, isU32 ? 'u32' : 'f32');
  upload(p.device, t, isU32 ? data : Float32Array.from(data));
  return t;
}

export async function read(device: GPUDevice, t: Tensor): Promise<Float64Array> {
  return Float64Array.from(await download(device, t));
}

export async function readU32(device: GPUDevice, t: Tensor): Promise<Uint32Array> {
  return downloadU32(device, t);
}

/** Compiles a program and submits it once. */
export async function runProgram(p: Program): Promise<void> {
  submitPrograms(p.device, [await p.compile()]);
}

const copySeeds = new WeakMap<Program, Tensor>();

/**
 * Records an exact copy of `n` elements of `src` starting at element `offset` into a new persistent tensor, so
 * transient tensors (an op's saved state, its outputs) can be read after the run. Uses dropout_forward with
 * keep = 1: every hash value is < 1, so every element is kept and divided by 1.0 (exact; checked in
 * gpu-embedding-dropout.test.ts). Record it after everything else so the copy sees the final contents.
 */
export function copyOut(p: Program, src: Tensor, label: string, offset = 0, n = src.size - offset): Tensor {
  let seed = copySeeds.get(p);
  if (!seed) copySeeds.set(p, (seed = tensorOf(p, new Uint32Array([12345]), 'copy seed')));
  const dst = p.persistent([n], label);
  p.dispatch('dropout_forward', { n, layer: 0, offX: offset, keep: 1, accumulate: 0 }, { x: src, y: dst, stepSeed: seed }, grid1d(n, 64), `copy ${label}`);
  return dst;
}

/**
 * A test-only loss: seeds the gradients of its inputs with given tensors (dL/dinput_i = grads[i]), so an op's
 * backward can be driven by arbitrary upstream gradients. Records no forward dispatch.
 */
export const seedGrads: OpDef<{ grads: readonly (Tensor | null)[] }> & { seedsGradient: true } = {
  name: 'seedGrads',
  seedsGradient: true,
  forward() {
    return { outputs: [] };
  },
  backward(g, node) {
    node.inputs.forEach((v, i) => {
      const t = node.attrs.grads[i];
      if (t) g.provideGrad(v, t);
    });
  },
};

/** Wraps an op so the tensors its forward saves for backward (e.g. the LSTM's Hs, Cs, G) can be reached. */
export function capturing<A>(op: OpDef<A>): { op: OpDef<A>; saved: Record<string, Tensor>[] } {
  const saved: Record<string, Tensor>[] = [];
  return {
    saved,
    op: {
      ...op,
      forward(g: Graph, inputs, attrs) {
        const r = op.forward(g, inputs, attrs);
        saved.push(r.saved ?? {});
        return r;
      },
    },
  };
}
