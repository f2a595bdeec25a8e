// kvcache.write: writes the keys and values of a prefilled batch into one layer's KV cache texture.
// texel (j, t, slot_b) = qkv[b, t, C4 + j] for j < 2·C4 (keys then values: the cache's texel layout) and
// t < len_b (padding positions t ≥ len_b are skipped, so a right-padded batch never writes past a prompt).
// @binding(0) params: { B: u32, T: u32, C4: u32 }   B rows of the batch, T padded length, C4 = C / 4
// @binding(1) qkv: array<vec4f>, (B, T, 3·C4) row-major, the c_attn output (read)
// @binding(2) rowinfo: array<u32>, (B, 4): [token, slot, len, unused] per row (read)
// @binding(3) kv: texture_storage_2d_array<rgba32float, write>, the layer's cache (KvCache in kernels.ts)
// Workgroup 64, one invocation per (b, t, j); dispatch linearGrid(B·T·2·C4, 64).
struct Params { B: u32, T: u32, C4: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> qkv: array<vec4f>;
@group(0) @binding(2) var<storage, read> rowinfo: array<u32>;
@group(0) @binding(3) var kv: texture_storage_2d_array<rgba32float, write>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let W = 2u * p.C4;
  let i = gid.y * 65535u * 64u + gid.x;
  if (i >= p.B * p.T * W) { return; }
  let j = i % W;
  let t = (i / W) % p.T;
  let b = i / (W * p.T);
  if (t >= rowinfo[b * 4u + 2u]) { return; }
  textureStore(kv, vec2u(j, t), rowinfo[b * 4u + 1u], qkv[(b * p.T + t) * 3u * p.C4 + p.C4 + j]);
}
