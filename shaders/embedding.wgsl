// embedding.wgsl — embedding lookup and its deterministic gradient.
//
//   table [V][D], ids [N] (u32), out [N][D]
//   gather:   out[n][d] = table[ids[n]][d]
//   backward: dTable[v][d] = Σ_{n: ids[n] = v} dOut[n][d], summed in ascending n so results never depend on
//             scheduling (WGSL has no float atomics). Three dispatches:
//     clear    dTable = 0
//     link     next[n] = the smallest m > n with ids[m] = ids[n], or N;  owner[n] = no m < n has ids[m] = ids[n]
//     scatter  for each owner n and each d: walk the chain n -> next[n] -> ... summing dOut, write dTable[ids[n]][d]

struct Params { N: u32, V: u32, D: u32, offOut: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> table: array<f32>;
@group(0) @binding(2) var<storage, read> ids: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

override WG: u32 = 64;

fn flatId(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * WG; }

@compute @workgroup_size(WG)
fn gather(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatId(gid, nwg);
  if (i >= p.N * p.D) { return; }
  let n = i / p.D;
  let d = i % p.D;
  out[p.offOut + i] = table[min(ids[n], p.V - 1u) * p.D + d];
}

@group(0) @binding(4) var<storage, read> dOut: array<f32>;
@group(0) @binding(5) var<storage, read_write> dTable: array<f32>;
@group(0) @binding(6) var<storage, read_write> links: array<u32>;   // [2][N]: next, owner

@compute @workgroup_size(WG)
fn clear(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatId(gid, nwg);
  if (i < p.V * p.D) { dTable[i] = 0.0; }
}

@compute @workgroup_size(WG)
fn link(@builtin(global_invocation_id) gid: vec3u) {
  let n = gid.x;
  if (n >= p.N) { return; }
  let id = ids[n];
  var next = p.N;
  for (var m = n + 1u; m < p.N; m++) { if (ids[m] == id) { next = m; break; } }
  var owner = 1u;
  for (var m = 0u; m < n; m++) { if (ids[m] == id) { owner = 0u; break; } }
  links[n] = next;
  links[p.N + n] = owner;
}

@compute @workgroup_size(WG)
fn scatter(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatId(gid, nwg);
  if (i >= p.N * p.D) { return; }
  let n = i / p.D;
  let d = i % p.D;
  if (links[p.N + n] == 0u) { return; }
  var s = 0.0;
  var m = n;
  loop {
    s += dOut[m * p.D + d];
    m = links[m];
    if (m >= p.N) { break; }
  }
  dTable[min(ids[n], p.V - 1u) * p.D + d] = s;
}
