// rl.rowsum.backward: d/dx of out[b] = Σ_t mask[b, t] · x[b, t]:
//   dx[b, t] = dOut[b] · mask[b, t]
// @binding(0) params: { B: u32, T: u32 }
// @binding(1) dOut: array<f32>, (B) (read)
// @binding(2) mask: array<f32>, (B, T) row-major (read)
// @binding(3) dx: array<f32>, (B, T) row-major (write)
// Workgroup 256, one thread per element: dispatch linearGrid(B·T), i = gid.y * 65535 * 256 + gid.x.
struct Params { B: u32, T: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dOut: array<f32>;
@group(0) @binding(2) var<storage, read> mask: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.y * 65535u * 256u + gid.x;
  if (i >= p.B * p.T) { return; }
  let w = mask[i];
  dx[i] = select(0.0, dOut[i / p.T] * w, w != 0.0);
}
