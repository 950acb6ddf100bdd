// matmul_v4.wgsl — the fast paths of matmul.wgsl for aligned shapes: every load is a vec4 and the inner loop
// has no bounds checks. Same products and uniforms as matmul.wgsl (C[M][N] (+)= op(A)·op(B) (+ bias)); the
// op layer picks these when the shapes allow (all as vec4 indices, offsets in elements, multiples of 4):
//   nn: N % 4 = 0, K % 4 = 0, offC % 4 = 0   A [M][K], B [K][N]   8 rows x 8 columns per invocation, k by 4
//   tn: M % 4 = 0, N % 4 = 0, offC % 4 = 0   A [K][M], B [K][N]   (dW = Xᵀ·dY: the weight gradients), 8x8 per invocation
//   nt: K % 4 = 0                            A [M][K], B [N][K]   (dX = dY·Wᵀ), 8x8 dot products per invocation
// Rows past M (and for nt columns past N) are computed from clamped indices and not stored.

struct Params {
  M: u32, N: u32, K: u32,
  offA: u32, offB: u32, offC: u32,
  accumulate: u32, hasBias: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> A: array<vec4f>;
@group(0) @binding(2) var<storage, read> B: array<vec4f>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> C: array<f32>;    // nt (N may not be a multiple of 4)
@group(0) @binding(5) var<storage, read_write> C4: array<vec4f>; // nn, tn: rows of C are whole vec4s (offC % 4 = 0)

override WG_X: u32 = 8;
override WG_Y: u32 = 8;

// nn and tn store whole vec4s: a store costs like a load on CPU adapters, so one instead of four.
fn store4v(m: u32, n: u32, v: vec4f) {
  if (m >= p.M) { return; }
  var r = v;
  if (p.hasBias == 1u) { r += vec4f(bias[n], bias[n + 1u], bias[n + 2u], bias[n + 3u]); }
  let idx = (p.offC + m * p.N + n) / 4u;
  if (p.accumulate == 1u) { C4[idx] += r; } else { C4[idx] = r; }
}

fn store4(m: u32, n: u32, v: vec4f) {
  if (m >= p.M) { return; }
  var r = v;
  if (p.hasBias == 1u) {
    for (var j = 0u; j < 4u; j++) { if (n + j < p.N) { r[j] += bias[n + j]; } }
  }
  for (var j = 0u; j < 4u; j++) {
    if (n + j < p.N) {
      let idx = p.offC + m * p.N + n + j;
      if (p.accumulate == 1u) { C[idx] += r[j]; } else { C[idx] = r[j]; }
    }
  }
}

// nn: 8 rows x 8 columns per invocation, k by 4 (8 A vec4s and 8 B vec4s serve 256 products).
@compute @workgroup_size(WG_X, WG_Y)
fn nn(@builtin(global_invocation_id) gid: vec3u) {
  let row0 = gid.y * 8u;
  let col0 = gid.x * 8u;
  if (row0 >= p.M || col0 >= p.N) { return; }
  let K4 = p.K / 4u;
  let N4 = p.N / 4u;
  let second = col0 + 4u < p.N;
  let e = select(0u, 1u, second);
  let r0 = (p.offA / 4u) + min(row0 + 0u, p.M - 1u) * K4;
  let r1 = (p.offA / 4u) + min(row0 + 1u, p.M - 1u) * K4;
  let r2 = (p.offA / 4u) + min(row0 + 2u, p.M - 1u) * K4;
  let r3 = (p.offA / 4u) + min(row0 + 3u, p.M - 1u) * K4;
  let r4 = (p.offA / 4u) + min(row0 + 4u, p.M - 1u) * K4;
  let r5 = (p.offA / 4u) + min(row0 + 5u, p.M - 1u) * K4;
  let r6 = (p.offA / 4u) + min(row0 + 6u, p.M - 1u) * K4;
  let r7 = (p.offA / 4u) + min(row0 + 7u, p.M - 1u) * K4;
  var bi = p.offB / 4u + gid.x * 2u;
  var c0 = vec4f(0.0); var d0 = vec4f(0.0);
  var c1 = vec4f(0.0); var d1 = vec4f(0.0);
  var c2 = vec4f(0.0); var d2 = vec4f(0.0);
  var c3 = vec4f(0.0); var d3 = vec4f(0.0);
  var c4 = vec4f(0.0); var d4 = vec4f(0.0);
  var c5 = vec4f(0.0); var d5 = vec4f(0.0);
  var c6 = vec4f(0.0); var d6 = vec4f(0.0);
  var c7 = vec4f(0.0); var d7 = vec4f(0.0);
  for (var k4 = 0u; k4 < K4; k4++) {
    let b0 = B[bi]; let b1 = B[bi + N4]; let b2 = B[bi + 2u * N4]; let b3 = B[bi + 3u * N4];
    let f0 = B[bi + e]; let f1 = B[bi + N4 + e]; let f2 = B[bi + 2u * N4 + e]; let f3 = B[bi + 3u * N4 + e];
    bi += 4u * N4;
    let a0 = A[r0 + k4];
    let a1 = A[r1 + k4];
    let a2 = A[r2 + k4];
    let a3 = A[r3 + k4];
    let a4 = A[r4 + k4];
    let a5 = A[r5 + k4];
    let a6 = A[r6 + k4];
    let a7 = A[r7 + k4];
    c0 += a0.x * b0 + a0.y * b1 + a0.z * b2 + a0.w * b3;
    d0 += a0.x * f0 + a0.y * f1 + a0.z * f2 + a0.w * f3;
    c1 += a1.x * b0 + a1.y * b1 + a1.z * b2 + a1.w * b3;
    d1 += a1.x * f0 + a1.y * f1 + a1.z * f2 + a1.w * f3;
    c2 += a2.x * b0 + a2.y * b1 + a2.z * b2 + a2.w * b3;
    d2 += a2.x * f0 + a2.y * f1 + a2.z * f2 + a2.w * f3;
    c3 += a3.x * b0 + a3.y * b1 + a3.z * b2 + a3.w * b3;
    d3 += a3.x * f0 + a3.y * f1 + a3.z * f2 + a3.w * f3;
    c4 += a4.x * b0 + a4.y * b1 + a4.z * b2 + a4.w * b3;
    d4 += a4.x * f0 + a4.y * f1 + a4.z * f2 + a4.w * f3;
    c5 += a5.x * b0 + a5.y * b1 + a5.z * b2 + a5.w * b3;
    d5 += a5.x * f0 + a5.y * f1 + a5.z * f2 + a5.w * f3;
    c6 += a6.x * b0 + a6.y * b1 + a6.z * b2 + a6.w * b3;
    d6 += a6.x * f0 + a6.y * f1 + a6.z * f2 + a6.w * f3;
    c7 += a7.x * b0 + a7.y * b1 + a7.z * b2 + a7.w * b3;
    d7 += a7.x * f0 + a7.y * f1 + a7.z * f2 + a7.w * f3;
  }
  store4v(row0 + 0u, col0, c0); store4v(row0 + 1u, col0, c1); store4v(row0 + 2u, col0, c2); store4v(row0 + 3u, col0, c3); store4v(row0 + 4u, col0, c4); store4v(row0 + 5u, col0, c5); store4v(row0 + 6u, col0, c6); store4v(row0 + 7u, col0, c7);
  if (second) {
    store4v(row0 + 0u, col0 + 4u, d0); store4v(row0 + 1u, col0 + 4u, d1); store4v(row0 + 2u, col0 + 4u, d2); store4v(row0 + 3u, col0 + 4u, d3); store4v(row0 + 4u, col0 + 4u, d4); store4v(row0 + 5u, col0 + 4u, d5); store4v(row0 + 6u, col0 + 4u, d6); store4v(row0 + 7u, col0 + 4u, d7);
  }
}

// tn: 8 rows x 8 columns per invocation (two A vec4s and two B vec4s per k serve 64 products: on CPU Vulkan
// implementations loads cost far more than arithmetic); blocks past M or N are computed from clamped indices
// and not stored.
@compute @workgroup_size(WG_X, WG_Y)
fn tn(@builtin(global_invocation_id) gid: vec3u) {
  let row0 = gid.y * 8u;
  let col0 = gid.x * 8u;
  if (row0 >= p.M || col0 >= p.N) { return; }
  let M4 = p.M / 4u;
  let N4 = p.N / 4u;
  let secondRow = row0 + 4u < p.M;
  let secondCol = col0 + 4u < p.N;
  var ai = p.offA / 4u + gid.y * 2u;
  var bi = p.offB / 4u + gid.x * 2u;
  let aStep = select(0u, 1u, secondRow);
  let bStep = select(0u, 1u, secondCol);
  var c0 = vec4f(0.0); var c1 = vec4f(0.0); var c2 = vec4f(0.0); var c3 = vec4f(0.0);
  var c4 = vec4f(0.0); var c5 = vec4f(0.0); var c6 = vec4f(0.0); var c7 = vec4f(0.0);
  var d0 = vec4f(0.0); var d1 = vec4f(0.0); var d2 = vec4f(0.0); var d3 = vec4f(0.0);
  var d4 = vec4f(0.0); var d5 = vec4f(0.0); var d6 = vec4f(0.0); var d7 = vec4f(0.0);
  for (var k = 0u; k < p.K; k++) {
    let a = A[ai];
    let f = A[ai + aStep];
    let b = B[bi];
    let e = B[bi + bStep];
    ai += M4;
    bi += N4;
    c0 += a.x * b; c1 += a.y * b; c2 += a.z * b; c3 += a.w * b;
    c4 += f.x * b; c5 += f.y * b; c6 += f.z * b; c7 += f.w * b;
    d0 += a.x * e; d1 += a.y * e; d2 += a.z * e; d3 += a.w * e;
    d4 += f.x * e; d5 += f.y * e; d6 += f.z * e; d7 += f.w * e;
  }
  store4v(row0, col0, c0); store4v(row0 + 1u, col0, c1); store4v(row0 + 2u, col0, c2); store4v(row0 + 3u, col0, c3);
  if (secondCol) {
    store4v(row0, col0 + 4u, d0); store4v(row0 + 1u, col0 + 4u, d1); store4v(row0 + 2u, col0 + 4u, d2); store4v(row0 + 3u, col0 + 4u, d3);
  }
  if (secondRow) {
    store4v(row0 + 4u, col0, c4); store4v(row0 + 5u, col0, c5); store4v(row0 + 6u, col0, c6); store4v(row0 + 7u, col0, c7);
    if (secondCol) {
      store4v(row0 + 4u, col0 + 4u, d4); store4v(row0 + 5u, col0 + 4u, d5); store4v(row0 + 6u, col0 + 4u, d6); store4v(row0 + 7u, col0 + 4u, d7);
    }
  }
}

// nt: 8 rows x 8 columns per invocation (8 A vec4s and 8 B vec4s serve 64 dot products of 4 per k4).
@compute @workgroup_size(WG_X, WG_Y)
fn nt(@builtin(global_invocation_id) gid: vec3u) {
  let row0 = gid.y * 8u;
  let col0 = gid.x * 8u;
  if (row0 >= p.M || col0 >= p.N) { return; }
  let K4 = p.K / 4u;
  let a0i = p.offA / 4u + min(row0 + 0u, p.M - 1u) * K4;
  let a1i = p.offA / 4u + min(row0 + 1u, p.M - 1u) * K4;
  let a2i = p.offA / 4u + min(row0 + 2u, p.M - 1u) * K4;
  let a3i = p.offA / 4u + min(row0 + 3u, p.M - 1u) * K4;
  let a4i = p.offA / 4u + min(row0 + 4u, p.M - 1u) * K4;
  let a5i = p.offA / 4u + min(row0 + 5u, p.M - 1u) * K4;
  let a6i = p.offA / 4u + min(row0 + 6u, p.M - 1u) * K4;
  let a7i = p.offA / 4u + min(row0 + 7u, p.M - 1u) * K4;
  let b0i = p.offB / 4u + min(col0 + 0u, p.N - 1u) * K4;
  let b1i = p.offB / 4u + min(col0 + 1u, p.N - 1u) * K4;
  let b2i = p.offB / 4u + min(col0 + 2u, p.N - 1u) * K4;
  let b3i = p.offB / 4u + min(col0 + 3u, p.N - 1u) * K4;
  let b4i = p.offB / 4u + min(col0 + 4u, p.N - 1u) * K4;
  let b5i = p.offB / 4u + min(col0 + 5u, p.N - 1u) * K4;
  let b6i = p.offB / 4u + min(col0 + 6u, p.N - 1u) * K4;
  let b7i = p.offB / 4u + min(col0 + 7u, p.N - 1u) * K4;
  var c0 = vec4f(0.0); var d0 = vec4f(0.0);
  var c1 = vec4f(0.0); var d1 = vec4f(0.0);
  var c2 = vec4f(0.0); var d2 = vec4f(0.0);
  var c3 = vec4f(0.0); var d3 = vec4f(0.0);
  var c4 = vec4f(0.0); var d4 = vec4f(0.0);
  var c5 = vec4f(0.0); var d5 = vec4f(0.0);
  var c6 = vec4f(0.0); var d6 = vec4f(0.0);
  var c7 = vec4f(0.0); var d7 = vec4f(0.0);
  for (var k4 = 0u; k4 < K4; k4++) {
    let b0 = B[b0i + k4]; let b1 = B[b1i + k4]; let b2 = B[b2i + k4]; let b3 = B[b3i + k4]; let b4 = B[b4i + k4]; let b5 = B[b5i + k4]; let b6 = B[b6i + k4]; let b7 = B[b7i + k4];
    let a0 = A[a0i + k4];
    c0 += vec4f(dot(a0, b0), dot(a0, b1), dot(a0, b2), dot(a0, b3));
    d0 += vec4f(dot(a0, b4), dot(a0, b5), dot(a0, b6), dot(a0, b7));
    let a1 = A[a1i + k4];
    c1 += vec4f(dot(a1, b0), dot(a1, b1), dot(a1, b2), dot(a1, b3));
    d1 += vec4f(dot(a1, b4), dot(a1, b5), dot(a1, b6), dot(a1, b7));
    let a2 = A[a2i + k4];
    c2 += vec4f(dot(a2, b0), dot(a2, b1), dot(a2, b2), dot(a2, b3));
    d2 += vec4f(dot(a2, b4), dot(a2, b5), dot(a2, b6), dot(a2, b7));
    let a3 = A[a3i + k4];
    c3 += vec4f(dot(a3, b0), dot(a3, b1), dot(a3, b2), dot(a3, b3));
    d3 += vec4f(dot(a3, b4), dot(a3, b5), dot(a3, b6), dot(a3, b7));
    let a4 = A[a4i + k4];
    c4 += vec4f(dot(a4, b0), dot(a4, b1), dot(a4, b2), dot(a4, b3));
    d4 += vec4f(dot(a4, b4), dot(a4, b5), dot(a4, b6), dot(a4, b7));
    let a5 = A[a5i + k4];
    c5 += vec4f(dot(a5, b0), dot(a5, b1), dot(a5, b2), dot(a5, b3));
    d5 += vec4f(dot(a5, b4), dot(a5, b5), dot(a5, b6), dot(a5, b7));
    let a6 = A[a6i + k4];
    c6 += vec4f(dot(a6, b0), dot(a6, b1), dot(a6, b2), dot(a6, b3));
    d6 += vec4f(dot(a6, b4), dot(a6, b5), dot(a6, b6), dot(a6, b7));
    let a7 = A[a7i + k4];
    c7 += vec4f(dot(a7, b0), dot(a7, b1), dot(a7, b2), dot(a7, b3));
    d7 += vec4f(dot(a7, b4), dot(a7, b5), dot(a7, b6), dot(a7, b7));
  }
  store4(row0 + 0u, col0, c0); store4(row0 + 1u, col0, c1); store4(row0 + 2u, col0, c2); store4(row0 + 3u, col0, c3); store4(row0 + 4u, col0, c4); store4(row0 + 5u, col0, c5); store4(row0 + 6u, col0, c6); store4(row0 + 7u, col0, c7);
  if (col0 + 4u < p.N) {
    store4(row0 + 0u, col0 + 4u, d0); store4(row0 + 1u, col0 + 4u, d1); store4(row0 + 2u, col0 + 4u, d2); store4(row0 + 3u, col0 + 4u, d3); store4(row0 + 4u, col0 + 4u, d4); store4(row0 + 5u, col0 + 4u, d5); store4(row0 + 6u, col0 + 4u, d6); store4(row0 + 7u, col0 + 4u, d7);
  }
}
