// rnn.wgsl — the basic (Elman) RNN time step with tanh, forward and backward.
//
//   XW [T][B][H]    x_t·Wx + b for every step (one matmul before the loop)
//   Wh [H][H]       recurrent weights
//   Hs [T+1][B][H]  hidden states, slot 0 = initial state (zeros, or `state` copied in by `init`)
//   state [B][H]    carried h between batches
//
// Forward (per unit j, row b, one dispatch per t):  h_t = tanh(XW[t] + h_{t-1}·Wh)
// Backward (t = T-1 down to 0):
//   dh_t = dHs[t] + [t = T-1] dhT + Σ_j' dA[t+1][b][j'] * Wh[j][j']
//   dA[t] = dh_t * (1 - h_t²)            (gradient of the pre-activation)
// Weight gradients afterwards: dWh = Hs[0..T-1]ᵀ·dA, dWx = Xᵀ·dA, db = colsum(dA), dX = dA·Wxᵀ.

struct Params {
  T: u32, B: u32, H: u32, t: u32,
  useState: u32, writeState: u32, hasDHs: u32, hasDhT: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> XW: array<f32>;
@group(0) @binding(2) var<storage, read> Wh: array<f32>;
@group(0) @binding(3) var<storage, read_write> Hs: array<f32>;
@group(0) @binding(6) var<storage, read_write> state: array<f32>;

override WG: u32 = 64;

fn tanh_s(x: f32) -> f32 { let e = exp(-2.0 * abs(x)); return sign(x) * (1.0 - e) / (1.0 + e); }

// Forward step: one invocation per 4 hidden units x 8 batch rows, a register tile written out by hand (as in
// lstm.wgsl): per k it loads 4 weights and 8 floats of h for 32 multiply-adds. Rows past B and units past H
// are computed from clamped indices and not stored. Slot 0 of Hs is the initial state: zeros written here at
// t = 0, or the carried state copied in by `init`.
@compute @workgroup_size(WG)
fn forward_step(@builtin(global_invocation_id) gid: vec3u) {
  let jBase = gid.x * 4u;
  let bBase = gid.y * 8u;
  if (jBase >= p.H || bBase >= p.B) { return; }
  let t = p.t;
  let H = p.H;
  let B = p.B;
  let BH = B * H;
  let zeroState = t == 0u && p.useState == 0u;
  let j0 = min(jBase + 0u, H - 1u);
  let j1 = min(jBase + 1u, H - 1u);
  let j2 = min(jBase + 2u, H - 1u);
  let j3 = min(jBase + 3u, H - 1u);
  let b0 = min(bBase + 0u, B - 1u);
  let s0 = t * BH + b0 * H;
  let b1 = min(bBase + 1u, B - 1u);
  let s1 = t * BH + b1 * H;
  let b2 = min(bBase + 2u, B - 1u);
  let s2 = t * BH + b2 * H;
  let b3 = min(bBase + 3u, B - 1u);
  let s3 = t * BH + b3 * H;
  let b4 = min(bBase + 4u, B - 1u);
  let s4 = t * BH + b4 * H;
  let b5 = min(bBase + 5u, B - 1u);
  let s5 = t * BH + b5 * H;
  let b6 = min(bBase + 6u, B - 1u);
  let s6 = t * BH + b6 * H;
  let b7 = min(bBase + 7u, B - 1u);
  let s7 = t * BH + b7 * H;
  var a0_0 = XW[(t * B + b0) * H + j0]; var a0_1 = XW[(t * B + b0) * H + j1]; var a0_2 = XW[(t * B + b0) * H + j2]; var a0_3 = XW[(t * B + b0) * H + j3];
  var a1_0 = XW[(t * B + b1) * H + j0]; var a1_1 = XW[(t * B + b1) * H + j1]; var a1_2 = XW[(t * B + b1) * H + j2]; var a1_3 = XW[(t * B + b1) * H + j3];
  var a2_0 = XW[(t * B + b2) * H + j0]; var a2_1 = XW[(t * B + b2) * H + j1]; var a2_2 = XW[(t * B + b2) * H + j2]; var a2_3 = XW[(t * B + b2) * H + j3];
  var a3_0 = XW[(t * B + b3) * H + j0]; var a3_1 = XW[(t * B + b3) * H + j1]; var a3_2 = XW[(t * B + b3) * H + j2]; var a3_3 = XW[(t * B + b3) * H + j3];
  var a4_0 = XW[(t * B + b4) * H + j0]; var a4_1 = XW[(t * B + b4) * H + j1]; var a4_2 = XW[(t * B + b4) * H + j2]; var a4_3 = XW[(t * B + b4) * H + j3];
  var a5_0 = XW[(t * B + b5) * H + j0]; var a5_1 = XW[(t * B + b5) * H + j1]; var a5_2 = XW[(t * B + b5) * H + j2]; var a5_3 = XW[(t * B + b5) * H + j3];
  var a6_0 = XW[(t * B + b6) * H + j0]; var a6_1 = XW[(t * B + b6) * H + j1]; var a6_2 = XW[(t * B + b6) * H + j2]; var a6_3 = XW[(t * B + b6) * H + j3];
  var a7_0 = XW[(t * B + b7) * H + j0]; var a7_1 = XW[(t * B + b7) * H + j1]; var a7_2 = XW[(t * B + b7) * H + j2]; var a7_3 = XW[(t * B + b7) * H + j3];
  if (!zeroState) {
    for (var k = 0u; k < H; k++) {
      let w0 = Wh[k * H + j0]; let w1 = Wh[k * H + j1]; let w2 = Wh[k * H + j2]; let w3 = Wh[k * H + j3];
      let h0 = Hs[s0 + k];
      let h1 = Hs[s1 + k];
      let h2 = Hs[s2 + k];
      let h3 = Hs[s3 + k];
      let h4 = Hs[s4 + k];
      let h5 = Hs[s5 + k];
      let h6 = Hs[s6 + k];
      let h7 = Hs[s7 + k];
      a0_0 += h0 * w0; a0_1 += h0 * w1; a0_2 += h0 * w2; a0_3 += h0 * w3;
      a1_0 += h1 * w0; a1_1 += h1 * w1; a1_2 += h1 * w2; a1_3 += h1 * w3;
      a2_0 += h2 * w0; a2_1 += h2 * w1; a2_2 += h2 * w2; a2_3 += h2 * w3;
      a3_0 += h3 * w0; a3_1 += h3 * w1; a3_2 += h3 * w2; a3_3 += h3 * w3;
      a4_0 += h4 * w0; a4_1 += h4 * w1; a4_2 += h4 * w2; a4_3 += h4 * w3;
      a5_0 += h5 * w0; a5_1 += h5 * w1; a5_2 += h5 * w2; a5_3 += h5 * w3;
      a6_0 += h6 * w0; a6_1 += h6 * w1; a6_2 += h6 * w2; a6_3 += h6 * w3;
      a7_0 += h7 * w0; a7_1 += h7 * w1; a7_2 += h7 * w2; a7_3 += h7 * w3;
    }
  }
  forward_cell(a0_0, bBase + 0u, jBase + 0u, zeroState); forward_cell(a0_1, bBase + 0u, jBase + 1u, zeroState); forward_cell(a0_2, bBase + 0u, jBase + 2u, zeroState); forward_cell(a0_3, bBase + 0u, jBase + 3u, zeroState);
  forward_cell(a1_0, bBase + 1u, jBase + 0u, zeroState); forward_cell(a1_1, bBase + 1u, jBase + 1u, zeroState); forward_cell(a1_2, bBase + 1u, jBase + 2u, zeroState); forward_cell(a1_3, bBase + 1u, jBase + 3u, zeroState);
  forward_cell(a2_0, bBase + 2u, jBase + 0u, zeroState); forward_cell(a2_1, bBase + 2u, jBase + 1u, zeroState); forward_cell(a2_2, bBase + 2u, jBase + 2u, zeroState); forward_cell(a2_3, bBase + 2u, jBase + 3u, zeroState);
  forward_cell(a3_0, bBase + 3u, jBase + 0u, zeroState); forward_cell(a3_1, bBase + 3u, jBase + 1u, zeroState); forward_cell(a3_2, bBase + 3u, jBase + 2u, zeroState); forward_cell(a3_3, bBase + 3u, jBase + 3u, zeroState);
  forward_cell(a4_0, bBase + 4u, jBase + 0u, zeroState); forward_cell(a4_1, bBase + 4u, jBase + 1u, zeroState); forward_cell(a4_2, bBase + 4u, jBase + 2u, zeroState); forward_cell(a4_3, bBase + 4u, jBase + 3u, zeroState);
  forward_cell(a5_0, bBase + 5u, jBase + 0u, zeroState); forward_cell(a5_1, bBase + 5u, jBase + 1u, zeroState); forward_cell(a5_2, bBase + 5u, jBase + 2u, zeroState); forward_cell(a5_3, bBase + 5u, jBase + 3u, zeroState);
  forward_cell(a6_0, bBase + 6u, jBase + 0u, zeroState); forward_cell(a6_1, bBase + 6u, jBase + 1u, zeroState); forward_cell(a6_2, bBase + 6u, jBase + 2u, zeroState); forward_cell(a6_3, bBase + 6u, jBase + 3u, zeroState);
  forward_cell(a7_0, bBase + 7u, jBase + 0u, zeroState); forward_cell(a7_1, bBase + 7u, jBase + 1u, zeroState); forward_cell(a7_2, bBase + 7u, jBase + 2u, zeroState); forward_cell(a7_3, bBase + 7u, jBase + 3u, zeroState);
}

// Forward step when H % 4 = 0: the same 4 units x 8 rows, but XW, Wh and h are read as vec4s (binding the
// buffers a second time as vec4 arrays: Hs4 is also where h_t is written, so Hs itself is not bound). Per 4 k:
// 4 vec4 of Wh (rows k..k+3, units j..j+3) and 8 vec4 of h for 128 multiply-adds (forward_step: 48 loads).
@group(0) @binding(11) var<storage, read> XW4: array<vec4f>;
@group(0) @binding(12) var<storage, read> Wh4: array<vec4f>;
@group(0) @binding(13) var<storage, read_write> Hs4: array<vec4f>;

@compute @workgroup_size(WG)
fn forward_step_v4(@builtin(global_invocation_id) gid: vec3u) {
  let jBase = gid.x * 4u;
  let bBase = gid.y * 8u;
  if (jBase >= p.H || bBase >= p.B) { return; }
  let t = p.t;
  let B = p.B;
  let H4 = p.H / 4u;
  let j4 = gid.x;
  let zeroState = t == 0u && p.useState == 0u;
  let b0 = min(bBase + 0u, B - 1u);
  var a0 = XW4[(t * B + b0) * H4 + j4];
  let b1 = min(bBase + 1u, B - 1u);
  var a1 = XW4[(t * B + b1) * H4 + j4];
  let b2 = min(bBase + 2u, B - 1u);
  var a2 = XW4[(t * B + b2) * H4 + j4];
  let b3 = min(bBase + 3u, B - 1u);
  var a3 = XW4[(t * B + b3) * H4 + j4];
  let b4 = min(bBase + 4u, B - 1u);
  var a4 = XW4[(t * B + b4) * H4 + j4];
  let b5 = min(bBase + 5u, B - 1u);
  var a5 = XW4[(t * B + b5) * H4 + j4];
  let b6 = min(bBase + 6u, B - 1u);
  var a6 = XW4[(t * B + b6) * H4 + j4];
  let b7 = min(bBase + 7u, B - 1u);
  var a7 = XW4[(t * B + b7) * H4 + j4];
  if (!zeroState) {
    let s0 = (t * B + b0) * H4;
    let s1 = (t * B + b1) * H4;
    let s2 = (t * B + b2) * H4;
    let s3 = (t * B + b3) * H4;
    let s4 = (t * B + b4) * H4;
    let s5 = (t * B + b5) * H4;
    let s6 = (t * B + b6) * H4;
    let s7 = (t * B + b7) * H4;
    for (var k4 = 0u; k4 < H4; k4++) {
      let w0 = Wh4[(4u * k4 + 0u) * H4 + j4];
      let w1 = Wh4[(4u * k4 + 1u) * H4 + j4];
      let w2 = Wh4[(4u * k4 + 2u) * H4 + j4];
      let w3 = Wh4[(4u * k4 + 3u) * H4 + j4];
      let h0 = Hs4[s0 + k4];
      a0 += h0.x * w0 + h0.y * w1 + h0.z * w2 + h0.w * w3;
      let h1 = Hs4[s1 + k4];
      a1 += h1.x * w0 + h1.y * w1 + h1.z * w2 + h1.w * w3;
      let h2 = Hs4[s2 + k4];
      a2 += h2.x * w0 + h2.y * w1 + h2.z * w2 + h2.w * w3;
      let h3 = Hs4[s3 + k4];
      a3 += h3.x * w0 + h3.y * w1 + h3.z * w2 + h3.w * w3;
      let h4 = Hs4[s4 + k4];
      a4 += h4.x * w0 + h4.y * w1 + h4.z * w2 + h4.w * w3;
      let h5 = Hs4[s5 + k4];
      a5 += h5.x * w0 + h5.y * w1 + h5.z * w2 + h5.w * w3;
      let h6 = Hs4[s6 + k4];
      a6 += h6.x * w0 + h6.y * w1 + h6.z * w2 + h6.w * w3;
      let h7 = Hs4[s7 + k4];
      a7 += h7.x * w0 + h7.y * w1 + h7.z * w2 + h7.w * w3;
    }
  }
  forward_cell4(a0, bBase + 0u, j4, zeroState);
  forward_cell4(a1, bBase + 1u, j4, zeroState);
  forward_cell4(a2, bBase + 2u, j4, zeroState);
  forward_cell4(a3, bBase + 3u, j4, zeroState);
  forward_cell4(a4, bBase + 4u, j4, zeroState);
  forward_cell4(a5, bBase + 5u, j4, zeroState);
  forward_cell4(a6, bBase + 6u, j4, zeroState);
  forward_cell4(a7, bBase + 7u, j4, zeroState);
}

// h = tanh(a) for one row and 4 units of forward_step_v4 (whole vec4 stores), stored only for rows inside B.
fn forward_cell4(a: vec4f, b: u32, j4: u32, zeroState: bool) {
  if (b >= p.B) { return; }
  let H4 = p.H / 4u;
  let at = (p.t * p.B + b) * H4 + j4;
  if (zeroState) { Hs4[at] = vec4f(0.0); }
  let h = vec4f(tanh_s(a.x), tanh_s(a.y), tanh_s(a.z), tanh_s(a.w));
  Hs4[at + p.B * H4] = h;
  if (p.t + 1u == p.T && p.writeState == 1u) {
    let s = b * p.H + 4u * j4;
    state[s] = h.x; state[s + 1u] = h.y; state[s + 2u] = h.z; state[s + 3u] = h.w;
  }
}

// h = tanh(a) for one (row, unit) of forward_step, stored only inside [B, H].
fn forward_cell(a: f32, b: u32, j: u32, zeroState: bool) {
  if (b >= p.B || j >= p.H) { return; }
  let BH = p.B * p.H;
  let at = p.t * BH + b * p.H + j;
  if (zeroState) { Hs[at] = 0.0; }
  let h = tanh_s(a);
  Hs[at + BH] = h;
  if (p.t + 1u == p.T && p.writeState == 1u) { state[b * p.H + j] = h; }
}

// Copies the carried h into slot 0 of Hs before the first step (when useState).
@compute @workgroup_size(WG)
fn init(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x >= p.B * p.H) { return; }
  Hs[gid.x] = state[gid.x];
}

@compute @workgroup_size(WG)
fn carry(@builtin(global_invocation_id) gid: vec3u) {
  let BH = p.B * p.H;
  if (gid.x >= BH) { return; }
  state[gid.x] = Hs[p.T * BH + gid.x];
}

@group(0) @binding(7) var<storage, read> dHs: array<f32>;
@group(0) @binding(8) var<storage, read> dhT: array<f32>;
@group(0) @binding(9) var<storage, read_write> dA: array<f32>;

// Backward step: one invocation per 4 hidden units x 8 batch rows (a register tile, as forward_step): per k it
// loads 4 weights of the rows j of Wh and 8 floats of dA[t+1] for 32 multiply-adds.
@compute @workgroup_size(WG)
fn backward_step(@builtin(global_invocation_id) gid: vec3u) {
  let jBase = gid.x * 4u;
  let bBase = gid.y * 8u;
  if (jBase >= p.H || bBase >= p.B) { return; }
  let t = p.t;
  let H = p.H;
  let B = p.B;
  var d0_0 = 0.0; var d0_1 = 0.0; var d0_2 = 0.0; var d0_3 = 0.0;
  var d1_0 = 0.0; var d1_1 = 0.0; var d1_2 = 0.0; var d1_3 = 0.0;
  var d2_0 = 0.0; var d2_1 = 0.0; var d2_2 = 0.0; var d2_3 = 0.0;
  var d3_0 = 0.0; var d3_1 = 0.0; var d3_2 = 0.0; var d3_3 = 0.0;
  var d4_0 = 0.0; var d4_1 = 0.0; var d4_2 = 0.0; var d4_3 = 0.0;
  var d5_0 = 0.0; var d5_1 = 0.0; var d5_2 = 0.0; var d5_3 = 0.0;
  var d6_0 = 0.0; var d6_1 = 0.0; var d6_2 = 0.0; var d6_3 = 0.0;
  var d7_0 = 0.0; var d7_1 = 0.0; var d7_2 = 0.0; var d7_3 = 0.0;
  if (t + 1u < p.T) {
    let w0Row = min(jBase + 0u, H - 1u) * H;
    let w1Row = min(jBase + 1u, H - 1u) * H;
    let w2Row = min(jBase + 2u, H - 1u) * H;
    let w3Row = min(jBase + 3u, H - 1u) * H;
    let n0 = ((t + 1u) * B + min(bBase + 0u, B - 1u)) * H;
    let n1 = ((t + 1u) * B + min(bBase + 1u, B - 1u)) * H;
    let n2 = ((t + 1u) * B + min(bBase + 2u, B - 1u)) * H;
    let n3 = ((t + 1u) * B + min(bBase + 3u, B - 1u)) * H;
    let n4 = ((t + 1u) * B + min(bBase + 4u, B - 1u)) * H;
    let n5 = ((t + 1u) * B + min(bBase + 5u, B - 1u)) * H;
    let n6 = ((t + 1u) * B + min(bBase + 6u, B - 1u)) * H;
    let n7 = ((t + 1u) * B + min(bBase + 7u, B - 1u)) * H;
    for (var k = 0u; k < H; k++) {
      let w0 = Wh[w0Row + k]; let w1 = Wh[w1Row + k]; let w2 = Wh[w2Row + k]; let w3 = Wh[w3Row + k];
      let g0 = dA[n0 + k];
      let g1 = dA[n1 + k];
      let g2 = dA[n2 + k];
      let g3 = dA[n3 + k];
      let g4 = dA[n4 + k];
      let g5 = dA[n5 + k];
      let g6 = dA[n6 + k];
      let g7 = dA[n7 + k];
      d0_0 += g0 * w0; d0_1 += g0 * w1; d0_2 += g0 * w2; d0_3 += g0 * w3;
      d1_0 += g1 * w0; d1_1 += g1 * w1; d1_2 += g1 * w2; d1_3 += g1 * w3;
      d2_0 += g2 * w0; d2_1 += g2 * w1; d2_2 += g2 * w2; d2_3 += g2 * w3;
      d3_0 += g3 * w0; d3_1 += g3 * w1; d3_2 += g3 * w2; d3_3 += g3 * w3;
      d4_0 += g4 * w0; d4_1 += g4 * w1; d4_2 += g4 * w2; d4_3 += g4 * w3;
      d5_0 += g5 * w0; d5_1 += g5 * w1; d5_2 += g5 * w2; d5_3 += g5 * w3;
      d6_0 += g6 * w0; d6_1 += g6 * w1; d6_2 += g6 * w2; d6_3 += g6 * w3;
      d7_0 += g7 * w0; d7_1 += g7 * w1; d7_2 += g7 * w2; d7_3 += g7 * w3;
    }
  }
  backward_cell(d0_0, bBase + 0u, jBase + 0u); backward_cell(d0_1, bBase + 0u, jBase + 1u); backward_cell(d0_2, bBase + 0u, jBase + 2u); backward_cell(d0_3, bBase + 0u, jBase + 3u);
  backward_cell(d1_0, bBase + 1u, jBase + 0u); backward_cell(d1_1, bBase + 1u, jBase + 1u); backward_cell(d1_2, bBase + 1u, jBase + 2u); backward_cell(d1_3, bBase + 1u, jBase + 3u);
  backward_cell(d2_0, bBase + 2u, jBase + 0u); backward_cell(d2_1, bBase + 2u, jBase + 1u); backward_cell(d2_2, bBase + 2u, jBase + 2u); backward_cell(d2_3, bBase + 2u, jBase + 3u);
  backward_cell(d3_0, bBase + 3u, jBase + 0u); backward_cell(d3_1, bBase + 3u, jBase + 1u); backward_cell(d3_2, bBase + 3u, jBase + 2u); backward_cell(d3_3, bBase + 3u, jBase + 3u);
  backward_cell(d4_0, bBase + 4u, jBase + 0u); backward_cell(d4_1, bBase + 4u, jBase + 1u); backward_cell(d4_2, bBase + 4u, jBase + 2u); backward_cell(d4_3, bBase + 4u, jBase + 3u);
  backward_cell(d5_0, bBase + 5u, jBase + 0u); backward_cell(d5_1, bBase + 5u, jBase + 1u); backward_cell(d5_2, bBase + 5u, jBase + 2u); backward_cell(d5_3, bBase + 5u, jBase + 3u);
  backward_cell(d6_0, bBase + 6u, jBase + 0u); backward_cell(d6_1, bBase + 6u, jBase + 1u); backward_cell(d6_2, bBase + 6u, jBase + 2u); backward_cell(d6_3, bBase + 6u, jBase + 3u);
  backward_cell(d7_0, bBase + 7u, jBase + 0u); backward_cell(d7_1, bBase + 7u, jBase + 1u); backward_cell(d7_2, bBase + 7u, jBase + 2u); backward_cell(d7_3, bBase + 7u, jBase + 3u);
}

// dA = dh * (1 - h²) for one (row, unit) of backward_step, stored only inside [B, H].
fn backward_cell(dRec: f32, b: u32, j: u32) {
  if (b >= p.B || j >= p.H) { return; }
  let t = p.t;
  let BH = p.B * p.H;
  var d = dRec;
  if (p.hasDHs == 1u) { d += dHs[t * BH + b * p.H + j]; }
  if (t + 1u == p.T && p.hasDhT == 1u) { d += dhT[b * p.H + j]; }
  let h = Hs[(t + 1u) * BH + b * p.H + j];
  dA[t * BH + b * p.H + j] = d * (1.0 - h * h);
}
