// optim.wgsl — gradient clipping by global norm and the optimizer step, over ONE flat buffer each for
// parameters (w), gradients (g) and moments (m, v): two dispatches for a whole model.
//
//   sumsq:  partial[k] = Σ g² over the k-th of `parts` grid-strided slices (`parts` <= NPART workgroups)
//   clip_scale (one workgroup, only when clipping): the NPART partials -> global norm, and
//     scale = clip / max(norm, clip) (tf.clip_by_global_norm) into stats[1]
//   sgd / adam / rmsprop: g' = g * scale (1 without clipping)
//     sgd:     w -= lr * g'
//     adam:    m = b1 m + (1-b1) g';  v = b2 v + (1-b2) g'²;  w -= lrT * m / (sqrt(v) + eps)
//              (lrT = lr * sqrt(1 - b2^t) / (1 - b1^t), computed by the host: TF AdamOptimizer)
//     rmsprop: m = decay m + (1-decay) g'²;  w -= lr * g' / sqrt(m + eps)   (TF RMSPropOptimizer, momentum 0)
//   hyper (written by the host before each step's submit): [lr, clip (0 = off), b1, b2, eps, decay, 1-b1 (RMSProp:
//   1-decay), 1-b2] — the complements are computed in f64 on the host (1 - f32(0.999) would be 1.3e-5 off)
//   stats[0] = the global norm before clipping when clipping is on (0 otherwise: then sumsq and clip_scale are
//   not dispatched), stats[1] = the clip factor

struct Params { n4: u32, parts: u32 }   // parts: how many sumsq workgroups wrote partial sums (<= NPART; 0: no clipping)

@group(0) @binding(0) var<uniform> p: Params;
// The flat buffers are whole multiples of 64 floats, so they are read and written as vec4: n4 = n / 4.
@group(0) @binding(1) var<storage, read> g: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;
@group(0) @binding(3) var<storage, read_write> w: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> m: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> v: array<vec4f>;
@group(0) @binding(6) var<storage, read> hyper: array<f32>;
@group(0) @binding(7) var<storage, read_write> stats: array<f32>;

const WG: u32 = 256u;
const NPART: u32 = 256u;
var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(WG)
fn sumsq(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var i = wid.x * WG + lid; i < p.n4; i += p.parts * WG) { let x = g[i]; s += dot(x, x); }
  red[lid] = s;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    if (lid < k) { red[lid] += red[lid + k]; }
    workgroupBarrier();
  }
  if (lid == 0u) { partial[wid.x] = red[0]; }
}

// The clip factor, once, by one workgroup: stats[0] = global norm, stats[1] = clip / max(norm, clip). The update
// kernels read stats[1] and have no barrier (on CPU adapters a barrier costs a switch of every invocation).
@compute @workgroup_size(WG)
fn clip_scale(@builtin(local_invocation_index) lid: u32) {
  red[lid] = select(0.0, partial[lid], lid < p.parts);
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    if (lid < k) { red[lid] += red[lid + k]; }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let norm = sqrt(red[0]);
    let clip = hyper[1];
    stats[0] = norm;
    stats[1] = select(1.0, clip / max(norm, clip), clip > 0.0);
  }
}

fn clipScale() -> f32 {
  if (p.parts > 0u) { return stats[1]; }
  return 1.0;
}

// Hyper-parameters are read once into registers before the loops: a storage load in the loop would be
// repeated per element (the compiler cannot tell `hyper` from the buffers written in the loop).
// The update kernels run a fixed number of workgroups (at most MAX_GROUPS) that stride over the buffer.

@compute @workgroup_size(WG)
fn sgd(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let scale = clipScale();
  let lr = hyper[0];
  for (var i = wid.x * WG + lid; i < p.n4; i += nwg.x * WG) {
    w[i] -= lr * g[i] * scale;
  }
}

@compute @workgroup_size(WG)
fn adam(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let scale = clipScale();
  let lr = hyper[0];
  let b1 = hyper[2];
  let b2 = hyper[3];
  let eps = hyper[4];
  let c1 = hyper[6];
  let c2 = hyper[7];
  for (var i = wid.x * WG + lid; i < p.n4; i += nwg.x * WG) {
    let gi = g[i] * scale;
    let mi = b1 * m[i] + c1 * gi;
    let vi = b2 * v[i] + c2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    w[i] -= lr * mi / (sqrt(vi) + eps);
  }
}

@compute @workgroup_size(WG)
fn rmsprop(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let scale = clipScale();
  let lr = hyper[0];
  let eps = hyper[4];
  let decay = hyper[5];
  let c1 = hyper[6];
  for (var i = wid.x * WG + lid; i < p.n4; i += nwg.x * WG) {
    let gi = g[i] * scale;
    let ms = decay * m[i] + c1 * gi * gi;
    m[i] = ms;
    w[i] -= lr * gi / sqrt(ms + eps);
  }
}
