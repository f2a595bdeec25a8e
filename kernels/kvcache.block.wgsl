// kvcache.block: one whole transformer block of the decode step in one dispatch, for CPU adapters
// (llvmpipe), where each dispatch costs tens of µs and a few sequences' matrices are small: one
// workgroup per sequence runs the block's phases in order, separated by workgroup + storage barriers,
// with its intermediates in a per-row global scratch area (barriers stay in the entry point: on llvmpipe
// a barrier inside a helper function does not synchronise):
//   a = ln_1(x); qkv = a·Wqkv + b (k, v to `fresh`, which the next step's kvcache.embed, or kvcache.store,
//   writes into the cache); y = attention of q over the cache and the new k, v; x += y·Wproj + b;
//   a = ln_2(x); f = gelu(a·Wfc + b); x += f·Wfc2 + b.
// Attention gives each head G invocations (G = WG / NH rounded down to a power of two; heads beyond
// WG / G take further rounds); each runs an online softmax over positions j, j + G, … and the head's G
// partial states are merged through scratch.
// The same math as gpt.ts (and as the per-op decode path in kvcache.attend.wgsl + kvcache.linear.wgsl,
// which GPUs and bigger batches use: one workgroup per sequence would leave a GPU idle, and it reads every
// weight once per sequence instead of once per R rows). On llvmpipe each load instruction costs about the
// same whatever it loads, so everything is read as vec4s, and each invocation computes 4 vec4 columns at
// a time: per vec4 of activations it loads 16 weight texels.
// @binding(0) params: { C4: u32, NH: u32, S4: u32, eps: f32, scale: f32 }
//             C4 = C / 4; S4 = scratch vec4s per row = 7·C4 + WG + WG·HS4; scale = 1/√HS
// @binding(1) x: array<vec4f>, (rows, C4) residual stream (read-write, updated in place)
// @binding(2) rowinfo: array<u32>, (rows, 4): [token, slot, pos, unused] (read)
// @binding(3) vecs: array<vec4f>, (13C / 4): ln_1 w, ln_1 b, c_attn b (3C), attn c_proj b, ln_2 w, ln_2 b,
//             c_fc b (4C), mlp c_proj b (zeros for a model without biases) (read)
// @binding(4..7) wqkv (C, 3C), wproj (C, C), wfc (C, 4C), wfc2 (4C, C): texture_storage_2d<rgba32float, read> of
//             K rows × N/4 texels, texel (n4, k) = weight[k, 4n4 .. 4n4 + 3] (kvcache.pack.wgsl) (read)
// @binding(8) kv: texture_storage_2d_array<rgba32float, read>, the layer's cache (KvCache in kernels.ts): texel
//             (c4, t, slot) key, (C4 + c4, t, slot) value (read; this step's position comes from fresh)
// @binding(9) fresh: array<vec4f>, (rows, 2·C4) each row's new key then value, for the cache store (read-write)
// @binding(10) scratch: array<vec4f>, (rows, S4): a (C4), q (C4), y (C4), f (4·C4), (m, l, _, _) (WG),
//             acc (WG·HS4)
// Defines: HS4 = HS / 4, G (invocations per head, a power of two ≤ WG). Override WG. Dispatch (rows).
struct Params { C4: u32, NH: u32, S4: u32, eps: f32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<vec4f>;
@group(0) @binding(2) var<storage, read> rowinfo: array<u32>;
@group(0) @binding(3) var<storage, read> vecs: array<vec4f>;
@group(0) @binding(4) var wqkv: texture_storage_2d<rgba32float, read>;
@group(0) @binding(5) var wproj: texture_storage_2d<rgba32float, read>;
@group(0) @binding(6) var wfc: texture_storage_2d<rgba32float, read>;
@group(0) @binding(7) var wfc2: texture_storage_2d<rgba32float, read>;
@group(0) @binding(8) var kv: texture_storage_2d_array<rgba32float, read>;
@group(0) @binding(9) var<storage, read_write> fresh: array<vec4f>;
@group(0) @binding(10) var<storage, read_write> scratch: array<vec4f>;

const HS4 = {{HS4}}u;
const G = {{G}}u;
override WG: u32 = 32u;
const NEG = -3.0e38;
const SQRT_2_OVER_PI = 0.7978845608028654;

// scratch[a0 + c4] = LayerNorm(x row) with the weight at vecs[w0] and shift at vecs[w0 + C4]. Every
// invocation computes the row's statistics itself: 2·C4 loads, cheaper than a reduction's barriers.
fn layerNorm(lid: u32, row: u32, a0: u32, w0: u32) {
  let C4 = p.C4;
  let C = f32(4u * C4);
  var s = 0.0;
  for (var k = 0u; k < C4; k++) { s += dot(x[row + k], vec4f(1.0)); }
  let mean = s / C;
  var v = 0.0;
  for (var k = 0u; k < C4; k++) { let d = x[row + k] - mean; v += dot(d, d); }
  let rstd = 1.0 / sqrt(v / C + p.eps);
  for (var c = lid; c < C4; c += WG) { scratch[a0 + c] = (x[row + c] - mean) * rstd * vecs[w0 + c] + vecs[w0 + C4 + c]; }
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid3: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let lid = lid3.x;
  let b = wid.x;
  let C4 = p.C4;
  let row = b * C4;
  let slot = rowinfo[b * 4u + 1u];
  let pos = rowinfo[b * 4u + 2u];
  let s0 = b * p.S4;
  let aOff = s0;
  let qOff = s0 + C4;
  let yOff = s0 + 2u * C4;
  let fOff = s0 + 3u * C4;
  let mlOff = s0 + 7u * C4;
  let accOff = mlOff + WG;
  let new0 = b * 2u * C4;

  layerNorm(lid, row, aOff, 0u);
  storageBarrier(); workgroupBarrier();
  for (var n0 = 4u * lid; n0 < 3u * C4; n0 += 4u * WG) {
    var acc: array<vec4f, 4>;
    for (var c = 0u; c < 4u; c++) { acc[c] = vecs[2u * C4 + min(n0 + c, 3u * C4 - 1u)]; }
    for (var k4 = 0u; k4 < C4; k4++) {
      let a = scratch[aOff + k4];
      let k = 4u * k4;
      for (var c = 0u; c < 4u; c++) {
        let n = min(n0 + c, 3u * C4 - 1u);
        acc[c] += a.x * textureLoad(wqkv, vec2u(n, k)) + a.y * textureLoad(wqkv, vec2u(n, k + 1u))
                + a.z * textureLoad(wqkv, vec2u(n, k + 2u)) + a.w * textureLoad(wqkv, vec2u(n, k + 3u));
      }
    }
    for (var c = 0u; c < 4u; c++) {
      let n4 = n0 + c;
      if (n4 < C4) { scratch[qOff + n4] = acc[c] * p.scale; }
      else if (n4 < 3u * C4) { fresh[new0 + n4 - C4] = acc[c]; }
    }
  }
  storageBarrier(); workgroupBarrier();
  let j = lid % G;
  for (var h0 = 0u; h0 < p.NH; h0 += WG / G) {
    let h = h0 + lid / G;
    let live = h < p.NH;
    let hc = min(h, p.NH - 1u) * HS4;
    var q: array<vec4f, HS4>;
    var kNew: array<vec4f, HS4>;
    var vNew: array<vec4f, HS4>;
    var acc: array<vec4f, HS4>;
    for (var d = 0u; d < HS4; d++) {
      q[d] = scratch[qOff + hc + d];
      kNew[d] = fresh[new0 + hc + d];
      vNew[d] = fresh[new0 + C4 + hc + d];
      acc[d] = vec4f(0.0);
    }
    // Positions j, j + G, …: earlier ones from the cache texture, pos itself from fresh. Invocations past
    // the last head start past pos, so they take none.
    let tFirst = select(pos + 1u, j, live);
    let tStep = G;
    // #include kvcache.attendrow
    scratch[mlOff + lid] = vec4f(m, l, 0.0, 0.0);
    for (var d = 0u; d < HS4; d++) { scratch[accOff + lid * HS4 + d] = acc[d]; }
    storageBarrier(); workgroupBarrier();
    if (live) {
      // The head's invocation j = 0 always saw position 0, so the merged max is finite.
      let g0 = lid - j;
      var M = NEG;
      for (var i = 0u; i < G; i++) { M = max(M, scratch[mlOff + g0 + i].x); }
      var den = 0.0;
      for (var i = 0u; i < G; i++) { let ml = scratch[mlOff + g0 + i]; den += exp(ml.x - M) * ml.y; }
      for (var d = j; d < HS4; d += G) {
        var num = vec4f(0.0);
        for (var i = 0u; i < G; i++) { num += exp(scratch[mlOff + g0 + i].x - M) * scratch[accOff + (g0 + i) * HS4 + d]; }
        scratch[yOff + h * HS4 + d] = num / den;
      }
    }
    storageBarrier(); workgroupBarrier();
  }
  for (var n0 = 4u * lid; n0 < C4; n0 += 4u * WG) {
    var acc: array<vec4f, 4>;
    for (var c = 0u; c < 4u; c++) { acc[c] = vecs[5u * C4 + min(n0 + c, C4 - 1u)]; }
    for (var k4 = 0u; k4 < C4; k4++) {
      let a = scratch[yOff + k4];
      let k = 4u * k4;
      for (var c = 0u; c < 4u; c++) {
        let n = min(n0 + c, C4 - 1u);
        acc[c] += a.x * textureLoad(wproj, vec2u(n, k)) + a.y * textureLoad(wproj, vec2u(n, k + 1u))
                + a.z * textureLoad(wproj, vec2u(n, k + 2u)) + a.w * textureLoad(wproj, vec2u(n, k + 3u));
      }
    }
    for (var c = 0u; c < 4u; c++) { if (n0 + c < C4) { x[row + n0 + c] += acc[c]; } }
  }
  storageBarrier(); workgroupBarrier();
  layerNorm(lid, row, aOff, 6u * C4);
  storageBarrier(); workgroupBarrier();
  for (var n0 = 4u * lid; n0 < 4u * C4; n0 += 4u * WG) {
    var acc: array<vec4f, 4>;
    for (var c = 0u; c < 4u; c++) { acc[c] = vecs[8u * C4 + n0 + c]; }
    for (var k4 = 0u; k4 < C4; k4++) {
      let a = scratch[aOff + k4];
      let k = 4u * k4;
      for (var c = 0u; c < 4u; c++) {
        let n = n0 + c;
        acc[c] += a.x * textureLoad(wfc, vec2u(n, k)) + a.y * textureLoad(wfc, vec2u(n, k + 1u))
                + a.z * textureLoad(wfc, vec2u(n, k + 2u)) + a.w * textureLoad(wfc, vec2u(n, k + 3u));
      }
    }
    for (var c = 0u; c < 4u; c++) {
      let y = acc[c];
      let u = SQRT_2_OVER_PI * (y + 0.044715 * y * y * y);
      scratch[fOff + n0 + c] = y / (1.0 + exp(clamp(-2.0 * u, vec4f(-80.0), vec4f(80.0))));
    }
  }
  storageBarrier(); workgroupBarrier();
  for (var n0 = 4u * lid; n0 < C4; n0 += 4u * WG) {
    var acc: array<vec4f, 4>;
    for (var c = 0u; c < 4u; c++) { acc[c] = vecs[12u * C4 + min(n0 + c, C4 - 1u)]; }
    for (var k4 = 0u; k4 < 4u * C4; k4++) {
      let a = scratch[fOff + k4];
      let k = 4u * k4;
      for (var c = 0u; c < 4u; c++) {
        let n = min(n0 + c, C4 - 1u);
        acc[c] += a.x * textureLoad(wfc2, vec2u(n, k)) + a.y * textureLoad(wfc2, vec2u(n, k + 1u))
                + a.z * textureLoad(wfc2, vec2u(n, k + 2u)) + a.w * textureLoad(wfc2, vec2u(n, k + 3u));
      }
    }
    for (var c = 0u; c < 4u; c++) { if (n0 + c < C4) { x[row + n0 + c] += acc[c]; } }
  }
}
