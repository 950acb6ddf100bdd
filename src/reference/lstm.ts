/**
 * LSTM reference (docs/design.md, "LSTM"), f64, row-major, time-major.
 *   x  [T][B][I]      Wx [I][4H]    Wh [H][4H]    b [4H]    h0, c0 [B][H]
 *   column 4*j + g of Wx/Wh/b/G/dG is gate g of hidden unit j, gate order i, f, g, o.
 *   a_t = x_t·Wx + h_{t-1}·Wh + b;  i = σ(a_i), f = σ(a_f + forgetBias), g = tanh(a_g), o = σ(a_o)
 *   c_t = f*c_{t-1} + i*g;  h_t = o*tanh(c_t)
 * Forward returns Hs, Cs [T+1][B][H] (slot 0 = h0 / c0) and G [T][B][4H] (activated gates).
 * Backward takes dHs [T][B][H] (upstream gradient of Hs slots 1..T) or null, dhT / dcT [B][H] (extra gradient of
 * the final h / c) or null; returns dG [T][B][4H] (gradients of the pre-activations a, forgetBias excluded — it is a
 * constant so the gradient is the same), dX [T][B][I], dWx [I][4H], dWh [H][4H], db [4H], dh0, dc0 [B][H].
 */
import { addBias, colSum, matmul } from './matmul.ts';

export interface LstmForward {
  Hs: Float64Array;
  Cs: Float64Array;
  G: Float64Array;
}

export interface LstmGrads {
  dX: Float64Array;
  dWx: Float64Array;
  dWh: Float64Array;
  db: Float64Array;
  dh0: Float64Array;
  dc0: Float64Array;
  dG: Float64Array;
}

export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

export function lstmForward(
  x: Float64Array,
  Wx: Float64Array,
  Wh: Float64Array,
  b: Float64Array,
  h0: Float64Array,
  c0: Float64Array,
  T: number,
  B: number,
  I: number,
  H: number,
  forgetBias: number,
): LstmForward {
  const BH = B * H;
  const G4 = 4 * H;
  const Hs = new Float64Array((T + 1) * BH);
  const Cs = new Float64Array((T + 1) * BH);
  const G = new Float64Array(T * B * G4);
  Hs.set(h0.subarray(0, BH), 0);
  Cs.set(c0.subarray(0, BH), 0);
  for (let t = 0; t < T; t++) {
    const xt = x.subarray(t * B * I, (t + 1) * B * I);
    const hPrev = Hs.subarray(t * BH, (t + 1) * BH);
    const A = matmul(xt, Wx, B, I, G4);
    const Ah = matmul(hPrev, Wh, B, H, G4);
    for (let k = 0; k < A.length; k++) A[k] += Ah[k]!;
    addBias(A, b, B, G4);
    for (let bb = 0; bb < B; bb++) {
      for (let j = 0; j < H; j++) {
        const a = bb * G4 + 4 * j;
        const ig = sigmoid(A[a]!);
        const fg = sigmoid(A[a + 1]! + forgetBias);
        const gg = Math.tanh(A[a + 2]!);
        const og = sigmoid(A[a + 3]!);
        const cPrev = Cs[t * BH + bb * H + j]!;
        const c = fg * cPrev + ig * gg;
        const h = og * Math.tanh(c);
        Cs[(t + 1) * BH + bb * H + j] = c;
        Hs[(t + 1) * BH + bb * H + j] = h;
        const g = t * B * G4 + a;
        G[g] = ig;
        G[g + 1] = fg;
        G[g + 2] = gg;
        G[g + 3] = og;
      }
    }
  }
  return { Hs, Cs, G };
}

export function lstmBackward(
  x: Float64Array,
  Wx: Float64Array,
  Wh: Float64Array,
  fwd: LstmForward,
  dHs: Float64Array | null,
  dhT: Float64Array | null,
  dcT: Float64Array | null,
  T: number,
  B: number,
  I: number,
  H: number,
): LstmGrads {
  const BH = B * H;
  const G4 = 4 * H;
  const N = T * B;
  const { Hs, Cs, G } = fwd;
  const dG = new Float64Array(N * G4);
  // Running gradients wrt h_t and c_t flowing back from step t+1 (start: the final-state gradients).
  let dh: Float64Array = dhT ? Float64Array.from(dhT.subarray(0, BH)) : new Float64Array(BH);
  const dc = dcT ? Float64Array.from(dcT.subarray(0, BH)) : new Float64Array(BH);
  for (let t = T - 1; t >= 0; t--) {
    for (let k = 0; k < BH; k++) {
      const bb = Math.floor(k / H);
      const j = k % H;
      const g = t * B * G4 + bb * G4 + 4 * j;
      const ig = G[g]!;
      const fg = G[g + 1]!;
      const gg = G[g + 2]!;
      const og = G[g + 3]!;
      const cPrev = Cs[t * BH + k]!;
      const tc = Math.tanh(Cs[(t + 1) * BH + k]!);
      const dht = dh[k]! + (dHs ? dHs[t * BH + k]! : 0);
      const dct = dc[k]! + dht * og * (1 - tc * tc);
      dG[g] = dct * gg * ig * (1 - ig);
      dG[g + 1] = dct * cPrev * fg * (1 - fg);
      dG[g + 2] = dct * ig * (1 - gg * gg);
      dG[g + 3] = dht * tc * og * (1 - og);
      dc[k] = dct * fg;
    }
    // dh_{t-1} = dG_t · Whᵀ
    dh = matmul(dG.subarray(t * B * G4, (t + 1) * B * G4), Wh, B, G4, H, false, true);
  }
  const dX = matmul(dG, Wx, N, G4, I, false, true);
  const dWx = matmul(x, dG, I, N, G4, true, false);
  const dWh = matmul(Hs.subarray(0, N * H), dG, H, N, G4, true, false);
  const db = colSum(dG, N, G4);
  return { dX, dWx, dWh, db, dh0: dh, dc0: dc, dG };
}
