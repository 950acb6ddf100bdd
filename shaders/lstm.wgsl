// lstm.wgsl — the fused LSTM time step, forward and backward.
//
// Shapes (B batch, T time steps, H hidden units), all row-major, time-major:
//   XW [T][B][4H]   input projection x_t·Wx + b for every step, computed before the loop by ONE matmul
//   Wh [H][4H]      recurrent weights, gate-interleaved: Wh[k][j] read as vec4 = (i, f, g, o) of unit j
//   Hs [T+1][B][H]  hidden states, slot 0 = initial state;  Cs [T+1][B][H] cell states likewise
//   G  [T][B][4H]   activated gates (i, f, g, o) saved for backward
//   state [2][B][H] carried (h, c) between batches (truncated BPTT): read at t = 0, written at t = T-1
//
// Forward, one invocation per (unit j, batch row b), one dispatch per time step t:
//   a = XW[t] + h_{t-1}·Wh;  i = σ(a.i)  f = σ(a.f + forgetBias)  g = tanh(a.g)  o = σ(a.o)
//   c_t = f*c_{t-1} + i*g;   h_t = o*tanh(c_t)
//
// Backward, one dispatch per time step, t = T-1 down to 0:
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

// Forward step: one invocation per unit j and four batch rows (b0..b0+3), so each vec4 of Wh loaded serves
// four rows. Slot 0 of Hs/Cs holds the initial state: zeros written here at t = 0, or the carried state copied
// in by `init` before the first step.
@compute @workgroup_size(WG)
fn forward_step(@builtin(global_invocation_id) gid: vec3u) {
  let j = gid.x;
  let b0 = gid.y * 4u;
  if (j >= p.H || b0 >= p.B) { return; }
  let t = p.t;
  let BH = p.B * p.H;
  let rows = min(4u, p.B - b0);
  // Four rows in named registers (a private array indexed in a loop can end up in memory).
  let bb1 = min(b0 + 1u, p.B - 1u);
  let bb2 = min(b0 + 2u, p.B - 1u);
  let bb3 = min(b0 + 3u, p.B - 1u);
  var a0 = XW[(t * p.B + b0) * p.H + j];
  var a1 = XW[(t * p.B + bb1) * p.H + j];
  var a2 = XW[(t * p.B + bb2) * p.H + j];
  var a3 = XW[(t * p.B + bb3) * p.H + j];
  let s0 = t * BH + b0 * p.H;
  let s1 = t * BH + bb1 * p.H;
  let s2 = t * BH + bb2 * p.H;
  let s3 = t * BH + bb3 * p.H;
  let zeroState = t == 0u && p.useState == 0u;
  if (zeroState) {
    for (var r = 0u; r < rows; r++) { Hs[s0 + r * p.H + j] = 0.0; Cs[s0 + r * p.H + j] = 0.0; }
  } else {
    for (var k = 0u; k < p.H; k++) {
      let w = Wh[k * p.H + j];
      a0 += Hs[s0 + k] * w;
      a1 += Hs[s1 + k] * w;
      a2 += Hs[s2 + k] * w;
      a3 += Hs[s3 + k] * w;
    }
  }
  let pre = array<vec4f, 4>(a0, a1, a2, a3);
  for (var r = 0u; r < rows; r++) {
    let b = b0 + r;
    let ar = pre[r];
    let ig = sigmoid(ar.x);
    let fg = sigmoid(ar.y + p.forgetBias);
    let gg = tanh_s(ar.z);
    let og = sigmoid(ar.w);
    let prevAt = s0 + r * p.H;   // rows b0..b0+rows-1 are consecutive
    var cPrev = 0.0;
    if (!zeroState) { cPrev = Cs[prevAt + j]; }
    let c = fg * cPrev + ig * gg;
    let h = og * tanh_s(c);
    let next = prevAt + BH;
    Cs[next + j] = c;
    Hs[next + j] = h;
    G[(t * p.B + b) * p.H + j] = vec4f(ig, fg, gg, og);
    if (t + 1u == p.T && p.writeState == 1u) {
      state[b * p.H + j] = h;
      state[BH + b * p.H + j] = c;
    }
  }
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

// Backward step: one invocation per unit j and four batch rows; each vec4 of Wh's row j serves four rows.
@compute @workgroup_size(WG)
fn backward_step(@builtin(global_invocation_id) gid: vec3u) {
  let j = gid.x;
  let b0 = gid.y * 4u;
  if (j >= p.H || b0 >= p.B) { return; }
  let t = p.t;
  let BH = p.B * p.H;
  let last = t + 1u == p.T;
  var dh = vec4f(0.0);
  if (!last) {
    let n0 = ((t + 1u) * p.B + b0) * p.H;
    let n1 = ((t + 1u) * p.B + min(b0 + 1u, p.B - 1u)) * p.H;
    let n2 = ((t + 1u) * p.B + min(b0 + 2u, p.B - 1u)) * p.H;
    let n3 = ((t + 1u) * p.B + min(b0 + 3u, p.B - 1u)) * p.H;
    // WhT[k][j] = Wh[j][k] (transpose_wh, once per step): neighbouring invocations read neighbouring vec4s.
    for (var k = 0u; k < p.H; k++) {
      let w = WhT[k * p.H + j];
      dh += vec4f(dot(dG[n0 + k], w), dot(dG[n1 + k], w), dot(dG[n2 + k], w), dot(dG[n3 + k], w));
    }
  }
  let rows = min(4u, p.B - b0);
  for (var r = 0u; r < rows; r++) {
    let b = b0 + r;
    var d = dh[r];
    if (p.hasDHs == 1u) { d += dHs[t * BH + b * p.H + j]; }
    if (last && p.hasDhT == 1u) { d += dhT[b * p.H + j]; }
    let gates = G[(t * p.B + b) * p.H + j];
    let c = Cs[(t + 1u) * BH + b * p.H + j];
    let cPrev = Cs[t * BH + b * p.H + j];
    let tc = tanh_s(c);
    var dc = d * gates.w * (1.0 - tc * tc);
    if (!last) { dc += dC[b * p.H + j]; }
    dG[(t * p.B + b) * p.H + j] = vec4f(
      dc * gates.z * gates.x * (1.0 - gates.x),
      dc * cPrev * gates.y * (1.0 - gates.y),
      dc * gates.x * (1.0 - gates.z * gates.z),
      d * tc * gates.w * (1.0 - gates.w),
    );
    dC[b * p.H + j] = dc * gates.y;
  }
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
