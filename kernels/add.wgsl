// add: out[i] = a[i] + b[i % nb], the residual add (nb = n) or a bias broadcast along leading dims
// (b's shape is a suffix of a's, so its flat index is the output's flat index modulo its size).
// @binding(0) params: { n: u32, nb: u32 }   n = elements of a and out, nb = elements of b (nb divides n),
//             both in units of E
// @binding(1) a: array<E>, n elements, row-major (read)
// @binding(2) b: array<E>, nb elements (read)
// @binding(3) out: array<E>, n elements, same layout as a (write)
// Define E: vec4f when both f32 counts are multiples of 4, else f32 (elementwiseGrid in tensor.ts).
// Workgroup 256; dispatch linearGrid(n): ceil(n / 256) along x, wrapping into y past 65535.
alias E = {{E}};
struct Params { n: u32, nb: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<E>;
@group(0) @binding(2) var<storage, read> b: array<E>;
@group(0) @binding(3) var<storage, read_write> out: array<E>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.y * 65535u * 256u + gid.x;
  if (i < p.n) { out[i] = a[i] + b[i % p.nb]; }
}
