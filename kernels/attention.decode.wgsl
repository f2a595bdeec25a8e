// attention.decode: one query per sequence against its KV cache, with the cache write fused in. For row b
// (cache slot s, position t_b) and head h, the workgroup first stores the new key and value (columns
// C .. 3C of the c_attn output) at (s, t_b), then computes
//   y[b, h·HS + d] = Σ_{t ≤ t_b} softmax_t(q·k_t / √HS) · v_t[d]
// without a score vector: each invocation runs an online softmax (running max m, sum l, accumulator
// acc[HS]) over positions lid, lid + WG, ..., and the WG partial states are merged in workgroup memory.
// Keys, values and the query are read as vec4s (llvmpipe pays per load, not per float).
// @binding(0) params: { C4: u32, NH: u32, Tmax: u32, scale: f32 }   C4 = C / 4, scale = 1/√HS
// @binding(1) qkv: array<vec4f>, (rows, 3C/4) row-major, the c_attn output of the decode step (read)
// @binding(2) rowinfo: array<u32>, (rows, 4): [token, slot, pos, unused] per row (read)
// @binding(3) kc: array<vec4f>, (slots, Tmax, C/4) keys, heads interleaved (read-write: row (slot, pos) written)
// @binding(4) vc: array<vec4f>, (slots, Tmax, C/4) values (read-write, likewise)
// @binding(5) y: array<vec4f>, (rows, C/4) row-major, heads interleaved for c_proj (write)
// Defines: HS4 = HS / 4 (the head size must be a multiple of 4). Override WG (invocations,
// WG·HS·4 bytes of workgroup memory). Dispatch (NH, rows).
struct Params { C4: u32, NH: u32, Tmax: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> qkv: array<vec4f>;
@group(0) @binding(2) var<storage, read> rowinfo: array<u32>;
@group(0) @binding(3) var<storage, read_write> kc: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> vc: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> y: array<vec4f>;

const HS4 = {{HS4}}u;
override WG: u32 = 8u;
// A finite "minus infinity": exp(NEG - m) underflows to 0 where exp(-inf) is not guaranteed in WGSL.
const NEG = -3.0e38;

var<workgroup> wm: array<f32, WG>;
var<workgroup> wl: array<f32, WG>;
var<workgroup> wacc: array<vec4f, WG * HS4>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid3: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let lid = lid3.x;
  let h = wid.x;
  let b = wid.y;
  let slot = rowinfo[b * 4u + 1u];
  let pos = rowinfo[b * 4u + 2u];
  let src = b * 3u * p.C4 + h * HS4;
  let cache0 = slot * p.Tmax * p.C4 + h * HS4;
  for (var d = lid; d < HS4; d += WG) {
    kc[cache0 + pos * p.C4 + d] = qkv[src + p.C4 + d];
    vc[cache0 + pos * p.C4 + d] = qkv[src + 2u * p.C4 + d];
  }
  storageBarrier();
  workgroupBarrier();
  var q: array<vec4f, HS4>;
  var acc: array<vec4f, HS4>;
  for (var d = 0u; d < HS4; d++) { q[d] = qkv[src + d] * p.scale; acc[d] = vec4f(0.0); }
  var m = NEG;
  var l = 0.0;
  for (var t = lid; t <= pos; t += WG) {
    let k0 = cache0 + t * p.C4;
    var s = 0.0;
    for (var d = 0u; d < HS4; d++) { s += dot(q[d], kc[k0 + d]); }
    let mNew = max(m, s);
    let corr = exp(m - mNew);
    let e = exp(s - mNew);
    l = l * corr + e;
    for (var d = 0u; d < HS4; d++) { acc[d] = acc[d] * corr + e * vc[k0 + d]; }
    m = mNew;
  }
  wm[lid] = m;
  wl[lid] = l;
  for (var d = 0u; d < HS4; d++) { wacc[lid * HS4 + d] = acc[d]; }
  workgroupBarrier();
  // Invocation 0 always saw position 0, so the merged max is finite.
  var M = NEG;
  for (var i = 0u; i < WG; i++) { M = max(M, wm[i]); }
  var den = 0.0;
  for (var i = 0u; i < WG; i++) { den += exp(wm[i] - M) * wl[i]; }
  for (var d = lid; d < HS4; d += WG) {
    var num = vec4f(0.0);
    for (var i = 0u; i < WG; i++) { num += exp(wm[i] - M) * wacc[i * HS4 + d]; }
    y[b * p.C4 + h * HS4 + d] = num / den;
  }
}
