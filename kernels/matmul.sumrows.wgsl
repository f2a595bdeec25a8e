// matmul.sumrows: out[c] = Σ_r x[r, c], a column sum of a row-major (R, C) matrix. Used for the bias gradient
// of linear (R = B·T rows of dY) and to sum a broadcast operand's gradient over the batch (R = Z).
// Deterministic: each invocation adds its column's rows in order (no atomics), neighbouring invocations
// read neighbouring addresses.
// @binding(0) params: { R, C: u32 }   C in units of E
// @binding(1) x: array<E>, (R, C) read
// @binding(2) out: array<E>, (C) written
// Define E: vec4f when C is a multiple of 4 (llvmpipe pays per load, not per byte), else f32.
// Override WG (8 on CPU adapters, so that narrow outputs still make workgroups for every core; 64 on GPUs);
// dispatch ceil(C / WG) along x, wrapping into y past 65535 (x stride = 65535 * WG).
alias E = {{E}};
struct Params { R: u32, C: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<E>;
@group(0) @binding(2) var<storage, read_write> out: array<E>;
override WG: u32 = 64u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let col = gid.y * 65535u * WG + gid.x;
  if (col >= p.C) { return; }
  var s = E(0.0);
  for (var r = 0u; r < p.R; r++) { s += x[r * p.C + col]; }
  out[col] = s;
}
