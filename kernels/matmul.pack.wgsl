// matmul.pack: copies rows k0 .. k0 + kLen of op(B) from a storage buffer into the chunked rgba32float
// texture that matmul.texture.wgsl reads (layout described there), zeros past K and N. It runs before every
// texture matmul: the texture is scratch, never a cache, so it cannot go stale when weights change.
// op(B)[z, k, n] = b[z*sBb + k*sBk + n*sBn] (transposes are just strides).
// @binding(0) params: { K, N, N4, sBb, sBk, sBn, W, H, PC, QX, k0: u32 }
// @binding(1) b: array<f32>, read
// @binding(2) dst: texture_storage_2d<rgba32float, write>
// Workgroup 64; dispatch (ceil(N4 / 64), kLen, Zb) — one invocation per texel.
struct Params { K: u32, N: u32, N4: u32, sBb: u32, sBk: u32, sBn: u32, W: u32, H: u32, PC: u32, QX: u32, k0: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var dst: texture_storage_2d<rgba32float, write>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let n4 = gid.x;
  let row = gid.y;
  let k = p.k0 + row;
  let z = gid.z;
  if (n4 >= p.N4) { return; }
  var v = vec4f(0.0);
  if (k < p.K) {
    for (var e = 0u; e < 4u; e++) {
      let n = n4 * 4u + e;
      if (n < p.N) { v[e] = b[z * p.sBb + k * p.sBk + n * p.sBn]; }
    }
  }
  let q = z * p.PC + n4 / p.W;
  textureStore(dst, vec2u((q % p.QX) * p.W + n4 % p.W, (q / p.QX) * p.H + row), v);
}
