// A tiny LSTM trained on the GPU for a few hundred steps really learns: it must remember the first symbol of
// a sequence through four distractors (chance: loss ln 4 = 1.386, accuracy 25%).
import { describe, expect, it } from 'vitest';
import { Program } from '../src/gpu/program.ts';
import { download, submitPrograms, upload } from '../src/gpu/runner.ts';
import { classifierForward, classifierParams, type ClassifierConfig } from '../src/models/classifier.ts';
import { Graph } from '../src/nn/graph.ts';
import { softmaxXent } from '../src/nn/ops.ts';
import { Optimizer } from '../src/nn/optim.ts';
import { ParamSet } from '../src/nn/params.ts';
import { mulberry32 } from '../src/reference/random.ts';
import { testDevice } from './gpu.ts';

const STEPS = 300;
const LOSS_BOUND = 0.15;

describe('training on the GPU', () => {
  it(`an LSTM learns to recall the first of 5 symbols (mean loss of the last 20 steps < ${LOSS_BOUND})`, async () => {
    const device = await testDevice();
    const T = 5, B = 32, S = 4;
    const cfg: ClassifierConfig = { cell: 'lstm', hidden: 16, steps: T, inputSize: S, classes: S, forgetBias: 1 };
    const p = new Program(device, 'recall');
    const params = new ParamSet(device, classifierParams(cfg), 'recall');
    params.initialize(3);
    const opt = new Optimizer(params, { kind: 'adam', lr: 0.02 }, p);
    const metrics = p.persistent([4], 'metrics');
    const X = p.persistent([T * B, S], 'X');
    const labels = p.persistent([B], 'labels', 'u32');
    const g = new Graph(p);
    const { logits } = classifierForward(g, params.values(g), g.value(X), cfg, B);
    g.apply(softmaxXent, [logits, g.value(labels)], { scale: 1 / B, metrics, train: true, accumulateMetrics: false });
    g.backward();
    opt.record(p);
    const step = await p.compile();
    const rand = mulberry32(11);
    const losses: number[] = [];
    for (let s = 0; s < STEPS; s++) {
      const x = new Float32Array(T * B * S);
      const y = new Uint32Array(B);
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < T; t++) {
          const sym = Math.floor(rand() * S);
          x[(t * B + b) * S + sym] = 1;
          if (t === 0) y[b] = sym;
        }
      }
      upload(device, X, x);
      upload(device, labels, y);
      opt.prepareStep();
      submitPrograms(device, [step]);
      if (s >= STEPS - 20 || s < 5) {
        const m = await download(device, metrics);
        losses.push(m[0] / m[2]);
      }
    }
    const first = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
    const last = losses.slice(5).reduce((a, b) => a + b) / 20;
    expect(first).toBeGreaterThan(1.2); // starts near chance
    expect(last).toBeLessThan(LOSS_BOUND);
  });
});
