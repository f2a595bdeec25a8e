// rl.gather: picks rows of a (N, C) matrix, e.g. the hidden state at each sequence's last real token:
//   out[b, c] = h[rows[b], c]
// @binding(0) params: { B: u32, C: u32 }
// @binding(1) h: array<f32>, (N, C) row-major (read)
// @binding(2) rows: array<i32>, (B) row indices in [0, N) (read; the host validates them)
// @binding(3) out: array<f32>, (B, C) row-major (write)
// Workgroup 256, one thread per output element: dispatch linearGrid(B·C).
struct Params { B: u32, C: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> h: array<f32>;
@group(0) @binding(2) var<storage, read> rows: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.y * 65535u * 256u + gid.x;
  if (i >= p.B * p.C) { return; }
  let b = i / p.C;
  out[i] = h[u32(rows[b]) * p.C + i % p.C];
}
