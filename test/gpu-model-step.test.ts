// A whole training step on the GPU — two stacked LSTMs, a linear head on the last hidden state, softmax
// cross-entropy (mean over the batch: scale 1/B), backward, global-norm clipping (active) and Adam — built
// directly from Graph + ops + ParamSet + Optimizer, against refLstmClassifierStep (src/reference/model.ts) from
// the same initial weights: the loss and accuracy, the gradient of every parameter, the global norm and the
// parameters after the update, for two consecutive steps on two different batches.
import { describe, expect, it } from 'vitest';
import { Program } from '../src/gpu/program.ts';
import { submitPrograms, upload } from '../src/gpu/runner.ts';
import { Graph } from '../src/nn/graph.ts';
import { linear, lstm, softmaxXent } from '../src/nn/ops.ts';
import { Optimizer } from '../src/nn/optim.ts';
import { ParamSet, type ParamSpec } from '../src/nn/params.ts';
import { paramList, refLstmClassifierStep, type ClassifierConfig, type LstmClassifierParams } from '../src/reference/model.ts';
import { globalNorm } from '../src/reference/optim.ts';
import { mulberry32, randInts } from '../src/reference/random.ts';
import { testDevice } from './gpu.ts';
import { TOL, expectClose, f32, randF32, read } from './gpu-helpers.ts';

const T = 5, B = 3, I = 4, H = 7, V = 11, G4 = 4 * H, N = T * B;

describe('two-layer LSTM classifier training step vs refLstmClassifierStep', () => {
  it('loss, every gradient, the norm and the Adam update (clipping active), two steps', async () => {
    const device = await testDevice();
    const rand = mulberry32(2718);
    // names in the reference's flat order (paramList): Wx, Wh, b per layer, then Wy, by
    const specs: ParamSpec[] = [
      { name: 'Wx0', shape: [I, G4], init: { kind: 'zeros' } },
      { name: 'Wh0', shape: [H, G4], init: { kind: 'zeros' } },
      { name: 'b0', shape: [G4], init: { kind: 'zeros' } },
      { name: 'Wx1', shape: [H, G4], init: { kind: 'zeros' } },
      { name: 'Wh1', shape: [H, G4], init: { kind: 'zeros' } },
      { name: 'b1', shape: [G4], init: { kind: 'zeros' } },
      { name: 'Wy', shape: [H, V], init: { kind: 'zeros' } },
      { name: 'by', shape: [V], init: { kind: 'zeros' } },
    ];
    const init = specs.map((s) => randF32(s.shape.reduce((a, b) => a * b, 1), rand, -0.5, 0.5));
    const refParams: LstmClassifierParams = {
      layers: [0, 1].map((l) => ({ Wx: init[3 * l]!, Wh: init[3 * l + 1]!, b: init[3 * l + 2]! })),
      Wy: init[6]!,
      by: init[7]!,
    };
    const batches = [0, 1].map(() => ({ x: randF32(N * I, rand), labels: randInts(B, rand, V) }));

    // the reference, two steps; the clip is half the first step's gradient norm, so clipping is active
    const cfg0: ClassifierConfig = { T, B, I, H, V, forgetBias: 1, optimizer: 'adam', lr: 0.01, clipNorm: null };
    const norm1 = globalNorm(paramList(refLstmClassifierStep(refParams, batches[0]!, cfg0).grads));
    const cfg: ClassifierConfig = { ...cfg0, clipNorm: 0.5 * norm1 };
    const ref1 = refLstmClassifierStep(refParams, batches[0]!, cfg);
    const ref2 = refLstmClassifierStep(ref1.params, batches[1]!, cfg, ref1.state);
    const refs = [ref1, ref2];

    // the GPU step
    const params = new ParamSet(device, specs, 'model');
    specs.forEach((s, i) => params.set(s.name, f32(init[i]!)));
    const p = new Program(device, 'train step');
    const g = new Graph(p);
    const pv = params.values(g);
    const x = p.persistent([N, I], 'x');
    const labels = p.persistent([B], 'labels', 'u32');
    const metrics = p.persistent([4], 'metrics');
    const [hs0] = g.apply(lstm, [g.value(x), pv.Wx0!, pv.Wh0!, pv.b0!], { T, B, I, H, forgetBias: 1 });
    const [, hLast] = g.apply(lstm, [hs0!, pv.Wx1!, pv.Wh1!, pv.b1!], { T, B, I: H, H, forgetBias: 1 });
    const [logits] = g.apply(linear, [hLast!, pv.Wy!, pv.by!], { rows: B, inDim: H, outDim: V });
    g.apply(softmaxXent, [logits!, g.value(labels)], { scale: 1 / B, metrics, train: true, accumulateMetrics: false });
    g.backward();
    expect(g.missingGrads(Object.values(pv))).toEqual([]);
    const opt = new Optimizer(params, { kind: 'adam', lr: cfg.lr, clipNorm: cfg.clipNorm! }, p);
    opt.record(p);
    const compiled = await p.compile();

    for (let s = 0; s < 2; s++) {
      const ref = refs[s]!;
      const what = `step ${s + 1}`;
      upload(device, x, f32(batches[s]!.x));
      upload(device, labels, batches[s]!.labels);
      opt.prepareStep();
      submitPrograms(device, [compiled]);

      const m = await read(device, metrics);
      expectClose([m[0]! / B], [ref.loss], TOL.chain, `${what}: mean loss`);
      expect(m[1], `${what}: correct`).toBe(ref.correct);
      expect(m[2]).toBe(B);
      const refGrads = paramList(ref.grads);
      const norm = globalNorm(refGrads);
      expectClose((await read(device, opt.stats)).subarray(0, 1), [norm], TOL.chain, `${what}: global norm`);
      if (s === 0) expect(norm).toBeGreaterThan(cfg.clipNorm!); // clipping is active
      const refAfter = paramList(ref.params);
      for (let i = 0; i < specs.length; i++) {
        const name = specs[i]!.name;
        expectClose(await read(device, params.grad(name)), refGrads[i]!, TOL.chain, `${what}: d${name}`);
        expectClose(await read(device, params.weight(name)), refAfter[i]!, TOL.chain, `${what}: ${name} after the update`);
      }
    }
    // the update moved every parameter (not a vacuous comparison of unchanged weights)
    const after = paramList(ref2.params);
    init.forEach((w0, i) => expect(w0.every((v, k) => v !== after[i]![k])).toBe(true));
  });
});
