// attention.decode: one query per sequence against its KV cache, with the cache write fused in. For row b
// (cache slot s, position t_b) and head h, the workgroup first stores the new key and value (columns
// C .. 3C of the c_attn output) at (s, t_b), then computes
//   y[b, h·HS + d] = Σ_{t ≤ t_b} softmax_t(q·k_t / √HS) · v_t[d]
// without a score vector: each invocation runs an online softmax (running max m, sum l, accumulator
// acc[HS]) over positions lid, lid + WG, ..., and the WG partial states are merged in workgroup memory.
// @binding(0) params: { C: u32, NH: u32, Tmax: u32, scale: f32 }   scale = 1/√HS
// @binding(1) qkv: array<f32>, (rows, 3C) row-major, the c_attn output of the decode step (read)
// @binding(2) rowinfo: array<u32>, (rows, 4): [token, slot, pos, unused] per row (read)
// @binding(3) kc: array<f32>, (slots, Tmax, C) keys, heads interleaved (read-write: row (slot, pos) written)
// @binding(4) vc: array<f32>, (slots, Tmax, C) values (read-write, likewise)
// @binding(5) y: array<f32>, (rows, C) row-major, heads interleaved for c_proj (write)
// Defines: HS (head size). Override WG (invocations, WG·HS·4 bytes of workgroup memory).
// Dispatch (NH, rows).
struct Params { C: u32, NH: u32, Tmax: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> qkv: array<f32>;
@group(0) @binding(2) var<storage, read> rowinfo: array<u32>;
@group(0) @binding(3) var<storage, read_write> kc: array<f32>;
@group(0) @binding(4) var<storage, read_write> vc: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;

const HS = {{HS}}u;
override WG: u32 = 32u;
// A finite "minus infinity": exp(NEG - m) underflows to 0 where exp(-inf) is not guaranteed in WGSL.
const NEG = -3.0e38;

var<workgroup> wm: array<f32, WG>;
var<workgroup> wl: array<f32, WG>;
var<workgroup> wacc: array<f32, WG * HS>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid3: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let lid = lid3.x;
  let h = wid.x;
  let b = wid.y;
  let slot = rowinfo[b * 4u + 1u];
  let pos = rowinfo[b * 4u + 2u];
  let src = b * 3u * p.C + h * HS;
  let cache0 = slot * p.Tmax * p.C + h * HS;
  for (var d = lid; d < HS; d += WG) {
    kc[cache0 + pos * p.C + d] = qkv[src + p.C + d];
    vc[cache0 + pos * p.C + d] = qkv[src + 2u * p.C + d];
  }
  storageBarrier();
  workgroupBarrier();
  var q: array<f32, HS>;
  var acc: array<f32, HS>;
  for (var d = 0u; d < HS; d++) { q[d] = qkv[src + d] * p.scale; acc[d] = 0.0; }
  var m = NEG;
  var l = 0.0;
  for (var t = lid; t <= pos; t += WG) {
    let k0 = cache0 + t * p.C;
    var s = 0.0;
    for (var d = 0u; d < HS; d++) { s += q[d] * kc[k0 + d]; }
    let mNew = max(m, s);
    let corr = exp(m - mNew);
    let e = exp(s - mNew);
    l = l * corr + e;
    for (var d = 0u; d < HS; d++) { acc[d] = acc[d] * corr + e * vc[k0 + d]; }
    m = mNew;
  }
  wm[lid] = m;
  wl[lid] = l;
  for (var d = 0u; d < HS; d++) { wacc[lid * HS + d] = acc[d]; }
  workgroupBarrier();
  // Invocation 0 always saw position 0, so the merged max is finite.
  var M = NEG;
  for (var i = 0u; i < WG; i++) { M = max(M, wm[i]); }
  var den = 0.0;
  for (var i = 0u; i < WG; i++) { den += exp(wm[i] - M) * wl[i]; }
  for (var d = lid; d < HS; d += WG) {
    var num = 0.0;
    for (var i = 0u; i < WG; i++) { num += exp(wm[i] - M) * wacc[i * HS + d]; }
    y[b * p.C + h * HS + d] = num / den;
  }
}
