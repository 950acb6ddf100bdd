// Checks of the f64 CPU reference (src/reference): forward values against hand / naive computations, every backward
// against central differences of L = Σ r_i y_i with random r, hash against BigInt and Python-computed constants.
import { describe, expect, it } from 'vitest';
import { dropoutBackward, dropoutForward, dropoutMask } from '../src/reference/dropout.ts';
import { embeddingBackward, embeddingForward } from '../src/reference/embedding.ts';
import { dot, maxRelError, numericGrad, numericGrad5 } from '../src/reference/gradcheck.ts';
import { hashUniform, pcgHash } from '../src/reference/hash.ts';
import { lstmBackward, lstmForward } from '../src/reference/lstm.ts';
import { addBias, colSum, matmul, matmulBackward } from '../src/reference/matmul.ts';
import {
  initOptimizerState,
  paramList,
  refLstmClassifierStep,
  refLstmLmStep,
  type ClassifierConfig,
  type LmConfig,
  type LstmClassifierParams,
  type LstmLmParams,
} from '../src/reference/model.ts';
import { adamStep, clipByGlobalNorm, globalNorm, rmspropStep, sgdStep } from '../src/reference/optim.ts';
import { mulberry32, randInts, randn, uniform } from '../src/reference/random.ts';
import { rnnBackward, rnnForward } from '../src/reference/rnn.ts';
import { argmaxRows, softmaxRows, softmaxXent } from '../src/reference/softmax.ts';

const TOL = 1e-6;
const B = 3, T = 5, I = 4, H = 7, V = 11;

/**
 * Assert an analytic gradient matches finite differences of f wrt x. Uses the fourth-order stencil (h = 1e-3, ~1e-12
 * absolute error in f64) and maxRelError with floor 1e-4 * max|analytic|: every entry must agree to 1e-6 relative,
 * or to 1e-10 of the gradient's scale for entries that are (near) zero, where a pure ratio only measures round-off.
 */
function checkGrad(name: string, analytic: Float64Array, f: () => number, x: Float64Array, eps = 1e-3): void {
  const scale = Math.max(...analytic.map(Math.abs));
  // guard against vacuous checks (all-zero gradients)
  expect(scale, `${name}: gradient is all ~0`).toBeGreaterThan(1e-6);
  const num = numericGrad5(f, x, eps);
  const err = maxRelError(analytic, num, 1e-4 * scale);
  expect(err, `${name}: max rel error ${err}`).toBeLessThan(TOL);
}

describe('hash', () => {
  // Independent implementation with BigInt (exact integer arithmetic, explicit mod 2^32).
  const M = 1n << 32n;
  const pcgBig = (v: bigint): bigint => {
    const s = (v * 747796405n + 2891336453n) % M;
    const w = (((s >> ((s >> 28n) + 4n)) ^ s) * 277803737n) % M;
    return ((w >> 22n) ^ w) % M;
  };

  it('pcgHash matches constants computed in Python', () => {
    const cases: [number, number][] = [
      [0, 129708002], [1, 2831084092], [2, 2055130248], [42, 1223963391],
      [123456789, 4272394698], [0xdeadbeef, 1730779506], [0xffffffff, 3861530882],
    ];
    for (const [v, h] of cases) expect(pcgHash(v)).toBe(h);
  });

  it('pcgHash matches a BigInt implementation', () => {
    const rand = mulberry32(7);
    for (let i = 0; i < 2000; i++) {
      const v = Math.floor(rand() * 4294967296);
      expect(pcgHash(v)).toBe(Number(pcgBig(BigInt(v))));
    }
  });

  it('hashUniform matches constants and BigInt', () => {
    expect(hashUniform(0, 0, 0)).toBe(8379828 / 16777216);
    expect(hashUniform(1, 2, 3)).toBe(5832889 / 16777216);
    expect(hashUniform(12345, 1, 999)).toBe(13269632 / 16777216);
    expect(hashUniform(0xffffffff, 7, 100000)).toBe(16330787 / 16777216);
    const rand = mulberry32(8);
    for (let i = 0; i < 500; i++) {
      const s = Math.floor(rand() * 4294967296), l = Math.floor(rand() * 16), e = Math.floor(rand() * 1e7);
      const big = pcgBig(BigInt(s) ^ pcgBig(BigInt(l) ^ pcgBig(BigInt(e)))) >> 8n;
      expect(hashUniform(s, l, e)).toBe(Number(big) / 16777216);
    }
  });

  it('hashUniform is roughly uniform in [0, 1)', () => {
    const n = 10000;
    const bins = new Array<number>(10).fill(0);
    let sum = 0;
    for (let e = 0; e < n; e++) {
      const u = hashUniform(1234, 3, e);
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      sum += u;
      bins[Math.floor(u * 10)]!++;
    }
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.01);
    for (const c of bins) expect(Math.abs(c / n - 0.1)).toBeLessThan(0.015);
  });
});

describe('random', () => {
  it('mulberry32 is deterministic and fillers have the right statistics', () => {
    expect(uniform(5, mulberry32(3))).toEqual(uniform(5, mulberry32(3)));
    expect(uniform(5, mulberry32(3))).not.toEqual(uniform(5, mulberry32(4)));
    const u = uniform(20000, mulberry32(1), 2, 4);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...u)).toBeLessThan(4);
    const z = randn(20001, mulberry32(2), 2);
    const mean = z.reduce((s, v) => s + v, 0) / z.length;
    const sd = Math.sqrt(z.reduce((s, v) => s + (v - mean) ** 2, 0) / z.length);
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(sd - 2)).toBeLessThan(0.05);
    const k = randInts(1000, mulberry32(5), 7);
    expect(Math.max(...k)).toBe(6);
    expect(Math.min(...k)).toBe(0);
  });
});

describe('gradcheck helpers', () => {
  it('numericGrad and maxRelError', () => {
    const x = new Float64Array([1, -2, 3]);
    const g = numericGrad(() => x[0]! ** 3 + x[1]! * x[2]!, x);
    expect(maxRelError(g, new Float64Array([3, 3, -2]))).toBeLessThan(1e-8);
    expect(Array.from(x)).toEqual([1, -2, 3]); // restored
    expect(maxRelError([1, 0, 2], [1, 0, 2])).toBe(0);
    expect(maxRelError([1, 3], [1, 1])).toBeCloseTo(0.5, 15); // |3-1| / (3+1)
    expect(maxRelError([NaN], [1])).toBe(Infinity);
  });
});

describe('matmul', () => {
  const transpose = (A: Float64Array, R: number, C: number) => {
    const out = new Float64Array(R * C);
    for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out[c * R + r] = A[r * C + c]!;
    return out;
  };

  it('hand example and transpose variants', () => {
    const A = new Float64Array([1, 2, 3, 4, 5, 6]); // [2][3]
    const Bm = new Float64Array([7, 8, 9, 10, 11, 12]); // [3][2]
    const C = new Float64Array([58, 64, 139, 154]);
    expect(matmul(A, Bm, 2, 3, 2)).toEqual(C);
    expect(matmul(transpose(A, 2, 3), Bm, 2, 3, 2, true)).toEqual(C);
    expect(matmul(A, transpose(Bm, 3, 2), 2, 3, 2, false, true)).toEqual(C);
    expect(matmul(transpose(A, 2, 3), transpose(Bm, 3, 2), 2, 3, 2, true, true)).toEqual(C);
  });

  for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    it(`backward transA=${tA} transB=${tB}`, () => {
      const M = 3, K = 5, N = 4;
      const rand = mulberry32(11);
      const A = uniform(M * K, rand), Bm = uniform(K * N, rand), r = uniform(M * N, rand);
      const f = () => dot(r, matmul(A, Bm, M, K, N, tA, tB));
      const { dA, dB } = matmulBackward(A, Bm, r, M, K, N, tA, tB);
      checkGrad('dA', dA, f, A);
      checkGrad('dB', dB, f, Bm);
    });
  }

  it('addBias and colSum', () => {
    const rand = mulberry32(12);
    const Y = uniform(B * V, rand), bias = uniform(V, rand), r = uniform(B * V, rand);
    const out = addBias(Y.slice(), bias, B, V);
    for (let m = 0; m < B; m++) for (let n = 0; n < V; n++) expect(out[m * V + n]).toBe(Y[m * V + n]! + bias[n]!);
    checkGrad('dbias', colSum(r, B, V), () => dot(r, addBias(Y.slice(), bias, B, V)), bias);
  });
});

describe('lstm', () => {
  const sig = (z: number) => 1 / (1 + Math.exp(-z));
  /** Naive scalar LSTM written straight from docs/design.md, no matmul: returns Hs, Cs. */
  function naiveLstm(x: Float64Array, Wx: Float64Array, Wh: Float64Array, b: Float64Array, h0: Float64Array, c0: Float64Array, In: number, fb: number) {
    const Hs = [Array.from(h0)], Cs = [Array.from(c0)];
    for (let t = 0; t < T; t++) {
      const h = new Array<number>(B * H), c = new Array<number>(B * H);
      for (let bb = 0; bb < B; bb++) {
        for (let j = 0; j < H; j++) {
          const a = [0, 1, 2, 3].map((g) => {
            let s = b[4 * j + g]!;
            for (let i = 0; i < In; i++) s += x[(t * B + bb) * In + i]! * Wx[i * 4 * H + 4 * j + g]!;
            for (let k = 0; k < H; k++) s += Hs[t]![bb * H + k]! * Wh[k * 4 * H + 4 * j + g]!;
            return s;
          });
          const ig = sig(a[0]!), fg = sig(a[1]! + fb), gg = Math.tanh(a[2]!), og = sig(a[3]!);
          c[bb * H + j] = fg * Cs[t]![bb * H + j]! + ig * gg;
          h[bb * H + j] = og * Math.tanh(c[bb * H + j]!);
        }
      }
      Hs.push(h);
      Cs.push(c);
    }
    return { Hs: Hs.flat(), Cs: Cs.flat() };
  }

  function setup(seed: number, In: number) {
    const rand = mulberry32(seed);
    return {
      x: uniform(T * B * In, rand), Wx: uniform(In * 4 * H, rand, -0.5, 0.5), Wh: uniform(H * 4 * H, rand, -0.5, 0.5),
      b: uniform(4 * H, rand, -0.5, 0.5), h0: uniform(B * H, rand), c0: uniform(B * H, rand),
      rHs: uniform(T * B * H, rand), rh: uniform(B * H, rand), rc: uniform(B * H, rand),
    };
  }

  it('forward matches a naive scalar implementation, forgetBias applied', () => {
    for (const fb of [0, 1]) {
      const p = setup(21, I);
      const fwd = lstmForward(p.x, p.Wx, p.Wh, p.b, p.h0, p.c0, T, B, I, H, fb);
      const ref = naiveLstm(p.x, p.Wx, p.Wh, p.b, p.h0, p.c0, I, fb);
      expect(maxRelError(fwd.Hs, ref.Hs)).toBeLessThan(1e-13);
      expect(maxRelError(fwd.Cs, ref.Cs)).toBeLessThan(1e-13);
      // gates: c_t = f*c_{t-1} + i*g and h_t = o*tanh(c_t) from the saved G
      for (let n = 0; n < T * B * H; n++) {
        const j = n % H, row = Math.floor(n / H);
        const G = fwd.G.subarray(row * 4 * H + 4 * j, row * 4 * H + 4 * j + 4);
        expect(fwd.Cs[n + B * H]).toBeCloseTo(G[1]! * fwd.Cs[n]! + G[0]! * G[2]!, 14);
        expect(fwd.Hs[n + B * H]).toBeCloseTo(G[3]! * Math.tanh(fwd.Cs[n + B * H]!), 14);
      }
    }
    // forget bias 1 vs 0 changes the forget gate exactly by the shift
    const p = setup(22, I);
    const g0 = lstmForward(p.x, p.Wx, p.Wh, p.b, p.h0, p.c0, 1, B, I, H, 0).G;
    const g1 = lstmForward(p.x, p.Wx, p.Wh, p.b, p.h0, p.c0, 1, B, I, H, 1).G;
    const logit = (q: number) => Math.log(q / (1 - q));
    expect(logit(g1[1]!) - logit(g0[1]!)).toBeCloseTo(1, 10);
    expect(g1[0]).toBe(g0[0]);
  });

  it('backward: dX dWx dWh db dh0 dc0 with dHs, dhT, dcT', () => {
    const p = setup(23, I);
    const fb = 1;
    const loss = () => {
      const f = lstmForward(p.x, p.Wx, p.Wh, p.b, p.h0, p.c0, T, B, I, H, fb);
      return dot(p.rHs, f.Hs.subarray(B * H)) + dot(p.rh, f.Hs.subarray(T * B * H)) + dot(p.rc, f.Cs.subarray(T * B * H));
    };
    const fwd = lstmForward(p.x, p.Wx, p.Wh, p.b, p.h0, p.c0, T, B, I, H, fb);
    const g = lstmBackward(p.x, p.Wx, p.Wh, fwd, p.rHs, p.rh, p.rc, T, B, I, H);
    checkGrad('dX', g.dX, loss, p.x);
    checkGrad('dWx', g.dWx, loss, p.Wx);
    checkGrad('dWh', g.dWh, loss, p.Wh);
    checkGrad('db', g.db, loss, p.b);
    checkGrad('dh0', g.dh0, loss, p.h0);
    checkGrad('dc0', g.dc0, loss, p.c0);
    expect(maxRelError(g.db, colSum(g.dG, T * B, 4 * H))).toBeLessThan(1e-14);
  });

  it('backward with null upstream gradients', () => {
    const p = setup(24, I);
    const fwd = lstmForward(p.x, p.Wx, p.Wh, p.b, p.h0, p.c0, T, B, I, H, 0);
    const loss = () => dot(p.rh, lstmForward(p.x, p.Wx, p.Wh, p.b, p.h0, p.c0, T, B, I, H, 0).Hs.subarray(T * B * H));
    const g = lstmBackward(p.x, p.Wx, p.Wh, fwd, null, p.rh, null, T, B, I, H);
    checkGrad('dWh (dhT only)', g.dWh, loss, p.Wh);
    checkGrad('dX (dhT only)', g.dX, loss, p.x);
    const z = lstmBackward(p.x, p.Wx, p.Wh, fwd, null, null, null, T, B, I, H);
    expect(z.dWx.every((v) => v === 0) && z.dh0.every((v) => v === 0)).toBe(true);
  });

  it('dG are the gradients of the pre-activations (Wx = identity, I = 4H, so dX = dG)', () => {
    const In = 4 * H;
    const p = setup(25, In);
    p.Wx.fill(0);
    for (let k = 0; k < In; k++) p.Wx[k * In + k] = 1; // a_t = x_t + h_{t-1}·Wh + b
    const loss = () => {
      const f = lstmForward(p.x, p.Wx, p.Wh, p.b, p.h0, p.c0, T, B, In, H, 1);
      return dot(p.rHs, f.Hs.subarray(B * H)) + dot(p.rc, f.Cs.subarray(T * B * H));
    };
    const fwd = lstmForward(p.x, p.Wx, p.Wh, p.b, p.h0, p.c0, T, B, In, H, 1);
    const g = lstmBackward(p.x, p.Wx, p.Wh, fwd, p.rHs, null, p.rc, T, B, In, H);
    checkGrad('dG', g.dG, loss, p.x);
  });
});

describe('rnn', () => {
  function setup(seed: number, In: number) {
    const rand = mulberry32(seed);
    return {
      x: uniform(T * B * In, rand), Wx: uniform(In * H, rand, -0.5, 0.5), Wh: uniform(H * H, rand, -0.5, 0.5),
      b: uniform(H, rand, -0.5, 0.5), h0: uniform(B * H, rand), rHs: uniform(T * B * H, rand), rh: uniform(B * H, rand),
    };
  }

  it('forward matches a naive scalar implementation', () => {
    const p = setup(31, I);
    const { Hs } = rnnForward(p.x, p.Wx, p.Wh, p.b, p.h0, T, B, I, H);
    let h = Array.from(p.h0);
    expect(Array.from(Hs.subarray(0, B * H))).toEqual(h);
    for (let t = 0; t < T; t++) {
      const next = new Array<number>(B * H);
      for (let bb = 0; bb < B; bb++) {
        for (let j = 0; j < H; j++) {
          let s = p.b[j]!;
          for (let i = 0; i < I; i++) s += p.x[(t * B + bb) * I + i]! * p.Wx[i * H + j]!;
          for (let k = 0; k < H; k++) s += h[bb * H + k]! * p.Wh[k * H + j]!;
          next[bb * H + j] = Math.tanh(s);
        }
      }
      h = next;
      expect(maxRelError(Hs.subarray((t + 1) * B * H, (t + 2) * B * H), h)).toBeLessThan(1e-13);
    }
  });

  it('backward: dX dWx dWh db dh0 with dHs and dhT', () => {
    const p = setup(32, I);
    const loss = () => {
      const { Hs } = rnnForward(p.x, p.Wx, p.Wh, p.b, p.h0, T, B, I, H);
      return dot(p.rHs, Hs.subarray(B * H)) + dot(p.rh, Hs.subarray(T * B * H));
    };
    const fwd = rnnForward(p.x, p.Wx, p.Wh, p.b, p.h0, T, B, I, H);
    const g = rnnBackward(p.x, p.Wx, p.Wh, fwd, p.rHs, p.rh, T, B, I, H);
    checkGrad('dX', g.dX, loss, p.x);
    checkGrad('dWx', g.dWx, loss, p.Wx);
    checkGrad('dWh', g.dWh, loss, p.Wh);
    checkGrad('db', g.db, loss, p.b);
    checkGrad('dh0', g.dh0, loss, p.h0);
  });

  it('dA are the gradients of the pre-activations (Wx = identity, I = H)', () => {
    const p = setup(33, H);
    p.Wx.fill(0);
    for (let k = 0; k < H; k++) p.Wx[k * H + k] = 1;
    const loss = () => dot(p.rHs, rnnForward(p.x, p.Wx, p.Wh, p.b, p.h0, T, B, H, H).Hs.subarray(B * H));
    const g = rnnBackward(p.x, p.Wx, p.Wh, rnnForward(p.x, p.Wx, p.Wh, p.b, p.h0, T, B, H, H), p.rHs, null, T, B, H, H);
    checkGrad('dA', g.dA, loss, p.x);
  });
});

describe('embedding', () => {
  it('forward gathers rows, backward accumulates repeated ids', () => {
    const D = 5;
    const rand = mulberry32(41);
    const table = uniform(V * D, rand);
    const ids = new Uint32Array([3, 0, 3, 10, 7, 3, 0]);
    const out = embeddingForward(table, ids, V, D);
    for (let n = 0; n < ids.length; n++) expect(Array.from(out.subarray(n * D, n * D + D))).toEqual(Array.from(table.subarray(ids[n]! * D, ids[n]! * D + D)));
    const r = uniform(ids.length * D, rand);
    const dTable = embeddingBackward(r, ids, V, D);
    checkGrad('dTable', dTable, () => dot(r, embeddingForward(table, ids, V, D)), table);
    expect(dTable[3 * D]).toBeCloseTo(r[0]! + r[2 * D]! + r[5 * D]!, 14);
    expect(dTable[D]).toBe(0); // id 1 unused
    expect(() => embeddingForward(table, new Uint32Array([V]), V, D)).toThrow();
  });
});

describe('softmax', () => {
  it('hand example', () => {
    const { loss, dLogits, correct } = softmaxXent(new Float64Array([1, 2, 3, 0, 0, 5]), new Uint32Array([2, 0]), 2, 3, 0.5);
    const z = Math.exp(1) + Math.exp(2) + Math.exp(3);
    expect(loss[0]).toBeCloseTo(Math.log(z) - 3, 14);
    expect(loss[1]).toBeCloseTo(Math.log(2 + Math.exp(5)), 13);
    expect(dLogits[0]).toBeCloseTo((0.5 * Math.exp(1)) / z, 14);
    expect(dLogits[2]).toBeCloseTo(0.5 * (Math.exp(3) / z - 1), 14);
    expect(Array.from(correct)).toEqual([1, 0]);
  });

  it('gradient of scale * Σ loss', () => {
    const rand = mulberry32(51);
    const N = T * B;
    const logits = uniform(N * V, rand, -3, 3);
    const labels = randInts(N, rand, V);
    const scale = 1 / B;
    const f = () => scale * softmaxXent(logits, labels, N, V, scale).loss.reduce((s, v) => s + v, 0);
    checkGrad('dLogits', softmaxXent(logits, labels, N, V, scale).dLogits, f, logits);
  });

  it('stable, ties, argmax, softmaxRows', () => {
    const big = softmaxXent(new Float64Array([1000, 999, -1000]), new Uint32Array([1]), 1, 3, 1);
    expect(big.loss[0]).toBeCloseTo(1 + Math.log(1 + Math.exp(-1)), 12);
    expect(big.dLogits.every(Number.isFinite)).toBe(true);
    const tie = new Float64Array([2, 5, 5, 1, 7, 7, 7, 7]);
    expect(Array.from(softmaxXent(tie, new Uint32Array([2, 0]), 2, 4, 1).correct)).toEqual([0, 1]);
    expect(Array.from(argmaxRows(tie, 2, 4))).toEqual([1, 0]);
    const p = softmaxRows(new Float64Array([0, Math.log(3), 800, 800]), 2, 2);
    expect(p[0]).toBeCloseTo(0.25, 15);
    expect(p[2]).toBeCloseTo(0.5, 15);
    const pt = softmaxRows(new Float64Array([0, Math.log(3)]), 1, 2, 0.5); // softmax([0, 2 ln 3]) = [1/10, 9/10]
    expect(pt[1]).toBeCloseTo(0.9, 15);
  });
});

describe('dropout', () => {
  it('mask values, rate, determinism and backward', () => {
    const n = 20000, keep = 0.7;
    const m = dropoutMask(n, keep, 99, 2);
    expect(m.every((v) => v === 0 || v === 1 / keep)).toBe(true);
    for (let e = 0; e < 50; e++) expect(m[e] !== 0).toBe(hashUniform(99, 2, e) < keep);
    const kept = m.filter((v) => v !== 0).length / n;
    expect(Math.abs(kept - keep)).toBeLessThan(0.015);
    expect(dropoutMask(100, keep, 99, 3)).not.toEqual(dropoutMask(100, keep, 99, 2));
    expect(dropoutMask(100, keep, 98, 2)).not.toEqual(dropoutMask(100, keep, 99, 2));
    const rand = mulberry32(61);
    const x = uniform(T * B * H, rand), r = uniform(T * B * H, rand);
    const y = dropoutForward(x, keep, 5, 1);
    const mk = dropoutMask(x.length, keep, 5, 1);
    for (let e = 0; e < x.length; e++) expect(y[e]).toBe(x[e]! * mk[e]!);
    checkGrad('dx', dropoutBackward(r, keep, 5, 1), () => dot(r, dropoutForward(x, keep, 5, 1)), x);
    expect(dropoutMask(100, 1, 1, 1).every((v) => v === 1)).toBe(true);
  });
});

describe('optim', () => {
  it('sgd', () => {
    const w = new Float64Array([1, 2]);
    sgdStep(w, new Float64Array([0.5, -1]), 0.1);
    expect(Array.from(w)).toEqual([0.95, 2.1]);
  });

  it('adam, two steps by hand', () => {
    const w = new Float64Array([1]), m = new Float64Array(1), v = new Float64Array(1);
    adamStep(w, new Float64Array([0.5]), m, v, 1, 0.1);
    // first step moves by ~lr: m = 0.05, v = 2.5e-4, lr_t = 0.1*sqrt(0.001)/0.1
    expect(m[0]).toBeCloseTo(0.05, 15);
    expect(v[0]).toBeCloseTo(2.5e-4, 15);
    expect(w[0]).toBeCloseTo(0.9000000632455132, 14);
    adamStep(w, new Float64Array([-0.25]), m, v, 2, 0.1);
    // m = 0.02, v = 3.1225e-4, lr_t = 0.1*sqrt(0.001999)/0.19
    expect(m[0]).toBeCloseTo(0.02, 15);
    expect(v[0]).toBeCloseTo(3.1225e-4, 15);
    expect(w[0]).toBeCloseTo(0.8733663743517929, 14);
  });

  it('rmsprop, two steps by hand (ms starts at 1)', () => {
    const w = new Float64Array([1]), ms = new Float64Array([1]);
    rmspropStep(w, new Float64Array([0.5]), ms, 0.01);
    expect(ms[0]).toBeCloseTo(0.925, 15); // 0.9 + 0.1*0.25
    expect(w[0]).toBeCloseTo(1 - 0.005 / Math.sqrt(0.925 + 1e-10), 15); // eps inside the sqrt
    expect(w[0]).toBeCloseTo(0.9948012475511806, 14);
    rmspropStep(w, new Float64Array([-0.25]), ms, 0.01);
    expect(ms[0]).toBeCloseTo(0.83875, 15);
    expect(w[0]).toBeCloseTo(0.997531003003181, 14);
  });

  it('clip by global norm', () => {
    const g = [new Float64Array([3]), new Float64Array([0, 4])]; // norm 5
    expect(globalNorm(g)).toBe(5);
    const c = clipByGlobalNorm(g, 1);
    expect(c.norm).toBe(5);
    expect(c.grads[0]![0]).toBeCloseTo(0.6, 15);
    expect(c.grads[1]![1]).toBeCloseTo(0.8, 15);
    expect(g[0]![0]).toBe(3); // input untouched
    const u = clipByGlobalNorm(g, 10);
    expect(Array.from(u.grads[1]!)).toEqual([0, 4]);
    expect(clipByGlobalNorm([new Float64Array(3)], 1).grads[0]!.every((v) => v === 0)).toBe(true);
  });
});

describe('model', () => {
  const ccfg: ClassifierConfig = { T: 4, B: 2, I: 3, H: 3, V: 5, forgetBias: 1, optimizer: 'sgd', lr: 0.5 };
  function classifier(seed: number) {
    const rand = mulberry32(seed);
    const { T: Tc, B: Bc, I: Ic, H: Hc, V: Vc } = ccfg;
    const params: LstmClassifierParams = {
      layers: [0, 1].map((l) => ({ Wx: uniform((l === 0 ? Ic : Hc) * 4 * Hc, rand, -0.8, 0.8), Wh: uniform(Hc * 4 * Hc, rand, -0.8, 0.8), b: uniform(4 * Hc, rand, -0.3, 0.3) })),
      Wy: uniform(Hc * Vc, rand), by: uniform(Vc, rand, -0.1, 0.1),
    };
    return { params, batch: { x: uniform(Tc * Bc * Ic, rand), labels: randInts(Bc, rand, Vc) } };
  }

  it('classifier gradients match numeric gradients of its loss', () => {
    const { params, batch } = classifier(71);
    const out = refLstmClassifierStep(params, batch, ccfg);
    const grads = paramList(out.grads);
    paramList(params).forEach((w, k) => checkGrad(`classifier param ${k}`, grads[k]!, () => refLstmClassifierStep(params, batch, ccfg).loss, w));
  });

  it('classifier updates: sgd, clipped sgd, adam, rmsprop', () => {
    const { params, batch } = classifier(72);
    const before = paramList(params).map((a) => a.slice());
    const sgd = refLstmClassifierStep(params, batch, ccfg);
    paramList(params).forEach((w, k) => expect(w).toEqual(before[k])); // inputs untouched
    const g = paramList(sgd.grads);
    paramList(sgd.params).forEach((w, k) => expect(maxRelError(w, before[k]!.map((v, i) => v - 0.5 * g[k]![i]!))).toBeLessThan(1e-15));

    const norm = globalNorm(g);
    const clipped = refLstmClassifierStep(params, batch, { ...ccfg, clipNorm: norm / 4 });
    paramList(clipped.params).forEach((w, k) => expect(maxRelError(w, before[k]!.map((v, i) => v - 0.5 * 0.25 * g[k]![i]!))).toBeLessThan(1e-12));

    const adamCfg = { ...ccfg, optimizer: 'adam' as const, lr: 0.01 };
    const a1 = refLstmClassifierStep(params, batch, adamCfg);
    expect(a1.state.t).toBe(1);
    // first Adam step: m = 0.1 g, sqrt(v) = sqrt(0.001) |g|, lr_t = lr sqrt(0.001) / 0.1, i.e. a move of ~lr * sign(g)
    paramList(a1.params).forEach((w, k) => w.forEach((v, i) => {
      const gi = g[k]![i]!;
      expect(before[k]![i]! - v).toBeCloseTo(((0.01 * Math.sqrt(0.001)) / 0.1) * (0.1 * gi) / (Math.sqrt(0.001) * Math.abs(gi) + 1e-8), 15);
    }));
    const a2 = refLstmClassifierStep(a1.params, batch, adamCfg, a1.state);
    expect(a2.state.t).toBe(2);
    expect(a2.loss).toBeLessThan(a1.loss);

    const rms = refLstmClassifierStep(params, batch, { ...ccfg, optimizer: 'rmsprop', lr: 0.01 });
    expect(rms.state.ms[0]![0]).toBeCloseTo(0.9 + 0.1 * g[0]![0]! ** 2, 15);
    expect(initOptimizerState('rmsprop', params).ms.every((a) => a.every((v) => v === 1))).toBe(true);
  });

  it('several SGD steps reduce the classifier loss', () => {
    let { params } = classifier(73);
    const { batch } = classifier(73);
    const losses: number[] = [];
    for (let s = 0; s < 20; s++) {
      const out = refLstmClassifierStep(params, batch, { ...ccfg, clipNorm: 5 });
      losses.push(out.loss);
      params = out.params;
    }
    expect(losses[19]!).toBeLessThan(0.5 * losses[0]!);
  });

  const lcfg: LmConfig = { T: 4, B: 2, H: 3, V: 6, forgetBias: 0, lr: 1, clipNorm: 5 };
  function lm(seed: number) {
    const rand = mulberry32(seed);
    const { T: Tl, B: Bl, H: Hl, V: Vl } = lcfg;
    const params: LstmLmParams = {
      embedding: uniform(Vl * Hl, rand),
      layers: [0, 1].map(() => ({ Wx: uniform(Hl * 4 * Hl, rand, -0.8, 0.8), Wh: uniform(Hl * 4 * Hl, rand, -0.8, 0.8), b: uniform(4 * Hl, rand, -0.3, 0.3) })),
      Wy: uniform(Hl * Vl, rand), by: uniform(Vl, rand, -0.1, 0.1),
    };
    const init = { h: [uniform(Bl * Hl, rand), uniform(Bl * Hl, rand)], c: [uniform(Bl * Hl, rand), uniform(Bl * Hl, rand)] };
    return { params, init, batch: { ids: new Uint32Array([1, 4, 1, 0, 5, 1, 2, 2]), targets: randInts(Tl * Bl, rand, Vl) } };
  }

  for (const keep of [1, 0.6]) {
    it(`language model gradients match numeric gradients (keep ${keep})`, () => {
      const { params, init, batch } = lm(81);
      const cfg = { ...lcfg, keep, seed: 17 };
      const out = refLstmLmStep(params, batch, cfg, init);
      const grads = paramList(out.grads);
      paramList(params).forEach((w, k) => checkGrad(`lm param ${k}`, grads[k]!, () => refLstmLmStep(params, batch, cfg, init).loss, w));
    });
  }

  it('language model: loss definition, final states, clipped SGD update, training', () => {
    const { params, init, batch } = lm(82);
    const out = refLstmLmStep(params, batch, lcfg, init);
    // final states continue: running two halves with carried state equals the full sequence's final state
    const half = { ...lcfg, T: 2 };
    const first = refLstmLmStep(params, { ids: batch.ids.subarray(0, 4), targets: batch.targets.subarray(0, 4) }, half, init);
    const second = refLstmLmStep(params, { ids: batch.ids.subarray(4), targets: batch.targets.subarray(4) }, half, first.final);
    expect(maxRelError(second.final.h[1]!, out.final.h[1]!)).toBeLessThan(1e-14);
    expect(maxRelError(second.final.c[0]!, out.final.c[0]!)).toBeLessThan(1e-14);
    expect(first.loss + second.loss).toBeCloseTo(out.loss, 12); // Σ over steps of the batch mean
    const g = paramList(out.grads);
    const factor = 5 / Math.max(globalNorm(g), 5);
    paramList(out.params).forEach((w, k) => expect(maxRelError(w, paramList(params)[k]!.map((v, i) => v - factor * g[k]![i]!))).toBeLessThan(1e-13));
    let p = params;
    const losses: number[] = [];
    for (let s = 0; s < 30; s++) {
      const o = refLstmLmStep(p, batch, { ...lcfg, lr: 0.5 }, init);
      losses.push(o.loss);
      p = o.params;
    }
    expect(losses[29]!).toBeLessThan(0.5 * losses[0]!);
  });
});
