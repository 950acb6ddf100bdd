/**
 * Dense matrix products, row-major, f64.
 *   matmul:  C [M][N] = op(A) · op(B), op(A) [M][K], op(B) [K][N].
 *            A is stored [M][K], or [K][M] when transA; B is stored [K][N], or [N][K] when transB.
 *   matmulBackward: given dC [M][N], dA and dB in the *stored* layouts of A and B.
 *   addBias: Y [M][N] += bias [N] on every row (in place).  colSum: dY [M][N] -> [N] (backward of addBias).
 */

export function matmul(
  A: Float64Array,
  B: Float64Array,
  M: number,
  K: number,
  N: number,
  transA = false,
  transB = false,
): Float64Array {
  if (A.length < M * K) throw new Error(`matmul: A has ${A.length} < ${M * K} elements`);
  if (B.length < K * N) throw new Error(`matmul: B has ${B.length} < ${K * N} elements`);
  const C = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const a = transA ? A[k * M + m]! : A[m * K + k]!;
        const b = transB ? B[n * K + k]! : B[k * N + n]!;
        s += a * b;
      }
      C[m * N + n] = s;
    }
  }
  return C;
}

/**
 * Gradients of C = op(A)·op(B): d op(A) = dC·op(B)ᵀ, d op(B) = op(A)ᵀ·dC, returned in A's and B's stored layouts.
 */
export function matmulBackward(
  A: Float64Array,
  B: Float64Array,
  dC: Float64Array,
  M: number,
  K: number,
  N: number,
  transA = false,
  transB = false,
): { dA: Float64Array; dB: Float64Array } {
  // d op(A) [M][K] = dC [M][N] · op(B)ᵀ; stored [K][M] when transA: dAᵀ = op(B)·dCᵀ.
  const dA = transA ? matmul(B, dC, K, N, M, transB, true) : matmul(dC, B, M, N, K, false, !transB);
  // d op(B) [K][N] = op(A)ᵀ · dC; stored [N][K] when transB: dBᵀ = dCᵀ·op(A).
  const dB = transB ? matmul(dC, A, N, M, K, true, transA) : matmul(A, dC, K, M, N, !transA, false);
  return { dA, dB };
}

/** Y [M][N] += bias [N], in place; returns Y. */
export function addBias(Y: Float64Array, bias: Float64Array, M: number, N: number): Float64Array {
  for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) Y[m * N + n] += bias[n]!;
  return Y;
}

/** Column sums of dY [M][N] -> [N]. */
export function colSum(dY: Float64Array, M: number, N: number): Float64Array {
  const out = new Float64Array(N);
  for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) out[n] += dY[m * N + n]!;
  return out;
}

/** out = a + b elementwise (new array). */
export function add(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! + b[i]!;
  return out;
}
