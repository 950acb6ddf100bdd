// softmax_xent and metrics_accumulate (shaders/softmax_xent.wgsl) against softmaxXent (src/reference/softmax.ts):
// per-row loss, dLogits with a scale, `correct` with ties (the first maximum wins, also across workgroup lanes),
// logits read at an element offset, rows longer than the workgroup (V = 1000 > 256), writeGrad off leaves
// dLogits alone, and the metrics sums with accumulate on and off (N = 300 rows > 256 for the strided sum).
import { describe, expect, it } from 'vitest';
import { Program } from '../src/gpu/program.ts';
import { mulberry32, randInts } from '../src/reference/random.ts';
import { softmaxXent } from '../src/reference/softmax.ts';
import { testDevice } from './gpu.ts';
import { TOL, expectClose, expectEqualArrays, randF32, read, runProgram, tensorOf } from './gpu-helpers.ts';

interface Case {
  name: string;
  N: number;
  V: number;
  offLogits: number;
  scale: number;
  /** rows [row, i, j, label]: logits[i] = logits[j] = the row's new maximum, with the given label */
  ties: [number, number, number, number][];
  writeGrad: boolean;
  accumulateMetrics: boolean;
}

const CASES: Case[] = [
  { name: 'V=11 with ties', N: 6, V: 11, offLogits: 13, scale: 1 / 6, ties: [[0, 2, 7, 7], [1, 2, 7, 2], [2, 0, 10, 0]], writeGrad: true, accumulateMetrics: true },
  { name: 'V=1000 (rows > workgroup), ties across and within lanes', N: 5, V: 1000, offLogits: 7, scale: 0.5, ties: [[0, 300, 700, 700], [1, 300, 700, 300], [2, 44, 300, 44], [3, 44, 300, 300]], writeGrad: true, accumulateMetrics: false },
  { name: 'N=300 V=3, writeGrad off', N: 300, V: 3, offLogits: 1, scale: 1, ties: [[5, 0, 1, 1]], writeGrad: false, accumulateMetrics: true },
  { name: 'N=300 V=3, writeGrad on, metrics overwritten', N: 300, V: 3, offLogits: 0, scale: 1 / 300, ties: [], writeGrad: true, accumulateMetrics: false },
];

describe('softmax_xent + metrics_accumulate vs softmaxXent', () => {
  CASES.forEach((c, ci) =>
    it(c.name, async () => {
      const device = await testDevice();
      const rand = mulberry32(500 + ci);
      const { N, V, offLogits } = c;
      const z = randF32(N * V, rand, -4, 4);
      const labels = randInts(N, rand, V);
      // make some rows predict their label (so `correct` has both values) ...
      for (let n = 0; n < N; n += 3) z[n * V + labels[n]!] = 6;
      // ... and the ties
      for (const [row, i, j, label] of c.ties) {
        z[row * V + i] = z[row * V + j] = 7.25;
        labels[row] = label;
      }
      const padded = new Float64Array(offLogits + N * V + 3).fill(99); // garbage around the slice
      padded.set(z, offLogits);
      const dl0 = randF32(N * V, rand);
      const metrics0 = [5.5, 2, 7, 0];

      const p = new Program(device, c.name);
      const logits = tensorOf(p, padded, 'logits');
      const lab = tensorOf(p, labels, 'labels');
      const loss = p.persistent([N], 'loss'), correct = p.persistent([N], 'correct');
      const dLogits = tensorOf(p, dl0, 'dLogits');
      const metrics = tensorOf(p, metrics0, 'metrics');
      const u = { N, V, offLogits, scale: c.scale, writeGrad: Number(c.writeGrad), accumulateMetrics: Number(c.accumulateMetrics) };
      p.dispatch('softmax_xent', u, { logits, labels: lab, loss, dLogits, correct }, [N]);
      p.dispatch('metrics_accumulate', u, { loss, correct, metrics }, [1]);
      await runProgram(p);

      const ref = softmaxXent(z, labels, N, V, c.scale);
      expectClose(await read(device, loss), ref.loss, TOL.kernel, 'loss');
      expectEqualArrays(await read(device, correct), Float64Array.from(ref.correct), 'correct');
      for (const [row, , , label] of c.ties) {
        // the first maximum wins: correct iff the label is the smaller tied index
        expect(ref.correct[row], `tie row ${row}`).toBe(label === Math.min(...c.ties.find((t) => t[0] === row)!.slice(1, 3)) ? 1 : 0);
      }
      expect(ref.correct.some((v) => v === 1) && ref.correct.some((v) => v === 0)).toBe(true);
      const gotDl = await read(device, dLogits);
      if (c.writeGrad) expectClose(gotDl, ref.dLogits, TOL.kernel, 'dLogits');
      else expectEqualArrays(gotDl, dl0, 'dLogits untouched when writeGrad = 0');

      const sumLoss = ref.loss.reduce((a, b) => a + b, 0);
      const sumCorrect = ref.correct.reduce((a, b) => a + b, 0);
      const base = c.accumulateMetrics ? metrics0 : [0, 0, 0, 0];
      const gotM = await read(device, metrics);
      expectClose(gotM.subarray(0, 1), [base[0]! + sumLoss], TOL.kernel, 'metrics[0] = Σ loss');
      expect(gotM[1]).toBe(base[1]! + sumCorrect);
      expect(gotM[2]).toBe(base[2]! + N);
      expect(gotM[3]).toBe(0);
    }),
  );
});
