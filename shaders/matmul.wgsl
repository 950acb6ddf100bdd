// matmul.wgsl — dense products and bias terms.
//
//   main:      C[M][N] (+)= op(A)[M][K] · op(B)[K][N] (+ bias[N])
//              op(A) = A [M][K], or Aᵀ with A stored [K][M] when TRANS_A; op(B) likewise, B stored [N][K] when TRANS_B.
//              The backward of Y = X·W is dX = dY·Wᵀ (TRANS_B) and dW = Xᵀ·dY (TRANS_A): one entry point,
//              three pipelines (override constants).
//   bias_grad: db[N] (+)= Σ_m dY[m][N]   (the backward of the bias add: a column sum)
//
// Every operand starts at an element offset (offA, offB, offC) so a product can read a slice of a larger
// buffer, e.g. the hidden states of time steps 1..T. `accumulate` = 1 adds into C instead of overwriting it
// (gradients with several contributors). Row-major throughout.

struct Params {
  M: u32, N: u32, K: u32,
  offA: u32, offB: u32, offC: u32,
  accumulate: u32, hasBias: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> C: array<f32>;

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override WG_X: u32 = 8;
override WG_Y: u32 = 8;

fn loadA(m: u32, k: u32) -> f32 {
  if (m >= p.M) { return 0.0; }
  if (TRANS_A) { return A[p.offA + k * p.M + m]; }
  return A[p.offA + m * p.K + k];
}

fn loadB4(k: u32, n: u32) -> vec4f {
  var r = vec4f(0.0);
  for (var j = 0u; j < 4u; j++) {
    let c = n + j;
    if (c < p.N) {
      if (TRANS_B) { r[j] = B[p.offB + c * p.K + k]; } else { r[j] = B[p.offB + k * p.N + c]; }
    }
  }
  return r;
}

// Each invocation computes a 4x4 block of C held in registers.
@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let row0 = gid.y * 4u;
  let col0 = gid.x * 4u;
  if (row0 >= p.M || col0 >= p.N) { return; }
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  for (var k = 0u; k < p.K; k++) {
    let b = loadB4(k, col0);
    acc0 += loadA(row0, k) * b;
    acc1 += loadA(row0 + 1u, k) * b;
    acc2 += loadA(row0 + 2u, k) * b;
    acc3 += loadA(row0 + 3u, k) * b;
  }
  var bv = vec4f(0.0);
  if (p.hasBias == 1u) {
    for (var j = 0u; j < 4u; j++) { if (col0 + j < p.N) { bv[j] = bias[col0 + j]; } }
  }
  store4(row0, col0, acc0 + bv);
  store4(row0 + 1u, col0, acc1 + bv);
  store4(row0 + 2u, col0, acc2 + bv);
  store4(row0 + 3u, col0, acc3 + bv);
}

fn store4(m: u32, n: u32, v: vec4f) {
  if (m >= p.M) { return; }
  for (var j = 0u; j < 4u; j++) {
    if (n + j < p.N) {
      let idx = p.offC + m * p.N + n + j;
      if (p.accumulate == 1u) { C[idx] += v[j]; } else { C[idx] = v[j]; }
    }
  }
}

// db[n] (+)= Σ_m dY[offA + m*N + n]; A is dY here, C is db (at offC). One invocation per column.
@compute @workgroup_size(64)
fn bias_grad(@builtin(global_invocation_id) gid: vec3u) {
  let n = gid.x;
  if (n >= p.N) { return; }
  var s = 0.0;
  for (var m = 0u; m < p.M; m++) { s += A[p.offA + m * p.N + n]; }
  if (p.accumulate == 1u) { C[p.offC + n] += s; } else { C[p.offC + n] = s; }
}
