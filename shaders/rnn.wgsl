// rnn.wgsl — the basic (Elman) RNN time step with tanh, forward and backward.
//
//   XW [T][B][H]    x_t·Wx + b for every step (one matmul before the loop)
//   Wh [H][H]       recurrent weights
//   Hs [T+1][B][H]  hidden states, slot 0 = initial state (zeros, or `state` when useState)
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

@compute @workgroup_size(WG)
fn forward_step(@builtin(global_invocation_id) gid: vec3u) {
  let j = gid.x % p.H;
  let b = gid.x / p.H;
  if (b >= p.B) { return; }
  let t = p.t;
  let BH = p.B * p.H;
  let prev = t * BH + b * p.H;
  if (t == 0u) {
    Hs[prev + j] = select(0.0, state[b * p.H + j], p.useState == 1u);
  }
  var a = XW[(t * p.B + b) * p.H + j];
  for (var k = 0u; k < p.H; k++) {
    var hk: f32;
    if (t == 0u) { hk = select(0.0, state[b * p.H + k], p.useState == 1u); } else { hk = Hs[prev + k]; }
    a += hk * Wh[k * p.H + j];
  }
  let h = tanh_s(a);
  Hs[prev + BH + j] = h;
  if (t + 1u == p.T && p.writeState == 1u) { state[b * p.H + j] = h; }
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

@compute @workgroup_size(WG)
fn backward_step(@builtin(global_invocation_id) gid: vec3u) {
  let j = gid.x % p.H;
  let b = gid.x / p.H;
  if (b >= p.B) { return; }
  let t = p.t;
  let BH = p.B * p.H;
  let last = t + 1u == p.T;
  var dh = 0.0;
  if (p.hasDHs == 1u) { dh = dHs[t * BH + b * p.H + j]; }
  if (last && p.hasDhT == 1u) { dh += dhT[b * p.H + j]; }
  if (!last) {
    let rowNext = ((t + 1u) * p.B + b) * p.H;
    var acc = 0.0;
    for (var k = 0u; k < p.H; k++) { acc += dA[rowNext + k] * Wh[j * p.H + k]; }
    dh += acc;
  }
  let h = Hs[(t + 1u) * BH + b * p.H + j];
  dA[t * BH + b * p.H + j] = dh * (1.0 - h * h);
}
