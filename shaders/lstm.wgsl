// lstm.wgsl — the fused LSTM time step, forward and backward.
//
// Shapes (B batch, T time steps, H hidden units), all row-major, time-major:
//   XW [T][B][4H]   input projection x_t·Wx + b for every step, computed before the loop by ONE matmul
//   Wh [H][4H]      recurrent weights, gate-interleaved: Wh[k][j] read as vec4 = (i, f, g, o) of unit j
//   Hs [T+1][B][H]  hidden states, slot 0 = initial state;  Cs [T+1][B][H] cell states likewise
//   G  [T][B][4H]   activated gates (i, f, g, o) saved for backward
//   state [2][B][H] carried (h, c) between batches (truncated BPTT): read at t = 0, written at t = T-1
//
// Forward, one dispatch per time step t (an invocation computes a register tile of 2 units x 8 rows; for
// batches under 4, forward_step_row: 4 units x 1 row):
//   a = XW[t] + h_{t-1}·Wh;  i = σ(a.i)  f = σ(a.f + forgetBias)  g = tanh(a.g)  o = σ(a.o)
//   c_t = f*c_{t-1} + i*g;   h_t = o*tanh(c_t)
//
// Backward, one dispatch per time step, t = T-1 down to 0 (a tile of 4 units x 8 rows per invocation; for
// batches under 4, backward_step_row: 4 units x 1 row, reading Wh itself instead of a transposed copy):
//   dh_t  = dHs[t] + [t = T-1] dhT + Σ_j' dG[t+1][b][j'] · Wh[j][j']     (the recurrent product, fused)
//   dc_t  = dcNext + dh_t * o * (1 - tanh²c_t)        dcNext = dc_{t+1} * f_{t+1} (carried in dC)
//   da_i = dc*g*i(1-i)   da_f = dc*c_{t-1}*f(1-f)   da_g = dc*i*(1-g²)   da_o = dh*tanh(c_t)*o(1-o)
//   dG[t] = (da_i, da_f, da_g, da_o);  dC = dc_t * f_t
// After the loop the weight gradients are single products over all T·B rows (see src/nn/ops).

struct Params {
  T: u32, B: u32, H: u32, t: u32,
  forgetBias: f32,
  useState: u32,   // forward: the initial state is the carried `state` (copied in by `init`), else zeros ...
  writeState: u32, // ... and write the final one back at t = T-1 (only when T > 1: with T = 1 the step would
                   // overwrite what other invocations still read; lstm_carry does it then)
  hasDHs: u32,     // backward: an upstream gradient for every step's h is bound
  hasDhT: u32,     // backward: an upstream gradient for the last h is bound
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> XW: array<vec4f>;
@group(0) @binding(2) var<storage, read> Wh: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> Hs: array<f32>;
@group(0) @binding(4) var<storage, read_write> Cs: array<f32>;
@group(0) @binding(5) var<storage, read_write> G: array<vec4f>;
@group(0) @binding(6) var<storage, read_write> state: array<f32>;

override WG: u32 = 64;

fn sigmoid(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
// tanh without overflow for large |x| (exp of a non-positive number only)
fn tanh_s(x: f32) -> f32 { let e = exp(-2.0 * abs(x)); return sign(x) * (1.0 - e) / (1.0 + e); }

// Forward step: one invocation per 2 hidden units x 8 batch rows (a register tile written out by hand:
// WGSL arrays indexed in loops end up in memory on CPU implementations of Vulkan). Per k it loads
// 2 vec4 of Wh and 8 floats of h for 64 multiply-adds. Rows past B and units past H are computed from
// clamped indices and not stored.
@compute @workgroup_size(WG)
fn forward_step(@builtin(global_invocation_id) gid: vec3u) {
  let jBase = gid.x * 2u;
  let bBase = gid.y * 8u;
  if (jBase >= p.H || bBase >= p.B) { return; }
  let t = p.t;
  let H = p.H;
  let B = p.B;
  let BH = B * H;
  let zeroState = t == 0u && p.useState == 0u;
  let j0 = min(jBase + 0u, H - 1u);
  let j1 = min(jBase + 1u, H - 1u);
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
  var a0_0 = XW[(t * B + b0) * H + j0];
  var a0_1 = XW[(t * B + b0) * H + j1];
  var a1_0 = XW[(t * B + b1) * H + j0];
  var a1_1 = XW[(t * B + b1) * H + j1];
  var a2_0 = XW[(t * B + b2) * H + j0];
  var a2_1 = XW[(t * B + b2) * H + j1];
  var a3_0 = XW[(t * B + b3) * H + j0];
  var a3_1 = XW[(t * B + b3) * H + j1];
  var a4_0 = XW[(t * B + b4) * H + j0];
  var a4_1 = XW[(t * B + b4) * H + j1];
  var a5_0 = XW[(t * B + b5) * H + j0];
  var a5_1 = XW[(t * B + b5) * H + j1];
  var a6_0 = XW[(t * B + b6) * H + j0];
  var a6_1 = XW[(t * B + b6) * H + j1];
  var a7_0 = XW[(t * B + b7) * H + j0];
  var a7_1 = XW[(t * B + b7) * H + j1];
  if (!zeroState) {
    for (var k = 0u; k < H; k++) {
      let w0 = Wh[k * H + j0];
      let w1 = Wh[k * H + j1];
      let h0 = Hs[s0 + k];
      let h1 = Hs[s1 + k];
      let h2 = Hs[s2 + k];
      let h3 = Hs[s3 + k];
      let h4 = Hs[s4 + k];
      let h5 = Hs[s5 + k];
      let h6 = Hs[s6 + k];
      let h7 = Hs[s7 + k];
      a0_0 += h0 * w0; a0_1 += h0 * w1;
      a1_0 += h1 * w0; a1_1 += h1 * w1;
      a2_0 += h2 * w0; a2_1 += h2 * w1;
      a3_0 += h3 * w0; a3_1 += h3 * w1;
      a4_0 += h4 * w0; a4_1 += h4 * w1;
      a5_0 += h5 * w0; a5_1 += h5 * w1;
      a6_0 += h6 * w0; a6_1 += h6 * w1;
      a7_0 += h7 * w0; a7_1 += h7 * w1;
    }
  }
  store_h(forward_cell(a0_0, bBase + 0u, jBase + 0u, zeroState), bBase + 0u, jBase + 0u, zeroState);
  store_h(forward_cell(a0_1, bBase + 0u, jBase + 1u, zeroState), bBase + 0u, jBase + 1u, zeroState);
  store_h(forward_cell(a1_0, bBase + 1u, jBase + 0u, zeroState), bBase + 1u, jBase + 0u, zeroState);
  store_h(forward_cell(a1_1, bBase + 1u, jBase + 1u, zeroState), bBase + 1u, jBase + 1u, zeroState);
  store_h(forward_cell(a2_0, bBase + 2u, jBase + 0u, zeroState), bBase + 2u, jBase + 0u, zeroState);
  store_h(forward_cell(a2_1, bBase + 2u, jBase + 1u, zeroState), bBase + 2u, jBase + 1u, zeroState);
  store_h(forward_cell(a3_0, bBase + 3u, jBase + 0u, zeroState), bBase + 3u, jBase + 0u, zeroState);
  store_h(forward_cell(a3_1, bBase + 3u, jBase + 1u, zeroState), bBase + 3u, jBase + 1u, zeroState);
  store_h(forward_cell(a4_0, bBase + 4u, jBase + 0u, zeroState), bBase + 4u, jBase + 0u, zeroState);
  store_h(forward_cell(a4_1, bBase + 4u, jBase + 1u, zeroState), bBase + 4u, jBase + 1u, zeroState);
  store_h(forward_cell(a5_0, bBase + 5u, jBase + 0u, zeroState), bBase + 5u, jBase + 0u, zeroState);
  store_h(forward_cell(a5_1, bBase + 5u, jBase + 1u, zeroState), bBase + 5u, jBase + 1u, zeroState);
  store_h(forward_cell(a6_0, bBase + 6u, jBase + 0u, zeroState), bBase + 6u, jBase + 0u, zeroState);
  store_h(forward_cell(a6_1, bBase + 6u, jBase + 1u, zeroState), bBase + 6u, jBase + 1u, zeroState);
  store_h(forward_cell(a7_0, bBase + 7u, jBase + 0u, zeroState), bBase + 7u, jBase + 0u, zeroState);
  store_h(forward_cell(a7_1, bBase + 7u, jBase + 1u, zeroState), bBase + 7u, jBase + 1u, zeroState);
}

// Forward step for small batches (B < 4, e.g. the fable's batch 1): one invocation per 4 units x 1 row, so
// no load is spent on rows that do not exist. Per k: 4 vec4 of Wh and 1 float of h for 16 multiply-adds.
@compute @workgroup_size(WG)
fn forward_step_row(@builtin(global_invocation_id) gid: vec3u) {
  let jBase = gid.x * 4u;
  let b = gid.y;
  if (jBase >= p.H || b >= p.B) { return; }
  let t = p.t;
  let H = p.H;
  let zeroState = t == 0u && p.useState == 0u;
  let j0 = min(jBase + 0u, H - 1u);
  let j1 = min(jBase + 1u, H - 1u);
  let j2 = min(jBase + 2u, H - 1u);
  let j3 = min(jBase + 3u, H - 1u);
  let row = (t * p.B + b) * H;
  var a0 = XW[row + j0];
  var a1 = XW[row + j1];
  var a2 = XW[row + j2];
  var a3 = XW[row + j3];
  if (!zeroState) {
    let s = t * p.B * H + b * H;
    for (var k = 0u; k < H; k++) {
      let h = Hs[s + k];
      a0 += h * Wh[k * H + j0];
      a1 += h * Wh[k * H + j1];
      a2 += h * Wh[k * H + j2];
      a3 += h * Wh[k * H + j3];
    }
  }
  store_h(forward_cell(a0, b, jBase + 0u, zeroState), b, jBase + 0u, zeroState);
  store_h(forward_cell(a1, b, jBase + 1u, zeroState), b, jBase + 1u, zeroState);
  store_h(forward_cell(a2, b, jBase + 2u, zeroState), b, jBase + 2u, zeroState);
  store_h(forward_cell(a3, b, jBase + 3u, zeroState), b, jBase + 3u, zeroState);
}

// Forward step when H % 4 = 0: as forward_step (2 units x 8 rows), but h is read 4 steps of k at a time as a
// vec4 through Hs4 (Hs seen as vec4s: rows of Hs start at multiples of 4). Per 4 k: 8 vec4 of Wh and 8 vec4
// of h for 256 multiply-adds (forward_step: 40 loads for the same). h_t is written through Hs4 as well
// (binding Hs and Hs4 to one buffer in one dispatch would alias a writable binding).
@group(0) @binding(13) var<storage, read_write> Hs4: array<vec4f>;

@compute @workgroup_size(WG)
fn forward_step_v4(@builtin(global_invocation_id) gid: vec3u) {
  let jBase = gid.x * 2u;
  let bBase = gid.y * 8u;
  if (jBase >= p.H || bBase >= p.B) { return; }
  let t = p.t;
  let H = p.H;
  let B = p.B;
  let H4 = H / 4u;
  let zeroState = t == 0u && p.useState == 0u;
  let j0 = min(jBase + 0u, H - 1u);
  let j1 = min(jBase + 1u, H - 1u);
  let b0 = min(bBase + 0u, B - 1u);
  let s0 = (t * B + b0) * H4;
  let b1 = min(bBase + 1u, B - 1u);
  let s1 = (t * B + b1) * H4;
  let b2 = min(bBase + 2u, B - 1u);
  let s2 = (t * B + b2) * H4;
  let b3 = min(bBase + 3u, B - 1u);
  let s3 = (t * B + b3) * H4;
  let b4 = min(bBase + 4u, B - 1u);
  let s4 = (t * B + b4) * H4;
  let b5 = min(bBase + 5u, B - 1u);
  let s5 = (t * B + b5) * H4;
  let b6 = min(bBase + 6u, B - 1u);
  let s6 = (t * B + b6) * H4;
  let b7 = min(bBase + 7u, B - 1u);
  let s7 = (t * B + b7) * H4;
  var a0_0 = XW[(t * B + b0) * H + j0];
  var a0_1 = XW[(t * B + b0) * H + j1];
  var a1_0 = XW[(t * B + b1) * H + j0];
  var a1_1 = XW[(t * B + b1) * H + j1];
  var a2_0 = XW[(t * B + b2) * H + j0];
  var a2_1 = XW[(t * B + b2) * H + j1];
  var a3_0 = XW[(t * B + b3) * H + j0];
  var a3_1 = XW[(t * B + b3) * H + j1];
  var a4_0 = XW[(t * B + b4) * H + j0];
  var a4_1 = XW[(t * B + b4) * H + j1];
  var a5_0 = XW[(t * B + b5) * H + j0];
  var a5_1 = XW[(t * B + b5) * H + j1];
  var a6_0 = XW[(t * B + b6) * H + j0];
  var a6_1 = XW[(t * B + b6) * H + j1];
  var a7_0 = XW[(t * B + b7) * H + j0];
  var a7_1 = XW[(t * B + b7) * H + j1];
  if (!zeroState) {
    for (var k4 = 0u; k4 < H4; k4++) {
      let w = k4 * 4u * H;
      let w0_0 = Wh[w + 0u * H + j0];
      let w1_0 = Wh[w + 0u * H + j1];
      let w0_1 = Wh[w + 1u * H + j0];
      let w1_1 = Wh[w + 1u * H + j1];
      let w0_2 = Wh[w + 2u * H + j0];
      let w1_2 = Wh[w + 2u * H + j1];
      let w0_3 = Wh[w + 3u * H + j0];
      let w1_3 = Wh[w + 3u * H + j1];
      let h0 = Hs4[s0 + k4];
      a0_0 += h0.x * w0_0 + h0.y * w0_1 + h0.z * w0_2 + h0.w * w0_3;
      a0_1 += h0.x * w1_0 + h0.y * w1_1 + h0.z * w1_2 + h0.w * w1_3;
      let h1 = Hs4[s1 + k4];
      a1_0 += h1.x * w0_0 + h1.y * w0_1 + h1.z * w0_2 + h1.w * w0_3;
      a1_1 += h1.x * w1_0 + h1.y * w1_1 + h1.z * w1_2 + h1.w * w1_3;
      let h2 = Hs4[s2 + k4];
      a2_0 += h2.x * w0_0 + h2.y * w0_1 + h2.z * w0_2 + h2.w * w0_3;
      a2_1 += h2.x * w1_0 + h2.y * w1_1 + h2.z * w1_2 + h2.w * w1_3;
      let h3 = Hs4[s3 + k4];
      a3_0 += h3.x * w0_0 + h3.y * w0_1 + h3.z * w0_2 + h3.w * w0_3;
      a3_1 += h3.x * w1_0 + h3.y * w1_1 + h3.z * w1_2 + h3.w * w1_3;
      let h4 = Hs4[s4 + k4];
      a4_0 += h4.x * w0_0 + h4.y * w0_1 + h4.z * w0_2 + h4.w * w0_3;
      a4_1 += h4.x * w1_0 + h4.y * w1_1 + h4.z * w1_2 + h4.w * w1_3;
      let h5 = Hs4[s5 + k4];
      a5_0 += h5.x * w0_0 + h5.y * w0_1 + h5.z * w0_2 + h5.w * w0_3;
      a5_1 += h5.x * w1_0 + h5.y * w1_1 + h5.z * w1_2 + h5.w * w1_3;
      let h6 = Hs4[s6 + k4];
      a6_0 += h6.x * w0_0 + h6.y * w0_1 + h6.z * w0_2 + h6.w * w0_3;
      a6_1 += h6.x * w1_0 + h6.y * w1_1 + h6.z * w1_2 + h6.w * w1_3;
      let h7 = Hs4[s7 + k4];
      a7_0 += h7.x * w0_0 + h7.y * w0_1 + h7.z * w0_2 + h7.w * w0_3;
      a7_1 += h7.x * w1_0 + h7.y * w1_1 + h7.z * w1_2 + h7.w * w1_3;
    }
  }
  store_h4(forward_cell(a0_0, bBase + 0u, jBase + 0u, zeroState), bBase + 0u, jBase + 0u, zeroState);
  store_h4(forward_cell(a0_1, bBase + 0u, jBase + 1u, zeroState), bBase + 0u, jBase + 1u, zeroState);
  store_h4(forward_cell(a1_0, bBase + 1u, jBase + 0u, zeroState), bBase + 1u, jBase + 0u, zeroState);
  store_h4(forward_cell(a1_1, bBase + 1u, jBase + 1u, zeroState), bBase + 1u, jBase + 1u, zeroState);
  store_h4(forward_cell(a2_0, bBase + 2u, jBase + 0u, zeroState), bBase + 2u, jBase + 0u, zeroState);
  store_h4(forward_cell(a2_1, bBase + 2u, jBase + 1u, zeroState), bBase + 2u, jBase + 1u, zeroState);
  store_h4(forward_cell(a3_0, bBase + 3u, jBase + 0u, zeroState), bBase + 3u, jBase + 0u, zeroState);
  store_h4(forward_cell(a3_1, bBase + 3u, jBase + 1u, zeroState), bBase + 3u, jBase + 1u, zeroState);
  store_h4(forward_cell(a4_0, bBase + 4u, jBase + 0u, zeroState), bBase + 4u, jBase + 0u, zeroState);
  store_h4(forward_cell(a4_1, bBase + 4u, jBase + 1u, zeroState), bBase + 4u, jBase + 1u, zeroState);
  store_h4(forward_cell(a5_0, bBase + 5u, jBase + 0u, zeroState), bBase + 5u, jBase + 0u, zeroState);
  store_h4(forward_cell(a5_1, bBase + 5u, jBase + 1u, zeroState), bBase + 5u, jBase + 1u, zeroState);
  store_h4(forward_cell(a6_0, bBase + 6u, jBase + 0u, zeroState), bBase + 6u, jBase + 0u, zeroState);
  store_h4(forward_cell(a6_1, bBase + 6u, jBase + 1u, zeroState), bBase + 6u, jBase + 1u, zeroState);
  store_h4(forward_cell(a7_0, bBase + 7u, jBase + 0u, zeroState), bBase + 7u, jBase + 0u, zeroState);
  store_h4(forward_cell(a7_1, bBase + 7u, jBase + 1u, zeroState), bBase + 7u, jBase + 1u, zeroState);
}

// Writes h_t (and, for a zero initial state, h_0 = 0) of one (row, unit) through the vec4 view.
fn store_h4(h: f32, b: u32, j: u32, zeroState: bool) {
  if (b >= p.B || j >= p.H) { return; }
  let at = p.t * p.B * p.H + b * p.H + j;
  if (zeroState) { Hs4[at / 4u][at % 4u] = 0.0; }
  let next = at + p.B * p.H;
  Hs4[next / 4u][next % 4u] = h;
}

// Writes h_t (and h_0 = 0 for a zero initial state) of one (row, unit).
fn store_h(h: f32, b: u32, j: u32, zeroState: bool) {
  if (b >= p.B || j >= p.H) { return; }
  let at = p.t * p.B * p.H + b * p.H + j;
  if (zeroState) { Hs[at] = 0.0; }
  Hs[at + p.B * p.H] = h;
}

// The gate math of one (row, unit) of a forward step: stores c_t, the gates and the carried state (only inside
// [B, H]) and returns h_t for the caller to store (store_h, store_h4).
fn forward_cell(a: vec4f, b: u32, j: u32, zeroState: bool) -> f32 {
  if (b >= p.B || j >= p.H) { return 0.0; }
  let t = p.t;
  let BH = p.B * p.H;
  let ig = sigmoid(a.x);
  let fg = sigmoid(a.y + p.forgetBias);
  let gg = tanh_s(a.z);
  let og = sigmoid(a.w);
  let at = t * BH + b * p.H + j;
  var cPrev = 0.0;
  if (zeroState) {
    Cs[at] = 0.0;
  } else {
    cPrev = Cs[at];
  }
  let c = fg * cPrev + ig * gg;
  let h = og * tanh_s(c);
  Cs[at + BH] = c;
  G[(t * p.B + b) * p.H + j] = vec4f(ig, fg, gg, og);
  if (t + 1u == p.T && p.writeState == 1u) {
    state[b * p.H + j] = h;
    state[BH + b * p.H + j] = c;
  }
  return h;
}

// Copies the carried (h, c) into slot 0 of Hs/Cs before the first step (when useState).
@compute @workgroup_size(WG)
fn init(@builtin(global_invocation_id) gid: vec3u) {
  let BH = p.B * p.H;
  if (gid.x >= BH) { return; }
  Hs[gid.x] = state[gid.x];
  Cs[gid.x] = state[BH + gid.x];
}

// Copies the final (h, c) into `state` for the next batch: used when T = 1 (see writeState).
@compute @workgroup_size(WG)
fn carry(@builtin(global_invocation_id) gid: vec3u) {
  let BH = p.B * p.H;
  if (gid.x >= BH) { return; }
  state[gid.x] = Hs[p.T * BH + gid.x];
  state[BH + gid.x] = Cs[p.T * BH + gid.x];
}

@group(0) @binding(7) var<storage, read> dHs: array<f32>;   // [T][B][H] upstream gradient of h_1..h_T
@group(0) @binding(8) var<storage, read> dhT: array<f32>;   // [B][H] upstream gradient of h_T
@group(0) @binding(9) var<storage, read_write> dG: array<vec4f>;  // [T][B][H] vec4: pre-activation gradients
@group(0) @binding(10) var<storage, read_write> dC: array<f32>;   // [B][H] dc_{t+1} * f_{t+1}, carried
@group(0) @binding(12) var<storage, read_write> WhT: array<vec4f>; // [H][H] vec4: WhT[k][j] = Wh[j][k]

// Lays Wh out for the backward steps' recurrent product (read by rows of the transposed matrix).
@compute @workgroup_size(WG)
fn transpose_wh(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  if (i >= p.H * p.H) { return; }
  let k = i / p.H;
  let j = i % p.H;
  WhT[i] = Wh[j * p.H + k];
}

// Backward step: one invocation per 4 hidden units x 8 batch rows (a register tile written out by hand).
// Per k it loads 4 vec4 of WhT and 8 vec4 of dG for 128 multiply-adds.
@compute @workgroup_size(WG)
fn backward_step(@builtin(global_invocation_id) gid: vec3u) {
  let jBase = gid.x * 4u;
  let bBase = gid.y * 8u;
  if (jBase >= p.H || bBase >= p.B) { return; }
  let t = p.t;
  let H = p.H;
  let B = p.B;
  var d0_0 = 0.0;
  var d0_1 = 0.0;
  var d0_2 = 0.0;
  var d0_3 = 0.0;
  var d1_0 = 0.0;
  var d1_1 = 0.0;
  var d1_2 = 0.0;
  var d1_3 = 0.0;
  var d2_0 = 0.0;
  var d2_1 = 0.0;
  var d2_2 = 0.0;
  var d2_3 = 0.0;
  var d3_0 = 0.0;
  var d3_1 = 0.0;
  var d3_2 = 0.0;
  var d3_3 = 0.0;
  var d4_0 = 0.0;
  var d4_1 = 0.0;
  var d4_2 = 0.0;
  var d4_3 = 0.0;
  var d5_0 = 0.0;
  var d5_1 = 0.0;
  var d5_2 = 0.0;
  var d5_3 = 0.0;
  var d6_0 = 0.0;
  var d6_1 = 0.0;
  var d6_2 = 0.0;
  var d6_3 = 0.0;
  var d7_0 = 0.0;
  var d7_1 = 0.0;
  var d7_2 = 0.0;
  var d7_3 = 0.0;
  if (t + 1u < p.T) {
    let j0 = min(jBase + 0u, H - 1u);
    let j1 = min(jBase + 1u, H - 1u);
    let j2 = min(jBase + 2u, H - 1u);
    let j3 = min(jBase + 3u, H - 1u);
    let n0 = ((t + 1u) * B + min(bBase + 0u, B - 1u)) * H;
    let n1 = ((t + 1u) * B + min(bBase + 1u, B - 1u)) * H;
    let n2 = ((t + 1u) * B + min(bBase + 2u, B - 1u)) * H;
    let n3 = ((t + 1u) * B + min(bBase + 3u, B - 1u)) * H;
    let n4 = ((t + 1u) * B + min(bBase + 4u, B - 1u)) * H;
    let n5 = ((t + 1u) * B + min(bBase + 5u, B - 1u)) * H;
    let n6 = ((t + 1u) * B + min(bBase + 6u, B - 1u)) * H;
    let n7 = ((t + 1u) * B + min(bBase + 7u, B - 1u)) * H;
    // WhT[k][j] = Wh[j][k] (transpose_wh, once per step).
    for (var k = 0u; k < H; k++) {
      let w0 = WhT[k * H + j0];
      let w1 = WhT[k * H + j1];
      let w2 = WhT[k * H + j2];
      let w3 = WhT[k * H + j3];
      let g0 = dG[n0 + k];
      let g1 = dG[n1 + k];
      let g2 = dG[n2 + k];
      let g3 = dG[n3 + k];
      let g4 = dG[n4 + k];
      let g5 = dG[n5 + k];
      let g6 = dG[n6 + k];
      let g7 = dG[n7 + k];
      d0_0 += dot(g0, w0); d0_1 += dot(g0, w1); d0_2 += dot(g0, w2); d0_3 += dot(g0, w3);
      d1_0 += dot(g1, w0); d1_1 += dot(g1, w1); d1_2 += dot(g1, w2); d1_3 += dot(g1, w3);
      d2_0 += dot(g2, w0); d2_1 += dot(g2, w1); d2_2 += dot(g2, w2); d2_3 += dot(g2, w3);
      d3_0 += dot(g3, w0); d3_1 += dot(g3, w1); d3_2 += dot(g3, w2); d3_3 += dot(g3, w3);
      d4_0 += dot(g4, w0); d4_1 += dot(g4, w1); d4_2 += dot(g4, w2); d4_3 += dot(g4, w3);
      d5_0 += dot(g5, w0); d5_1 += dot(g5, w1); d5_2 += dot(g5, w2); d5_3 += dot(g5, w3);
      d6_0 += dot(g6, w0); d6_1 += dot(g6, w1); d6_2 += dot(g6, w2); d6_3 += dot(g6, w3);
      d7_0 += dot(g7, w0); d7_1 += dot(g7, w1); d7_2 += dot(g7, w2); d7_3 += dot(g7, w3);
    }
  }
  backward_cell(d0_0, bBase + 0u, jBase + 0u);
  backward_cell(d0_1, bBase + 0u, jBase + 1u);
  backward_cell(d0_2, bBase + 0u, jBase + 2u);
  backward_cell(d0_3, bBase + 0u, jBase + 3u);
  backward_cell(d1_0, bBase + 1u, jBase + 0u);
  backward_cell(d1_1, bBase + 1u, jBase + 1u);
  backward_cell(d1_2, bBase + 1u, jBase + 2u);
  backward_cell(d1_3, bBase + 1u, jBase + 3u);
  backward_cell(d2_0, bBase + 2u, jBase + 0u);
  backward_cell(d2_1, bBase + 2u, jBase + 1u);
  backward_cell(d2_2, bBase + 2u, jBase + 2u);
  backward_cell(d2_3, bBase + 2u, jBase + 3u);
  backward_cell(d3_0, bBase + 3u, jBase + 0u);
  backward_cell(d3_1, bBase + 3u, jBase + 1u);
  backward_cell(d3_2, bBase + 3u, jBase + 2u);
  backward_cell(d3_3, bBase + 3u, jBase + 3u);
  backward_cell(d4_0, bBase + 4u, jBase + 0u);
  backward_cell(d4_1, bBase + 4u, jBase + 1u);
  backward_cell(d4_2, bBase + 4u, jBase + 2u);
  backward_cell(d4_3, bBase + 4u, jBase + 3u);
  backward_cell(d5_0, bBase + 5u, jBase + 0u);
  backward_cell(d5_1, bBase + 5u, jBase + 1u);
  backward_cell(d5_2, bBase + 5u, jBase + 2u);
  backward_cell(d5_3, bBase + 5u, jBase + 3u);
  backward_cell(d6_0, bBase + 6u, jBase + 0u);
  backward_cell(d6_1, bBase + 6u, jBase + 1u);
  backward_cell(d6_2, bBase + 6u, jBase + 2u);
  backward_cell(d6_3, bBase + 6u, jBase + 3u);
  backward_cell(d7_0, bBase + 7u, jBase + 0u);
  backward_cell(d7_1, bBase + 7u, jBase + 1u);
  backward_cell(d7_2, bBase + 7u, jBase + 2u);
  backward_cell(d7_3, bBase + 7u, jBase + 3u);
}

// Backward step for small batches (B < 4): one invocation per 4 units x 1 row, reading Wh in place (row j of
// Wh holds unit j's weights into every gate of every unit k), so no transposed copy is needed.
// Per k: 4 vec4 of Wh and 1 vec4 of dG for 16 multiply-adds.
@compute @workgroup_size(WG)
fn backward_step_row(@builtin(global_invocation_id) gid: vec3u) {
  let jBase = gid.x * 4u;
  let b = gid.y;
  if (jBase >= p.H || b >= p.B) { return; }
  let t = p.t;
  let H = p.H;
  var d0 = 0.0;
  var d1 = 0.0;
  var d2 = 0.0;
  var d3 = 0.0;
  if (t + 1u < p.T) {
    let r0 = min(jBase + 0u, H - 1u) * H;
    let r1 = min(jBase + 1u, H - 1u) * H;
    let r2 = min(jBase + 2u, H - 1u) * H;
    let r3 = min(jBase + 3u, H - 1u) * H;
    let n = ((t + 1u) * p.B + b) * H;
    for (var k = 0u; k < H; k++) {
      let g = dG[n + k];
      d0 += dot(g, Wh[r0 + k]);
      d1 += dot(g, Wh[r1 + k]);
      d2 += dot(g, Wh[r2 + k]);
      d3 += dot(g, Wh[r3 + k]);
    }
  }
  backward_cell(d0, b, jBase + 0u);
  backward_cell(d1, b, jBase + 1u);
  backward_cell(d2, b, jBase + 2u);
  backward_cell(d3, b, jBase + 3u);
}

// The pointwise half of backward_step for one (row, unit), given the recurrent part of dh; stored only inside [B, H].
fn backward_cell(dRec: f32, b: u32, j: u32) {
  if (b >= p.B || j >= p.H) { return; }
  let t = p.t;
  let H = p.H;
  let BH = p.B * H;
  let last = t + 1u == p.T;
  var d = dRec;
  if (p.hasDHs == 1u) { d += dHs[t * BH + b * H + j]; }
  if (last && p.hasDhT == 1u) { d += dhT[b * H + j]; }
  let gates = G[(t * p.B + b) * H + j];
  let c = Cs[(t + 1u) * BH + b * H + j];
  let cPrev = Cs[t * BH + b * H + j];
  let tc = tanh_s(c);
  var dc = d * gates.w * (1.0 - tc * tc);
  if (!last) { dc += dC[b * H + j]; }
  dG[(t * p.B + b) * H + j] = vec4f(
    dc * gates.z * gates.x * (1.0 - gates.x),
    dc * cPrev * gates.y * (1.0 - gates.y),
    dc * gates.x * (1.0 - gates.z * gates.z),
    d * tc * gates.w * (1.0 - gates.w),
  );
  dC[b * H + j] = dc * gates.y;
}

// pointwise: the elementwise half of forward_step on its own, so the fused step can be checked against the
// same step composed from two matmuls (A = x_t·Wx + b, then A += h_{t-1}·Wh with accumulate) and this kernel.
//   A [B][4H] (vec4 per unit, gate-interleaved): the pre-activations of step t;  c_{t-1} = Cs[t]
//   writes G[t], Cs[t+1] = c_t, Hs[t+1] = h_t with the formulas of forward_step. One invocation per (j, b).
@group(0) @binding(11) var<storage, read> A: array<vec4f>;

@compute @workgroup_size(WG)
fn pointwise(@builtin(global_invocation_id) gid: vec3u) {
  let j = gid.x % p.H;
  let b = gid.x / p.H;
  if (b >= p.B) { return; }
  let t = p.t;
  let BH = p.B * p.H;
  let a = A[b * p.H + j];
  let ig = sigmoid(a.x);
  let fg = sigmoid(a.y + p.forgetBias);
  let gg = tanh_s(a.z);
  let og = sigmoid(a.w);
  let c = fg * Cs[t * BH + b * p.H + j] + ig * gg;
  Cs[(t + 1u) * BH + b * p.H + j] = c;
  Hs[(t + 1u) * BH + b * p.H + j] = og * tanh_s(c);
  G[(t * p.B + b) * p.H + j] = vec4f(ig, fg, gg, og);
}
