// kvcache.pack.t: copies the transpose of a (N, K) f32 table into an rgba32float texture of K rows × N/4
// texels, once per generate call, so the tied output head (logits = ln_f(x) · wteᵀ, wte (V, C)) runs on
// kvcache.linear like the other decode weights: on llvmpipe a texel load costs about half a per-lane
// storage-buffer load (see kvcache.pack.wgsl).
// @binding(0) params: { K: u32, N4: u32 }   N4 = N / 4 (N a multiple of 4)
// @binding(1) w: array<f32>, (N, K) row-major, e.g. wte (V, C) (read)
// @binding(2) tex: texture_storage_2d<rgba32float, write>, N4 × K texels: texel (n4, k) = w[4n4 .. 4n4 + 3, k]
// Workgroup 64; dispatch (ceil(N4 / 64), K).
struct Params { K: u32, N4: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var tex: texture_storage_2d<rgba32float, write>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x >= p.N4 || gid.y >= p.K) { return; }
  let n = 4u * gid.x;
  let k = gid.y;
  textureStore(tex, vec2u(gid.x, k), vec4f(w[n * p.K + k], w[(n + 1u) * p.K + k], w[(n + 2u) * p.K + k], w[(n + 3u) * p.K + k]));
}
