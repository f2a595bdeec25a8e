// kvcache.attend: the first half of a decode-step block for R sequences and one head h: ln_1, the head's
// q, k and v columns of c_attn (k and v to `fresh`, which the next step's kvcache.embed, or kvcache.store,
// writes into the cache at each row's (slot, pos)), and attention of q over the row's cache and its new k, v,
// y[b, h·HS .. (h+1)·HS) = Σ_{t ≤ pos_b} softmax_t(q·k_t / √HS) · v_t.
// The "ops" decode path's first dispatch per block (kvcache.linear does c_proj, c_fc and mlp c_proj): each
// c_attn texel is loaded once per R rows, q never leaves workgroup memory, and attention needs no merge
// of partial softmax states, because invocation r owns row r for the whole attention phase (one online
// softmax over all its positions). Measured on llvmpipe at 16 rows: a third less time than a c_attn
// linear plus a separate attention kernel with 8 invocations per (row, head) and a merge. Two phases, with barriers in the entry point (on llvmpipe a barrier inside a
// helper function does not synchronise):
//   1. invocation j computes vec4 column j of q, k and v for the R rows (j < HS4, so WG ≥ HS4), with the
//      rows' LayerNorm statistics computed together first; q goes to workgroup memory, k and v to fresh;
//   2. invocation r < R attends for row r.
// @binding(0) params: { rows: u32, C4: u32, eps: f32, scale: f32 }   C4 = C / 4, scale = 1/√HS
// @binding(1) x: array<vec4f>, (rows, C4) residual stream (read)
// @binding(2) rowinfo: array<u32>, (rows, 4): [token, slot, pos, unused] (read)
// @binding(3) w: texture_storage_2d<rgba32float, read>, c_attn (C, 3C) as 3C/4 × C texels (kvcache.pack.wgsl) (read)
// @binding(4) bias: array<vec4f>, (3C/4) c_attn bias (read)
// @binding(5) lnw: array<vec4f>, (C4) ln_1 scale (read)
// @binding(6) lnb: array<vec4f>, (C4) ln_1 shift (read)
// @binding(7) kv: texture_storage_2d_array<rgba32float, read>, the layer's cache (KvCache in kernels.ts): texel
//             (c4, t, slot) key, (C4 + c4, t, slot) value (read; this step's position comes from fresh)
// @binding(8) fresh: array<vec4f>, (rows, 2·C4) each row's new key then value, for the cache store (read-write)
// @binding(9) y: array<vec4f>, (rows, C4) attention output, heads interleaved for c_proj (write)
// Defines: R (rows per workgroup, ≤ WG), HS4 = HS / 4 (≤ WG). Override WG.
// Dispatch (NH, ceil(rows / R)).
struct Params { rows: u32, C4: u32, eps: f32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4f>;
@group(0) @binding(2) var<storage, read> rowinfo: array<u32>;
@group(0) @binding(3) var w: texture_storage_2d<rgba32float, read>;
@group(0) @binding(4) var<storage, read> bias: array<vec4f>;
@group(0) @binding(5) var<storage, read> lnw: array<vec4f>;
@group(0) @binding(6) var<storage, read> lnb: array<vec4f>;
@group(0) @binding(7) var kv: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(8) var<storage, read_write> fresh: array<vec4f>;
@group(0) @binding(9) var<storage, read_write> y: array<vec4f>;

const R = {{R}}u;
const HS4 = {{HS4}}u;
override WG: u32 = 8u;
const NEG = -3.0e38;

var<workgroup> part: array<f32, R * WG>;
var<workgroup> stat: array<f32, 2u * R>;
var<workgroup> qs: array<vec4f, R * HS4>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid3: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let lid = lid3.x;
  let h = wid.x;
  let row0 = wid.y * R;
  let K = f32(p.C4 * 4u);
  let C4 = p.C4;
  // Rows past the end repeat the last row (loads stay in bounds) and are not stored.
  var b: array<u32, R>;
  for (var r = 0u; r < R; r++) { b[r] = min(row0 + r, p.rows - 1u); }
  // ln_1 statistics of the R rows.
  // #include kvcache.rowstats

  // Phase 1: columns j of q, k and v of head h (texel columns h·HS4 + j, C4 + h·HS4 + j, 2·C4 + h·HS4 + j).
  if (lid < HS4) {
    let cq = h * HS4 + lid;
    let ck = p.C4 + cq;
    let cv = 2u * p.C4 + cq;
    var aq: array<vec4f, R>;
    var ak: array<vec4f, R>;
    var av: array<vec4f, R>;
    for (var r = 0u; r < R; r++) { aq[r] = vec4f(0.0); ak[r] = vec4f(0.0); av[r] = vec4f(0.0); }
    for (var k4 = 0u; k4 < p.C4; k4++) {
      let k = 4u * k4;
      let q0 = textureLoad(w, vec2u(cq, k));
      let q1 = textureLoad(w, vec2u(cq, k + 1u));
      let q2 = textureLoad(w, vec2u(cq, k + 2u));
      let q3 = textureLoad(w, vec2u(cq, k + 3u));
      let k0 = textureLoad(w, vec2u(ck, k));
      let k1 = textureLoad(w, vec2u(ck, k + 1u));
      let k2 = textureLoad(w, vec2u(ck, k + 2u));
      let k3 = textureLoad(w, vec2u(ck, k + 3u));
      let v0 = textureLoad(w, vec2u(cv, k));
      let v1 = textureLoad(w, vec2u(cv, k + 1u));
      let v2 = textureLoad(w, vec2u(cv, k + 2u));
      let v3 = textureLoad(w, vec2u(cv, k + 3u));
      let g = lnw[k4];
      let sh = lnb[k4];
      for (var r = 0u; r < R; r++) {
        let a = (x[b[r] * C4 + k4] - mean[r]) * rstd[r] * g + sh;
        aq[r] += a.x * q0 + a.y * q1 + a.z * q2 + a.w * q3;
        ak[r] += a.x * k0 + a.y * k1 + a.z * k2 + a.w * k3;
        av[r] += a.x * v0 + a.y * v1 + a.z * v2 + a.w * v3;
      }
    }
    let bq = bias[cq];
    let bk = bias[ck];
    let bv = bias[cv];
    for (var r = 0u; r < R; r++) {
      qs[r * HS4 + lid] = (aq[r] + bq) * p.scale;
      if (row0 + r < p.rows) {
        let at = (row0 + r) * 2u * p.C4 + h * HS4 + lid;
        fresh[at] = ak[r] + bk;
        fresh[at + p.C4] = av[r] + bv;
      }
    }
  }
  storageBarrier();
  workgroupBarrier();

  // Phase 2: invocation r attends for row r over positions 0 ..= pos.
  if (lid < R && row0 + lid < p.rows) {
    let row = row0 + lid;
    let slot = rowinfo[row * 4u + 1u];
    let pos = rowinfo[row * 4u + 2u];
    let hc = h * HS4;
    let new0 = row * 2u * p.C4 + hc;
    var q: array<vec4f, HS4>;
    var kNew: array<vec4f, HS4>;
    var vNew: array<vec4f, HS4>;
    var acc: array<vec4f, HS4>;
    for (var d = 0u; d < HS4; d++) {
      q[d] = qs[lid * HS4 + d];
      kNew[d] = fresh[new0 + d];
      vNew[d] = fresh[new0 + p.C4 + d];
      acc[d] = vec4f(0.0);
    }
    let tFirst = 0u;
    let tStep = 1u;
    // #include kvcache.attendrow
    for (var d = 0u; d < HS4; d++) { y[row * p.C4 + h * HS4 + d] = acc[d] / l; }
  }
}
