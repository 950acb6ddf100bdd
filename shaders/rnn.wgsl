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

// One invocation per unit j and four batch rows, so each weight loaded serves four rows (as in lstm.wgsl).
// Slot 0 of Hs is the initial state: zeros written here at t = 0, or the carried state copied in by `init`.
@compute @workgroup_size(WG)
fn forward_step(@builtin(global_invocation_id) gid: vec3u) {
  let j = gid.x;
  let b0 = gid.y * 4u;
  if (j >= p.H || b0 >= p.B) { return; }
  let t = p.t;
  let BH = p.B * p.H;
  let rows = min(4u, p.B - b0);
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
    for (var r = 0u; r < rows; r++) { Hs[s0 + r * p.H + j] = 0.0; }
  } else {
    for (var k = 0u; k < p.H; k++) {
      let w = Wh[k * p.H + j];
      a0 += Hs[s0 + k] * w;
      a1 += Hs[s1 + k] * w;
      a2 += Hs[s2 + k] * w;
      a3 += Hs[s3 + k] * w;
    }
  }
  let pre = array<f32, 4>(a0, a1, a2, a3);
  for (var r = 0u; r < rows; r++) {
    let h = tanh_s(pre[r]);
    Hs[s0 + r * p.H + BH + j] = h;   // rows b0..b0+rows-1 are consecutive
    if (t + 1u == p.T && p.writeState == 1u) { state[(b0 + r) * p.H + j] = h; }
  }
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
    for (var k = 0u; k < p.H; k++) {
      let w = Wh[j * p.H + k];
      dh += vec4f(dA[n0 + k], dA[n1 + k], dA[n2 + k], dA[n3 + k]) * w;
    }
  }
  let rows = min(4u, p.B - b0);
  for (var r = 0u; r < rows; r++) {
    let b = b0 + r;
    var d = dh[r];
    if (p.hasDHs == 1u) { d += dHs[t * BH + b * p.H + j]; }
    if (last && p.hasDhT == 1u) { d += dhT[b * p.H + j]; }
    let h = Hs[(t + 1u) * BH + b * p.H + j];
    dA[t * BH + b * p.H + j] = d * (1.0 - h * h);
  }
}
