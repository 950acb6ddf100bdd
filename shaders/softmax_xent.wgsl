// softmax_xent.wgsl — softmax cross-entropy, fused: loss and the logits' gradient in one pass.
//
//   logits [N][V], labels [N] (u32)
//   loss[n]     = logsumexp(z_n) - z_n[label_n]            (stable: the row max is subtracted first)
//   dLogits[n]  = (softmax(z_n) - onehot(label_n)) * scale  (scale: 1/B for a batch mean)
//   correct[n]  = 1 if argmax(z_n) == label_n (first maximum wins), else 0
// One workgroup per row (64 invocations); max, argmax and the sum of exponentials in one online pass and one
// reduction in workgroup memory, then the gradient pass.
//
// metrics_accumulate: one workgroup sums loss[] and correct[] over the N rows and adds
//   (Σ loss, Σ correct, N) into metrics[0..3] — read back asynchronously every few steps, reset by the host.

struct Params { N: u32, V: u32, offLogits: u32, scale: f32, writeGrad: u32, accumulateMetrics: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;
@group(0) @binding(4) var<storage, read_write> dLogits: array<f32>;
@group(0) @binding(5) var<storage, read_write> correct: array<f32>;

// 64 invocations a row: on CPU adapters every barrier switches each invocation of the workgroup.
const WG: u32 = 64u;
var<workgroup> redF: array<f32, WG>;
var<workgroup> redI: array<u32, WG>;
var<workgroup> redS: array<f32, WG>;

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let n = wid.x + wid.y * nwg.x;
  if (n >= p.N) { return; }   // uniform per workgroup
  let base = p.offLogits + n * p.V;
  // One pass for the max, its index (first maximum) and Σ exp(z - max), rescaled when the max grows
  // (an online softmax), then ONE reduction of the three: barriers are costly on CPU adapters.
  var m = -3.4e38;
  var mi = 0xffffffffu;
  var s = 0.0;
  for (var v = lid; v < p.V; v += WG) {
    let z = logits[base + v];
    if (z > m) {
      s = s * exp(m - z) + 1.0;
      m = z;
      mi = v;
    } else {
      s += exp(z - m);
    }
  }
  redF[lid] = m;
  redI[lid] = mi;
  redS[lid] = s;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    if (lid < k) {
      let a = redF[lid]; let b = redF[lid + k];
      let ia = redI[lid]; let ib = redI[lid + k];
      let top = max(a, b);
      redS[lid] = redS[lid] * exp(a - top) + redS[lid + k] * exp(b - top);
      if (b > a || (b == a && ib < ia)) { redF[lid] = b; redI[lid] = ib; }
    }
    workgroupBarrier();
  }
  let rowMax = redF[0];
  let argmax = redI[0];
  let sum = redS[0];
  let label = labels[n];
  if (p.writeGrad == 1u) {
    let inv = 1.0 / sum;
    for (var v = lid; v < p.V; v += WG) {
      let prob = exp(logits[base + v] - rowMax) * inv;
      dLogits[n * p.V + v] = (prob - select(0.0, 1.0, v == label)) * p.scale;
    }
  }
  if (lid == 0u) {
    loss[n] = log(sum) + rowMax - logits[base + label];
    correct[n] = select(0.0, 1.0, argmax == label);
  }
}

// The same for short rows (small V): one invocation per row, no workgroup reduction.
@compute @workgroup_size(64)
fn forward_rows(@builtin(global_invocation_id) gid: vec3u) {
  let n = gid.x;
  if (n >= p.N) { return; }
  let base = p.offLogits + n * p.V;
  var m = -3.4e38;
  var argmax = 0u;
  for (var v = 0u; v < p.V; v++) {
    let z = logits[base + v];
    if (z > m) { m = z; argmax = v; }
  }
  var sum = 0.0;
  for (var v = 0u; v < p.V; v++) { sum += exp(logits[base + v] - m); }
  let label = labels[n];
  if (p.writeGrad == 1u) {
    let inv = 1.0 / sum;
    for (var v = 0u; v < p.V; v++) {
      dLogits[n * p.V + v] = (exp(logits[base + v] - m) * inv - select(0.0, 1.0, v == label)) * p.scale;
    }
  }
  loss[n] = log(sum) + m - logits[base + label];
  correct[n] = select(0.0, 1.0, argmax == label);
}

@group(0) @binding(6) var<storage, read_write> metrics: array<f32>;

@compute @workgroup_size(WG)
fn metrics_accumulate(@builtin(local_invocation_index) lid: u32) {
  var l = 0.0;
  var c = 0.0;
  for (var n = lid; n < p.N; n += WG) { l += loss[n]; c += correct[n]; }
  redF[lid] = l;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    if (lid < k) { redF[lid] += redF[lid + k]; }
    workgroupBarrier();
  }
  let totalLoss = redF[0];
  workgroupBarrier();
  redF[lid] = c;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    if (lid < k) { redF[lid] += redF[lid + k]; }
    workgroupBarrier();
  }
  if (lid == 0u) {
    if (p.accumulateMetrics == 1u) {
      metrics[0] += totalLoss; metrics[1] += redF[0]; metrics[2] += f32(p.N);
    } else {
      metrics[0] = totalLoss; metrics[1] = redF[0]; metrics[2] = f32(p.N);
    }
  }
}
