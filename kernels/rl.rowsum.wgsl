// rl.rowsum: masked per-row sums, e.g. a sequence's log-probability from per-token log-probs:
//   out[b] = Σ_t mask[b, t] · x[b, t]   (terms with mask 0 are skipped, so padding may hold anything finite or not)
// @binding(0) params: { B: u32, T: u32 }
// @binding(1) x: array<f32>, (B, T) row-major (read)
// @binding(2) mask: array<f32>, (B, T) row-major weights, usually 0/1 (read)
// @binding(3) out: array<f32>, (B) (write)
// Workgroup 64, one thread per row: dispatch ceil(B / 64) workgroups.
struct Params { B: u32, T: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> mask: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let b = gid.x;
  if (b >= p.B) { return; }
  var s = 0.0;
  for (var t = 0u; t < p.T; t++) {
    let w = mask[b * p.T + t];
    if (w != 0.0) { s += w * x[b * p.T + t]; }
  }
  out[b] = s;
}
