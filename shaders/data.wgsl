// data.wgsl — drawing batches from datasets that live on the GPU (no per-step upload beyond a few numbers).
//
//   image_batch: images are bytes packed 4 per u32, `pixels` [count][rowLen*T] (rowLen*T a multiple of 4);
//     sample b of the batch is image perm[start + b]; its row t (rowLen pixels) becomes time step t:
//     X[t][b][i] = pixels[img][t*rowLen + i] / 255      (time-major [T][B][rowLen])
//     labelsOut[b] = labels[img]
//   token_window: data [rows][len] (u32 ids, the PTB layout [batch_size][batch_len]); window starting at
//     column `start`: ids[t][b] = data[b][start + t], targets[t][b] = data[b][start + t + 1]
//   `step` [start] is written by the host before each submit.

struct Params { B: u32, T: u32, rowLen: u32, len: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> pixels: array<u32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read> perm: array<u32>;
@group(0) @binding(4) var<storage, read> step: array<u32>;
@group(0) @binding(5) var<storage, read_write> X: array<f32>;
@group(0) @binding(6) var<storage, read_write> labelsOut: array<u32>;

override WG: u32 = 64;

fn byteAt(i: u32) -> u32 { return (pixels[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu; }

@compute @workgroup_size(WG)
fn image_batch(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = gid.x + gid.y * nwg.x * WG;
  let total = p.T * p.B * p.rowLen;
  if (e >= total) { return; }
  let i = e % p.rowLen;
  let b = (e / p.rowLen) % p.B;
  let t = e / (p.rowLen * p.B);
  let img = perm[step[0] + b];
  X[e] = f32(byteAt(img * p.rowLen * p.T + t * p.rowLen + i)) / 255.0;
  if (t == 0u && i == 0u) { labelsOut[b] = labels[img]; }
}

@group(0) @binding(7) var<storage, read> data: array<u32>;
@group(0) @binding(8) var<storage, read_write> ids: array<u32>;
@group(0) @binding(9) var<storage, read_write> targets: array<u32>;

@compute @workgroup_size(WG)
fn token_window(@builtin(global_invocation_id) gid: vec3u) {
  let e = gid.x;
  if (e >= p.T * p.B) { return; }
  let b = e % p.B;
  let t = e / p.B;
  let col = step[0] + t;
  ids[e] = data[b * p.len + col];
  targets[e] = data[b * p.len + col + 1u];
}
