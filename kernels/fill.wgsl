// fill: out[i] = value (as raw bits, so it fills f32, i32 and u32 buffers, NaN included).
// @binding(0) params: { n: u32, bits: u32 }   n = element count
// @binding(1) out: array<u32>, n elements
// Workgroup 256; dispatch ceil(n / 256) along x, wrapping into y past 65535 (x stride = 65535 * 256).
struct Params { n: u32, bits: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.y * 65535u * 256u + gid.x;
  if (i < p.n) { out[i] = p.bits; }
}
