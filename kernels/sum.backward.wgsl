// sum.backward: dx[i] = scale · dout[0], the gradient of out = scale · Σ x (scale 1 for sum, 1/n for mean).
// @binding(0) params: { n: u32, scale: f32 }   n = elements of x
// @binding(1) dout: array<f32>, 1 element, d(loss)/d(out) (read)
// @binding(2) dx: array<f32>, n elements (write)
// Workgroup 256; dispatch linearGrid(n): ceil(n / 256) along x, wrapping into y past 65535.
struct Params { n: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dout: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.y * 65535u * 256u + gid.x;
  if (i < p.n) { dx[i] = p.scale * dout[0]; }
}
