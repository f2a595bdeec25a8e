// attention: fused causal self-attention forward, flash-attention style (online softmax over key blocks,
// no T×T matrix in memory). Per head h, with HS = C / NH and q, k, v the head's slices of qkv:
//   y[b, t, h] = Σ_{j ≤ t} softmax_j(q_t · k_j · scale) v_j,   lse[b, h, t] = log Σ_{j ≤ t} exp(q_t · k_j · scale)
// On llvmpipe (CPU adapters) the op runs attention.rows.wgsl for heads of up to 64 channels: this
// layout loads every k/v row once per row of its workgroup, and llvmpipe pays ~50 multiply-adds per load
// (B=16 T=128 C=128 NH=4 forward+backward: 395 ms here vs 55 ms there, same run, load 6.3).
// @binding(0) params: { B, T, C, NH, hsv: u32, scale: f32 }   hsv = HSV, scale = 1 / sqrt(HS)
// @binding(1) qkv: array<f32>, (B, T, 3C) row-major, read: q = [.., 0:C], k = [.., C:2C], v = [.., 2C:3C];
//             head h owns channels h·HS .. (h+1)·HS of each third.
// @binding(2) y:   array<f32>, (B, T, C) row-major, written: heads re-interleaved, channel h·HS + d.
// @binding(3) lse: array<f32>, (B, NH, T) row-major, written: each query row's logsumexp, for backward.
// Defines: HS (head size), HSV = ceil(HS / 4) (vec4s per row; rows are zero-padded to 4·HSV), NV = "HSV"
//   or "p.hsv" (see rowVec4s).
// Overrides: BQ = query rows per workgroup = workgroup size; BK = keys per block. Workgroup memory is
//   (2·BK·HSV·4 + BK·BQ) f32s; the host sizes BQ, BK to the device limit.
// Dispatch (ceil(T / BQ), B·NH, 1): workgroup (x, y) handles query rows x·BQ .. x·BQ + BQ - 1 of head
//   y % NH in batch y / NH; one invocation per query row, its q and output accumulator in registers.
struct Params { B: u32, T: u32, C: u32, NH: u32, hsv: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> qkv: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> lse: array<f32>;

const HS: u32 = {{HS}}u;
const HSV: u32 = {{HSV}}u;
// Bound of the loops over a row's vec4s: HSV (unrolled at compile time: fastest, but llvmpipe takes tens of
// seconds to compile it for large HS) or p.hsv (a runtime loop), as the host chooses.
fn rowVec4s() -> u32 { return {{NV}}; }
// Finite stand-in for -inf: masked scores, and the running max before the first key.
const NEG: f32 = -1e30;
override BQ: u32 = 64u;
override BK: u32 = 32u;

var<workgroup> kTile: array<vec4f, BK * HSV>;  // (BK, HSV) keys of this block, zero past T
var<workgroup> vTile: array<vec4f, BK * HSV>;  // (BK, HSV) values of this block
var<workgroup> sTile: array<f32, BK * BQ>;     // (BK, BQ) each row's scores for this block

// Four channels d4·4 .. d4·4+3 of one head row starting at `base`, zero past HS.
fn load4(base: u32, d4: u32) -> vec4f {
  var r = vec4f(0.0);
  for (var c = 0u; c < 4u; c++) {
    if (d4 * 4u + c < HS) { r[c] = qkv[base + d4 * 4u + c]; }
  }
  return r;
}

@compute @workgroup_size(BQ)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let nv = rowVec4s();
  let bh = wid.y;
  let h = bh % p.NH;
  let C3 = 3u * p.C;
  let head0 = (bh / p.NH) * p.T * C3 + h * HS;  // q channel 0 of (b, t = 0, h) in qkv
  let q0 = wid.x * BQ;
  let t = q0 + lid;
  // Rows past T still take part in the barriers; they read the last row and write nothing.
  let tRead = min(t, p.T - 1u);

  var q: array<vec4f, HSV>;
  var o: array<vec4f, HSV>;
  for (var d = 0u; d < nv; d++) {
    q[d] = load4(head0 + tRead * C3, d) * p.scale;
    o[d] = vec4f(0.0);
  }
  var m = NEG;  // running max of this row's scores
  var l = 0.0;  // running Σ exp(score - m)

  let kEnd = min(p.T, q0 + BQ);  // causal: no row of this block sees a key past its last row
  for (var k0 = 0u; k0 < kEnd; k0 += BK) {
    for (var e = lid; e < BK * HSV; e += BQ) {
      let j = k0 + e / HSV;
      var kv = vec4f(0.0);
      var vv = vec4f(0.0);
      if (j < p.T) {
        kv = load4(head0 + j * C3 + p.C, e % HSV);
        vv = load4(head0 + j * C3 + 2u * p.C, e % HSV);
      }
      kTile[e] = kv;
      vTile[e] = vv;
    }
    workgroupBarrier();

    let n = min(BK, kEnd - k0);
    var mBlock = m;
    for (var j = 0u; j < n; j++) {
      var s = 0.0;
      for (var d = 0u; d < nv; d++) { s += dot(q[d], kTile[j * HSV + d]); }
      s = select(NEG, s, k0 + j <= t);
      sTile[j * BQ + lid] = s;
      mBlock = max(mBlock, s);
    }
    // Rescale what was accumulated under the old max once per block, not once per key.
    let alpha = exp(m - mBlock);
    l *= alpha;
    for (var d = 0u; d < nv; d++) { o[d] *= alpha; }
    for (var j = 0u; j < n; j++) {
      let pj = select(0.0, exp(sTile[j * BQ + lid] - mBlock), k0 + j <= t);
      l += pj;
      for (var d = 0u; d < nv; d++) { o[d] += pj * vTile[j * HSV + d]; }
    }
    m = mBlock;
    workgroupBarrier();
  }

  if (t < p.T) {
    let inv = 1.0 / l;
    let yRow = ((bh / p.NH) * p.T + t) * p.C + h * HS;
    for (var d = 0u; d < nv; d++) {
      let od = o[d] * inv;
      for (var c = 0u; c < 4u; c++) {
        if (d * 4u + c < HS) { y[yRow + d * 4u + c] = od[c]; }
      }
    }
    lse[bh * p.T + t] = m + log(l);
  }
}
