// The LSTM step-kernel tuner (src/nn/tune.ts) and the per-device choices it keeps (src/nn/kernelChoice.ts): it times
// both variants and keeps the faster per shape, the op records what is set, sessions tune their shapes only where
// tuning is enabled (real GPUs) and reuse a shape's measurement. Both variants' results: gpu-lstm.test.ts.
import { describe, expect, it } from 'vitest';
import { defaultMnistConfig, MnistSession } from '../src/engine/mnist.ts';
import { Program } from '../src/gpu/program.ts';
import { Graph } from '../src/nn/graph.ts';
import { clearLstmKernels, enableKernelTuning, enableKernelTuningOnGpu, kernelTuningEnabled, lstmKernels, setLstmKernels, type LstmKernels } from '../src/nn/kernelChoice.ts';
import { lstm } from '../src/nn/ops.ts';
import { tuneLstm } from '../src/nn/tune.ts';
import { testDevice } from './gpu.ts';
import { seedGrads } from './gpu-helpers.ts';

const I = 4;

describe('tuneLstm', () => {
  it('times both variants, keeps the faster for that device and shape, and the op records it', async () => {
    const device = await testDevice();
    clearLstmKernels(device);
    try {
      const B = 8, H = 16;
      expect(lstmKernels(device, B, H)).toEqual({ forwardRows: false, backwardRows: false });
      const t = await tuneLstm(device, B, H, { steps: 2, reps: 3, submits: 1 });
      for (const m of [t.forward!, t.backward!]) {
        for (const ms of [m.rows, m.tiles]) expect(ms).toBeGreaterThan(0);
      }
      expect(t.chosen).toEqual({ forwardRows: t.forward!.rows < t.forward!.tiles, backwardRows: t.backward!.rows < t.backward!.tiles });
      expect(lstmKernels(device, B, H)).toEqual(t.chosen);
      expect(lstmKernels(device, B, H + 1)).toEqual({ forwardRows: false, backwardRows: false }); // per shape
      // under batch 4 there is one variant: nothing is timed
      const small = await tuneLstm(device, 2, H);
      expect(small.forward).toBeNull();
      expect(small.chosen).toEqual({ forwardRows: true, backwardRows: true });
      // the op records what is set: the tiled backward adds the transpose of Wh
      const dispatches = (k: LstmKernels) => {
        setLstmKernels(device, B, H, k);
        const p = new Program(device, 'count');
        const g = new Graph(p);
        const w = (shape: number[]) => g.param(p.persistent(shape, 'w'), p.persistent(shape, 'dw'));
        const [hs] = g.apply(lstm, [w([2 * B, I]), w([I, 4 * H]), w([H, 4 * H]), w([4 * H])], { T: 2, B, I, H, forgetBias: 1 });
        g.apply(seedGrads, [hs!], { grads: [p.persistent([2 * B, H], 'dHs')] });
        g.backward();
        return p.dispatchCount;
      };
      expect(dispatches({ forwardRows: false, backwardRows: false }) - dispatches({ forwardRows: false, backwardRows: true })).toBe(1);
    } finally {
      clearLstmKernels(device);
    }
  });
});

describe('sessions and tuning', () => {
  it('tune their LSTM shapes only where enabled, once per device and shape', async () => {
    const device = await testDevice();
    clearLstmKernels(device);
    try {
      const cfg = defaultMnistConfig('lstm');
      cfg.batch = 8;
      cfg.model.hidden = 16;
      // a fallback adapter (this one) leaves tuning off: the default rule, nothing timed
      expect(enableKernelTuningOnGpu({ device, adapterInfo: { isFallbackAdapter: true } })).toBe(false);
      expect(kernelTuningEnabled(device)).toBe(false);
      expect((await MnistSession.create(device, null, cfg)).kernelTimings).toEqual([]);
      enableKernelTuning(device);
      const a = await MnistSession.create(device, null, cfg);
      expect(a.kernelTimings.map((t) => [t.B, t.H])).toEqual([[8, 16], [cfg.evalBatch, 16]]);
      const t0 = a.kernelTimings[0]!;
      setLstmKernels(device, 8, 16, { forwardRows: !t0.chosen.forwardRows, backwardRows: !t0.chosen.backwardRows }); // e.g. the gradient check's forcing
      const b = await MnistSession.create(device, null, cfg);
      expect(b.kernelTimings[0]).toBe(t0); // measured once per device and shape ...
      expect(lstmKernels(device, 8, 16)).toEqual(t0.chosen); // ... and its choice applied again
      for (const t of a.kernelTimings) expect(lstmKernels(device, t.B, t.H)).toEqual(t.chosen);
    } finally {
      clearLstmKernels(device);
    }
  });
});
