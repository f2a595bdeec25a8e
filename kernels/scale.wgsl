// scale: out[i] = s * x[i].
// @binding(0) params: { n: u32, s: f32 }   n = element count, in units of E
// @binding(1) x: array<E>, n elements (read)
// @binding(2) out: array<E>, n elements (write)
// Define E: vec4f when the f32 count is a multiple of 4, else f32 (elementwiseGrid in tensor.ts).
// Workgroup 256; dispatch linearGrid(n): ceil(n / 256) along x, wrapping into y past 65535.
alias E = {{E}};
struct Params { n: u32, s: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<E>;
@group(0) @binding(2) var<storage, read_write> out: array<E>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.y * 65535u * 256u + gid.x;
  if (i < p.n) { out[i] = p.s * x[i]; }
}
