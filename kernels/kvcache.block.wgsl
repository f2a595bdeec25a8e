// kvcache.block: one whole transformer block of the decode step in one dispatch, for CPU adapters
// (llvmpipe), where each dispatch costs ~100-300 µs and a few sequences' matrices are small: one
// workgroup per sequence runs the block's phases in order, separated by workgroup + storage barriers,
// with its intermediates in a per-row global scratch area:
//   a = ln_1(x); qkv = a·Wqkv + b (k, v go straight into the cache at (slot, pos)); y = attention of q
//   over the cache (per head: an online softmax per invocation over t = lid, lid + WG, …, merged through
//   scratch); x += y·Wproj + b; a = ln_2(x); f = gelu(a·Wfc + b); x += f·Wfc2 + b.
// The same math as gpt.ts (and as the per-op decode path in kvcache.linear.wgsl + attention.decode.wgsl,
// which GPUs and bigger batches use: one workgroup per sequence would leave a GPU idle, and it reads every
// weight once per sequence instead of once per 8). Measured on llvmpipe, tiny preset, batch 1, profiled:
// 1.2 ms per block with storage-buffer weights, 0.55 ms with textures, against ~5 × 0.3 ms for "ops".
// @binding(0) params: { C: u32, NH: u32, Tmax: u32, S: u32, eps: f32, scale: f32 }
//             S = scratch words per row = 7C + 2·WG + WG·HS; scale = 1/√HS
// @binding(1) x: array<vec4f>, (rows, C/4) residual stream (read-write, updated in place)
// @binding(2) rowinfo: array<u32>, (rows, 4): [token, slot, pos, unused] (read)
// @binding(3) vecs: array<f32>, (13C): ln_1 w, ln_1 b, c_attn b (3C), attn c_proj b, ln_2 w, ln_2 b,
//             c_fc b (4C), mlp c_proj b (zeros for a model without biases) (read)
// @binding(4..7) wqkv (C, 3C), wproj (C, C), wfc (C, 4C), wfc2 (4C, C): texture_2d<f32> rgba32float of
//             K rows × N/4 texels, texel (n4, k) = weight[k, 4n4 .. 4n4 + 3] (kvcache.pack.wgsl) (read)
// @binding(8) kc, @binding(9) vc: array<f32>, (slots, Tmax, C) caches (read-write: (slot, pos) written)
// @binding(10) scratch: array<f32>, (rows, S): a (C), q (C), y (C), f (4C), m (WG), l (WG), acc (WG·HS)
// Defines: HS. Override WG. Dispatch (rows).
struct Params { C: u32, NH: u32, Tmax: u32, S: u32, eps: f32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<vec4f>;
@group(0) @binding(2) var<storage, read> rowinfo: array<u32>;
@group(0) @binding(3) var<storage, read> vecs: array<f32>;
@group(0) @binding(4) var wqkv: texture_2d<f32>;
@group(0) @binding(5) var wproj: texture_2d<f32>;
@group(0) @binding(6) var wfc: texture_2d<f32>;
@group(0) @binding(7) var wfc2: texture_2d<f32>;
@group(0) @binding(8) var<storage, read_write> kc: array<f32>;
@group(0) @binding(9) var<storage, read_write> vc: array<f32>;
@group(0) @binding(10) var<storage, read_write> scratch: array<f32>;

const HS = {{HS}}u;
override WG: u32 = 64u;
const NEG = -3.0e38;
const SQRT_2_OVER_PI = 0.7978845608028654;

fn sync() {
  storageBarrier();
  workgroupBarrier();
}

fn xAt(row: u32, k: u32) -> f32 {
  return x[row + k / 4u][k % 4u];
}

fn bias4(o: u32) -> vec4f {
  return vec4f(vecs[o], vecs[o + 1u], vecs[o + 2u], vecs[o + 3u]);
}

// scratch[a0 + c] = LayerNorm(x row) with the weight at vecs[w0] and shift at vecs[w0 + C].
fn layerNorm(lid: u32, row: u32, a0: u32, w0: u32) {
  let C = p.C;
  var s = 0.0;
  for (var k = 0u; k < C; k++) { s += xAt(row, k); }
  let mean = s / f32(C);
  var v = 0.0;
  for (var k = 0u; k < C; k++) { let d = xAt(row, k) - mean; v += d * d; }
  let rstd = 1.0 / sqrt(v / f32(C) + p.eps);
  for (var c = lid; c < C; c += WG) { scratch[a0 + c] = (xAt(row, c) - mean) * rstd * vecs[w0 + c] + vecs[w0 + C + c]; }
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid3: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let lid = lid3.x;
  let b = wid.x;
  let C = p.C;
  let C4 = C / 4u;
  let row = b * C4;
  let slot = rowinfo[b * 4u + 1u];
  let pos = rowinfo[b * 4u + 2u];
  let s0 = b * p.S;
  let aOff = s0;
  let qOff = s0 + C;
  let yOff = s0 + 2u * C;
  let fOff = s0 + 3u * C;
  let mOff = s0 + 7u * C;
  let lOff = mOff + WG;
  let accOff = lOff + WG;
  let cacheRow = (slot * p.Tmax + pos) * C;

  layerNorm(lid, row, aOff, 0u);
  sync();
  for (var n4 = lid; n4 < 3u * C4; n4 += WG) {
    var acc = bias4(2u * C + n4 * 4u);
    for (var k = 0u; k < C; k++) { acc += scratch[aOff + k] * textureLoad(wqkv, vec2u(n4, k), 0); }
    for (var i = 0u; i < 4u; i++) {
      let c = n4 * 4u + i;
      if (c < C) { scratch[qOff + c] = acc[i] * p.scale; }
      else if (c < 2u * C) { kc[cacheRow + c - C] = acc[i]; }
      else { vc[cacheRow + c - 2u * C] = acc[i]; }
    }
  }
  sync();
  for (var h = 0u; h < p.NH; h++) {
    var acc: array<f32, HS>;
    for (var d = 0u; d < HS; d++) { acc[d] = 0.0; }
    var m = NEG;
    var l = 0.0;
    for (var t = lid; t <= pos; t += WG) {
      let k0 = (slot * p.Tmax + t) * C + h * HS;
      var s = 0.0;
      for (var d = 0u; d < HS; d++) { s += scratch[qOff + h * HS + d] * kc[k0 + d]; }
      let mNew = max(m, s);
      let corr = exp(m - mNew);
      let e = exp(s - mNew);
      l = l * corr + e;
      for (var d = 0u; d < HS; d++) { acc[d] = acc[d] * corr + e * vc[k0 + d]; }
      m = mNew;
    }
    scratch[mOff + lid] = m;
    scratch[lOff + lid] = l;
    for (var d = 0u; d < HS; d++) { scratch[accOff + lid * HS + d] = acc[d]; }
    sync();
    // Invocation 0 always saw position 0, so the merged max is finite.
    var M = NEG;
    for (var i = 0u; i < WG; i++) { M = max(M, scratch[mOff + i]); }
    var den = 0.0;
    for (var i = 0u; i < WG; i++) { den += exp(scratch[mOff + i] - M) * scratch[lOff + i]; }
    for (var d = lid; d < HS; d += WG) {
      var num = 0.0;
      for (var i = 0u; i < WG; i++) { num += exp(scratch[mOff + i] - M) * scratch[accOff + i * HS + d]; }
      scratch[yOff + h * HS + d] = num / den;
    }
    sync();
  }
  for (var n4 = lid; n4 < C4; n4 += WG) {
    var acc = bias4(5u * C + n4 * 4u);
    for (var k = 0u; k < C; k++) { acc += scratch[yOff + k] * textureLoad(wproj, vec2u(n4, k), 0); }
    x[row + n4] += acc;
  }
  sync();
  layerNorm(lid, row, aOff, 6u * C);
  sync();
  for (var n4 = lid; n4 < C; n4 += WG) {
    var y = bias4(8u * C + n4 * 4u);
    for (var k = 0u; k < C; k++) { y += scratch[aOff + k] * textureLoad(wfc, vec2u(n4, k), 0); }
    let u = SQRT_2_OVER_PI * (y + 0.044715 * y * y * y);
    let g = y / (1.0 + exp(clamp(-2.0 * u, vec4f(-80.0), vec4f(80.0))));
    for (var i = 0u; i < 4u; i++) { scratch[fOff + n4 * 4u + i] = g[i]; }
  }
  sync();
  for (var n4 = lid; n4 < C4; n4 += WG) {
    var acc = bias4(12u * C + n4 * 4u);
    for (var k = 0u; k < 4u * C; k++) { acc += scratch[fOff + k] * textureLoad(wfc2, vec2u(n4, k), 0); }
    x[row + n4] += acc;
  }
}
