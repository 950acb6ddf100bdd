// Clipping and the optimizers (shaders/optim.wgsl through src/nn/optim.ts over a ParamSet) against
// src/reference/optim.ts: SGD, Adam over 3 steps (so the bias correction changes every step), RMSProp (mean
// square starting at 1), each with clipping off, with a clip above the global norm (inactive) and below it
// (active); stats[0] is the global norm before clipping (when clipping; 0 without). Three parameters of odd sizes, one of them larger than
// a workgroup, at 256-byte aligned offsets in the flat buffers; the padding between them must stay 0.
import { describe, expect, it } from 'vitest';
import { Program } from '../src/gpu/program.ts';
import { submitPrograms, upload } from '../src/gpu/runner.ts';
import { Optimizer, type OptimizerKind } from '../src/nn/optim.ts';
import { ParamSet, type ParamSpec } from '../src/nn/params.ts';
import { adamStep, clipByGlobalNorm, globalNorm, rmspropStep, sgdStep } from '../src/reference/optim.ts';
import { mulberry32 } from '../src/reference/random.ts';
import { testDevice } from './gpu.ts';
import { TOL, expectClose, f32, randF32, read } from './gpu-helpers.ts';

const SPECS: ParamSpec[] = [
  { name: 'a', shape: [7, 5], init: { kind: 'zeros' } },
  { name: 'b', shape: [13], init: { kind: 'zeros' } },
  { name: 'c', shape: [37, 29], init: { kind: 'zeros' } },
];
const sizes = SPECS.map((s) => s.shape.reduce((x, y) => x * y, 1));
const STEPS = 3;

type Clip = 'off' | 'above norm' | 'below norm';

async function checkOptimizer(kind: OptimizerKind, clip: Clip, seed: number) {
  const device = await testDevice();
  const rand = mulberry32(seed);
  const lr = kind === 'sgd' ? 0.1 : 0.01;
  const w0 = sizes.map((n) => randF32(n, rand));
  // gradients of different magnitudes per step and parameter
  const grads = Array.from({ length: STEPS }, (_, s) => sizes.map((n, i) => randF32(n, rand, -0.5 * (i + 1), 0.5 * (i + 1)).map((v) => v / (s + 1))));
  const norms = grads.map((gs) => globalNorm(gs));
  const clipNorm = clip === 'off' ? undefined : clip === 'above norm' ? 2 * Math.max(...norms) : 0.5 * Math.min(...norms);

  const params = new ParamSet(device, SPECS, `params ${kind}`);
  SPECS.forEach((s, i) => params.set(s.name, f32(w0[i]!)));
  const p = new Program(device, `${kind} step`);
  const opt = new Optimizer(params, { kind, lr, clipNorm }, p);
  opt.record(p);
  const compiled = await p.compile();
  if (kind === 'rmsprop') {
    for (let i = 0; i < SPECS.length; i++) expect([...(await read(device, params.m!.views[i]!))].every((v) => v === 1), 'RMSProp ms starts at 1').toBe(true);
  }

  // reference state
  const w = w0.map((a) => a.slice());
  const m = sizes.map((n) => new Float64Array(n));
  const v = sizes.map((n) => new Float64Array(n));
  const ms = sizes.map((n) => new Float64Array(n).fill(1));
  for (let s = 0; s < STEPS; s++) {
    SPECS.forEach((spec, i) => upload(device, params.grad(spec.name), f32(grads[s]![i]!)));
    opt.prepareStep();
    submitPrograms(device, [compiled]);
    const g = clipNorm === undefined ? grads[s]! : clipByGlobalNorm(grads[s]!, clipNorm).grads;
    for (let i = 0; i < SPECS.length; i++) {
      if (kind === 'sgd') sgdStep(w[i]!, g[i]!, lr);
      else if (kind === 'adam') adamStep(w[i]!, g[i]!, m[i]!, v[i]!, s + 1, lr);
      else rmspropStep(w[i]!, g[i]!, ms[i]!, lr);
    }
    const what = `${kind} clip ${clip} step ${s + 1}`;
    expect(opt.step).toBe(s + 1);
    if (clipNorm === undefined) expect((await read(device, opt.stats))[0], `${what}: no norm computed without clipping`).toBe(0);
    else expectClose((await read(device, opt.stats)).subarray(0, 1), [norms[s]!], TOL.kernel, `${what}: stats[0] = global norm`);
    for (let i = 0; i < SPECS.length; i++) {
      const name = SPECS[i]!.name;
      expectClose(await read(device, params.weight(name)), w[i]!, TOL.chain, `${what}: ${name}`);
      if (kind === 'adam') {
        expectClose(await read(device, params.m!.views[i]!), m[i]!, TOL.chain, `${what}: m of ${name}`);
        expectClose(await read(device, params.v!.views[i]!), v[i]!, TOL.chain, `${what}: v of ${name}`);
      }
      if (kind === 'rmsprop') expectClose(await read(device, params.m!.views[i]!), ms[i]!, TOL.chain, `${what}: ms of ${name}`);
    }
  }
  // padding between the parameters of the flat buffer is never written
  const whole = await read(device, params.weights.whole);
  const inside = new Set<number>();
  params.weights.offsets.forEach((o, i) => { for (let k = 0; k < sizes[i]!; k++) inside.add(o + k); });
  const padding = [...whole.keys()].filter((k) => !inside.has(k));
  expect(padding.length).toBeGreaterThan(0);
  expect(padding.filter((k) => whole[k] !== 0)).toEqual([]);
  // the clip really was (in)active as intended
  if (clipNorm !== undefined) expect(norms.every((n) => (clip === 'below norm' ? n > clipNorm : n < clipNorm))).toBe(true);
}

describe('optimizer step over a ParamSet vs reference', () => {
  const kinds: OptimizerKind[] = ['sgd', 'adam', 'rmsprop'];
  const clips: Clip[] = ['off', 'above norm', 'below norm'];
  kinds.forEach((kind, ki) =>
    clips.forEach((clip, ci) => it(`${kind}, ${STEPS} steps, clipping ${clip}`, () => checkOptimizer(kind, clip, 600 + 10 * ki + ci))),
  );
});
