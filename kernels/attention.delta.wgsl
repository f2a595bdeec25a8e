// attention.delta: D[b, h, t] = dy[b, t, h] · y[b, t, h] (head slices of HS channels), the per-row term
// of the softmax backward dS = P (dP - D), computed once so attention.backward.broadcast.wgsl can read it
// at workgroup-uniform addresses instead of redoing HS multiply-adds per (query, key) pair.
// @binding(0) params: { n: u32, T: u32, C: u32, NH: u32 }   n = B·NH·T
// @binding(1) y:  array<f32>, (B, T, C) row-major, read: the forward output
// @binding(2) dy: array<f32>, (B, T, C) row-major, read
// @binding(3) D:  array<f32>, (B, NH, T) row-major, written
// Define HS. Workgroup 64; dispatch linearGrid(n, 64).
struct Params { n: u32, T: u32, C: u32, NH: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> D: array<f32>;

const HS: u32 = {{HS}}u;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.y * 65535u * 64u + gid.x;
  if (i >= p.n) { return; }
  let t = i % p.T;
  let bh = i / p.T;
  let base = ((bh / p.NH) * p.T + t) * p.C + (bh % p.NH) * HS;
  var s = 0.0;
  for (var d = 0u; d < HS; d++) { s += dy[base + d] * y[base + d]; }
  D[i] = s;
}
