// kvcache.store: writes each row's new key and value (the `fresh` rows the decode block kernels wrote)
// into the KV cache textures of up to four layers at the row's (slot, pos): texel (j, pos, slot) =
// fresh[row, j] for j < W = 2·C4. The block kernels read the cache as a read-only storage texture, which a
// dispatch cannot also write, so the store comes later: usually inside the next decode step's kvcache.embed
// dispatch (the same statements, STORE_BINDINGS and STORES); this kernel alone before a prefill, for layers
// beyond the first four, and in tests.
// @binding(0) params: { srows: u32, W: u32 }
// STORE_BINDINGS (storeDefines in kernels.ts, from binding 1): srow: array<u32>, (srows, 4) [token, slot,
// pos, unused] (read); per layer i: fresh{i}: array<vec4f>, (srows, W) (read), and kv{i}:
// texture_storage_2d_array<rgba32float, write>, layer i's cache.
// Workgroup 64, one invocation per (row, j); dispatch linearGrid(srows·W, 64).
struct Params { srows: u32, W: u32 }
@group(0) @binding(0) var<uniform> p: Params;
{{STORE_BINDINGS}}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.y * 65535u * 64u + gid.x;
  {{STORES}}
}
