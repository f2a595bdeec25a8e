// kvcache.write: copies the keys and values of a prefilled batch into the KV cache.
// kc[slot_b, t, c] = qkv[b, t, C + c] and vc[slot_b, t, c] = qkv[b, t, 2C + c] for t < len_b (padding
// positions t ≥ len_b are skipped, so a right-padded batch never writes past a prompt).
// @binding(0) params: { B: u32, T: u32, C: u32, Tmax: u32 }   B rows of the batch, T padded length,
//             Tmax positions per cache slot
// @binding(1) qkv: array<f32>, (B, T, 3C) row-major, the c_attn output (read)
// @binding(2) rowinfo: array<u32>, (B, 4): [token, slot, len, unused] per row (read)
// @binding(3) kc: array<f32>, (slots, Tmax, C) row-major, keys with heads interleaved (write)
// @binding(4) vc: array<f32>, (slots, Tmax, C) row-major, values (write)
// Workgroup 256, one invocation per (b, t, c); dispatch linearGrid(B·T·C).
struct Params { B: u32, T: u32, C: u32, Tmax: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> qkv: array<f32>;
@group(0) @binding(2) var<storage, read> rowinfo: array<u32>;
@group(0) @binding(3) var<storage, read_write> kc: array<f32>;
@group(0) @binding(4) var<storage, read_write> vc: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.y * 65535u * 256u + gid.x;
  if (i >= p.B * p.T * p.C) { return; }
  let c = i % p.C;
  let t = (i / p.C) % p.T;
  let b = i / (p.C * p.T);
  if (t >= rowinfo[b * 4u + 2u]) { return; }
  let src = (b * p.T + t) * 3u * p.C + c;
  let dst = (rowinfo[b * 4u + 1u] * p.Tmax + t) * p.C + c;
  kc[dst] = qkv[src + p.C];
  vc[dst] = qkv[src + 2u * p.C];
}
