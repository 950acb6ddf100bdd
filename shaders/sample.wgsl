// sample.wgsl — choosing the next token for generation, on the GPU (only the chosen ids are read back).
//
//   logits [N][V] (at offLogits); out [N] (u32)
//   argmax:  out[n] = the first index of the row maximum (greedy decoding, as in the fable tutorial)
//   sample:  out[n] = the index drawn from softmax(z / temperature) with the uniform number u[n] in [0, 1)
//   push:    the id in next[0] joins the generation window: window[0..T-2] <- window[1..T-1], window[T-1] <- id
//            (its f32 value's bits when asFloat = 1: a model that reads ids as floats), so the next word of a
//            continuation is computed on the GPU without the host. One invocation.
// argmax / sample: one workgroup per row.

struct Params { N: u32, V: u32, offLogits: u32, temperature: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> u: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

const WG: u32 = 256u;
var<workgroup> redF: array<f32, WG>;
var<workgroup> redI: array<u32, WG>;

fn rowMaxArg(base: u32, lid: u32) {
  var mx = -3.4e38;
  var mi = 0xffffffffu;
  for (var v = lid; v < p.V; v += WG) {
    let z = logits[base + v];
    if (z > mx) { mx = z; mi = v; }
  }
  redF[lid] = mx;
  redI[lid] = mi;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      let a = redF[lid]; let b = redF[lid + s];
      if (b > a || (b == a && redI[lid + s] < redI[lid])) { redF[lid] = b; redI[lid] = redI[lid + s]; }
    }
    workgroupBarrier();
  }
}

@compute @workgroup_size(WG)
fn argmax(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let n = wid.x;
  if (n >= p.N) { return; }
  rowMaxArg(p.offLogits + n * p.V, lid);
  if (lid == 0u) { out[n] = redI[0]; }
}

@compute @workgroup_size(WG)
fn sample(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let n = wid.x;
  if (n >= p.N) { return; }
  let base = p.offLogits + n * p.V;
  rowMaxArg(base, lid);
  let mx = redF[0];
  let fallback = redI[0];
  workgroupBarrier();
  var s = 0.0;
  for (var v = lid; v < p.V; v += WG) { s += exp((logits[base + v] - mx) / p.temperature); }
  redF[lid] = s;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    if (lid < k) { redF[lid] += redF[lid + k]; }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let goal = u[n] * redF[0];
    var acc = 0.0;
    var chosen = fallback;
    for (var v = 0u; v < p.V; v++) {
      acc += exp((logits[base + v] - mx) / p.temperature);
      if (acc > goal) { chosen = v; break; }
    }
    out[n] = chosen;
  }
}

struct PushParams { T: u32, asFloat: u32 }

@group(0) @binding(0) var<uniform> pp: PushParams;
@group(0) @binding(4) var<storage, read> next: array<u32>;
@group(0) @binding(5) var<storage, read_write> window: array<u32>;

@compute @workgroup_size(1)
fn push() {
  for (var i = 0u; i + 1u < pp.T; i++) { window[i] = window[i + 1u]; }
  let id = next[0];
  window[pp.T - 1u] = select(id, bitcast<u32>(f32(id)), pp.asFloat == 1u);
}
