// matmul.sumrows: out[c] = Σ_r x[r, c], a column sum of a row-major (R, C) matrix. Used for the bias gradient
// of linear (R = B·T rows of dY) and to sum a broadcast operand's gradient over the batch (R = Z).
// Deterministic: each invocation adds its column's rows in order (no atomics), neighbouring invocations
// read neighbouring addresses.
// @binding(0) params: { R, C: u32 }
// @binding(1) x: array<f32>, (R, C) read
// @binding(2) out: array<f32>, (C) written
// Workgroup 64; dispatch ceil(C / 64) along x, wrapping into y past 65535 (x stride = 65535 * 64).
struct Params { R: u32, C: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let col = gid.y * 65535u * 64u + gid.x;
  if (col >= p.C) { return; }
  var s = 0.0;
  for (var r = 0u; r < p.R; r++) { s += x[r * p.C + col]; }
  out[col] = s;
}
