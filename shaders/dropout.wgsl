// dropout.wgsl — inverted dropout with a stateless hash RNG; backward regenerates the same mask.
//
//   keep element e (0-based within the tensor) of stream (seed, layer) iff hashUniform(seed, layer, e) < keep
//   forward:  y[e] = keep ? x[offX + e] / keep : 0
//   backward: dx[e] (+)= keep ? dy[e] / keep : 0
// The seed changes every step (stepSeed[0], written by the host before the submit); `layer` tells the
// streams of one step apart. The same hash is in src/reference/hash.ts.

struct Params { n: u32, layer: u32, offX: u32, keep: f32, accumulate: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> stepSeed: array<u32>;

override WG: u32 = 64;

fn pcg(v: u32) -> u32 {
  let s = v * 747796405u + 2891336453u;
  let w = ((s >> ((s >> 28u) + 4u)) ^ s) * 277803737u;
  return (w >> 22u) ^ w;
}

fn hashUniform(seed: u32, layer: u32, e: u32) -> f32 {
  return f32(pcg(seed ^ pcg(layer ^ pcg(e))) >> 8u) / 16777216.0;
}

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.x + gid.y * nwg.x * WG;
  if (e >= p.n) { return; }
  let kept = hashUniform(stepSeed[0], p.layer, e) < p.keep;
  y[e] = select(0.0, x[p.offX + e] / p.keep, kept);
}

// here x is dy and y is dx
@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.x + gid.y * nwg.x * WG;
  if (e >= p.n) { return; }
  let kept = hashUniform(stepSeed[0], p.layer, e) < p.keep;
  let g = select(0.0, x[e] / p.keep, kept);
  if (p.accumulate == 1u) { y[p.offX + e] += g; } else { y[p.offX + e] = g; }
}
