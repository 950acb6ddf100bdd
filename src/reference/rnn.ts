/**
 * Basic (Elman) RNN reference (docs/design.md, "Basic RNN"), f64, row-major, time-major.
 *   x [T][B][I]   Wx [I][H]   Wh [H][H]   b [H]   h0 [B][H]
 *   h_t = tanh(x_t·Wx + h_{t-1}·Wh + b)
 * Forward returns Hs [T+1][B][H] (slot 0 = h0).
 * Backward takes dHs [T][B][H] (upstream gradient of slots 1..T) or null and dhT [B][H] (extra gradient of the
 * final h) or null; returns dA [T][B][H] (gradients of the pre-activations), dX [T][B][I], dWx [I][H],
 * dWh [H][H], db [H], dh0 [B][H].
 */
import { addBias, colSum, matmul } from './matmul.ts';

export interface RnnForward {
  Hs: Float64Array;
}

export interface RnnGrads {
  dX: Float64Array;
  dWx: Float64Array;
  dWh: Float64Array;
  db: Float64Array;
  dh0: Float64Array;
  dA: Float64Array;
}

export function rnnForward(
  x: Float64Array,
  Wx: Float64Array,
  Wh: Float64Array,
  b: Float64Array,
  h0: Float64Array,
  T: number,
  B: number,
  I: number,
  H: number,
): RnnForward {
  const BH = B * H;
  const Hs = new Float64Array((T + 1) * BH);
  Hs.set(h0.subarray(0, BH), 0);
  for (let t = 0; t < T; t++) {
    const A = matmul(x.subarray(t * B * I, (t + 1) * B * I), Wx, B, I, H);
    const Ah = matmul(Hs.subarray(t * BH, (t + 1) * BH), Wh, B, H, H);
    for (let k = 0; k < BH; k++) A[k] += Ah[k]!;
    addBias(A, b, B, H);
    for (let k = 0; k < BH; k++) Hs[(t + 1) * BH + k] = Math.tanh(A[k]!);
  }
  return { Hs };
}

export function rnnBackward(
  x: Float64Array,
  Wx: Float64Array,
  Wh: Float64Array,
  fwd: RnnForward,
  dHs: Float64Array | null,
  dhT: Float64Array | null,
  T: number,
  B: number,
  I: number,
  H: number,
): RnnGrads {
  const BH = B * H;
  const N = T * B;
  const { Hs } = fwd;
  const dA = new Float64Array(N * H);
  let dh: Float64Array = dhT ? Float64Array.from(dhT.subarray(0, BH)) : new Float64Array(BH);
  for (let t = T - 1; t >= 0; t--) {
    for (let k = 0; k < BH; k++) {
      const h = Hs[(t + 1) * BH + k]!;
      const dht = dh[k]! + (dHs ? dHs[t * BH + k]! : 0);
      dA[t * BH + k] = dht * (1 - h * h);
    }
    dh = matmul(dA.subarray(t * BH, (t + 1) * BH), Wh, B, H, H, false, true);
  }
  const dX = matmul(dA, Wx, N, H, I, false, true);
  const dWx = matmul(x, dA, I, N, H, true, false);
  const dWh = matmul(Hs.subarray(0, N * H), dA, H, N, H, true, false);
  const db = colSum(dA, N, H);
  return { dX, dWx, dWh, db, dh0: dh, dA };
}
