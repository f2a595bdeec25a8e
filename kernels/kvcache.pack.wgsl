// kvcache.pack: copies a (K, N) f32 weight into an rgba32float texture of K rows × N/4 texels, once per
// generate call, so the decode kernels can read weights with textureLoad from a read-only storage texture:
// on llvmpipe a per-lane storage-buffer load is a loop of 8 guarded scalar loads while a textureLoad is one
// vector gather (see matmul.texture.wgsl), and on GPUs a texture read is as good as a buffer read.
// @binding(0) params: { K: u32, N4: u32 }   N4 = N / 4 (N a multiple of 4)
// @binding(1) w: array<vec4f>, (K, N4), the weight row-major (read)
// @binding(2) tex: texture_storage_2d<rgba32float, write>, N4 × K texels: texel (n4, k) = w[k, 4n4 .. 4n4 + 3]
// Workgroup 64; dispatch (ceil(N4 / 64), K).
struct Params { K: u32, N4: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<vec4f>;
@group(0) @binding(2) var tex: texture_storage_2d<rgba32float, write>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x >= p.N4 || gid.y >= p.K) { return; }
  textureStore(tex, vec2u(gid.x, gid.y), w[gid.y * p.N4 + gid.x]);
}
