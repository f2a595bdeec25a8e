// kvcache.rows: one whole decode-step block for R rows per workgroup, for CPU adapters above a couple of
// sequences (kvcache.block does one row per workgroup; on llvmpipe a dispatch costs ~50 µs of CPU and its
// workgroups are what the threads share):
//   a = ln_1(x); qkv = a·Wqkv + b (k, v to `fresh`, which the next step's kvcache.embed, or kvcache.store,
//   writes into the cache); y = attention of q over the row's cache and its new k, v; x += y·Wproj + b;
//   a = ln_2(x); f = gelu(a·Wfc + b); x += f·Wfc2 + b.
// The same sums in the same order as kvcache.attend followed by kvcache.mlp (the "rows" variant's two
// dispatches), so the results agree bit for bit. Phases are separated by storage + workgroup barriers,
// all in the entry point (on llvmpipe a barrier inside a helper function does not synchronise). The
// linears are kvcache.linear's loop (an invocation owns CPI vec4 output columns for the R rows; per 4
// steps of K it loads 4·CPI weight texels, each used for R rows, and R activation vec4s at workgroup-
// uniform addresses); in attention invocation r < R owns row r, one online softmax per head.
// @binding(0) params: { rows: u32, C4: u32, NH: u32, eps: f32, scale: f32 }
//             C4 = C / 4, scale = 1/√HS
// @binding(1) x: array<vec4f>, (rows, C4) residual stream (read-write, updated in place)
// @binding(2) rowinfo: array<u32>, (rows, 4): [token, slot, pos, unused] (read)
// @binding(3) vecs: array<vec4f>, the block's vectors as kvcache.block.wgsl packs them (13C / 4) (read)
// @binding(4..7) wqkv (C, 3C), wproj (C, C), wfc (C, 4C), wfc2 (4C, C): texture_storage_2d<rgba32float, read> of
//             K rows × N/4 texels, texel (n4, k) = weight[k, 4n4 .. 4n4 + 3] (kvcache.pack.wgsl) (read)
// @binding(8) kv: texture_storage_2d_array<rgba32float, read>, the layer's cache (KvCache in kernels.ts): texel
//             (c4, t, slot) key, (C4 + c4, t, slot) value (read; this step's position comes from scratch)
// @binding(9) fresh: array<vec4f>, (rows, 2·C4) each row's new key then value, for the cache store (write)
// @binding(10) scratch: array<vec4f>, (rows, S4 = 8·C4): qkv (3·C4), y (C4), f (4·C4) per row
// Defines: R (rows per workgroup, ≤ WG), CPI, HS4 = HS / 4. Override WG. Dispatch (1, ceil(rows / R)).
struct Params { rows: u32, C4: u32, NH: u32, eps: f32, scale: f32 }
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

const R = {{R}}u;
const CPI = {{CPI}}u;
const HS4 = {{HS4}}u;
const SQRT_2_OVER_PI = 0.7978845608028654;
const NEG = -3.0e38;
// Offsets within a row's scratch, in units of C4.
const Y0 = 3u;
const F0 = 4u;
override WG: u32 = 8u;

var<workgroup> part: array<f32, R * WG>;
var<workgroup> stat: array<f32, 2u * R>;

// #include kvcache.rowsmac
// #include kvcache.residual

// The hidden activations f of a row, in its scratch, for kvcache.mlp.tail.wgsl (included at the end of main).
fn fLoad(row: u32, n4: u32) -> vec4f { return scratch[row * 8u * p.C4 + F0 * p.C4 + n4]; }
fn fStore(row: u32, n4: u32, v: vec4f) { scratch[row * 8u * p.C4 + F0 * p.C4 + n4] = v; }

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid3: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let lid = lid3.x;
  let C4 = p.C4;
  let F4 = 4u * C4;
  let Q4 = 3u * C4;
  let S4 = 8u * C4;
  let K = f32(4u * C4);
  let row0 = wid.y * R;
  // Rows past the end repeat the last row (uniform loads, no branches) and are not stored.
  var b: array<u32, R>;
  for (var r = 0u; r < R; r++) { b[r] = min(row0 + r, p.rows - 1u); }

  // ln_1 statistics and qkv = ln_1(x)·Wqkv + b, in a block of their own: kvcache.mlp.tail's ln_2
  // statistics declare the same names.
  {
    // #include kvcache.rowstats
    // qkv = ln_1(x)·Wqkv + b into scratch.
    for (var n0 = lid * CPI; n0 < Q4; n0 += WG * CPI) {
      var acc: array<vec4f, R * CPI>;
      for (var i = 0u; i < R * CPI; i++) { acc[i] = vec4f(0.0); }
      for (var k4 = 0u; k4 < C4; k4++) {
        let wv = weightTexels(wqkv, n0, Q4, 4u * k4);
        let g = vecs[k4];
        let sh = vecs[C4 + k4];
        for (var r = 0u; r < R; r++) {
          let xv = (x[b[r] * C4 + k4] - mean[r]) * rstd[r] * g + sh;
          accumulate(&acc, r, xv, wv);
        }
      }
      for (var c = 0u; c < CPI; c++) {
        let n4 = n0 + c;
        let b4 = vecs[2u * C4 + min(n4, Q4 - 1u)];
        for (var r = 0u; r < R; r++) {
          if (n4 < Q4 && row0 + r < p.rows) { scratch[(row0 + r) * S4 + n4] = acc[r * CPI + c] + b4; }
        }
      }
      // k and v of this invocation's columns to `fresh` for the cache (a second pass: see kvcache.linear.wgsl
      // on keeping the store loop above small).
      for (var c = 0u; c < CPI; c++) {
        let n4 = n0 + c;
        for (var r = 0u; r < R; r++) {
          let row = row0 + r;
          if (n4 >= C4 && n4 < Q4 && row < p.rows) { fresh[row * 2u * C4 + n4 - C4] = scratch[row * S4 + n4]; }
        }
      }
    }
  }
  storageBarrier();
  workgroupBarrier();

  // Attention: invocation r attends for row r, head after head, over positions 0 ..= pos: earlier ones
  // from the cache texture, pos itself from scratch (kNew, vNew).
  if (lid < R && row0 + lid < p.rows) {
    let row = row0 + lid;
    let slot = rowinfo[row * 4u + 1u];
    let pos = rowinfo[row * 4u + 2u];
    for (var h = 0u; h < p.NH; h++) {
      let hc = h * HS4;
      var q: array<vec4f, HS4>;
      var kNew: array<vec4f, HS4>;
      var vNew: array<vec4f, HS4>;
      var acc: array<vec4f, HS4>;
      for (var d = 0u; d < HS4; d++) {
        let c = row * S4 + hc + d;
        q[d] = scratch[c] * p.scale;
        kNew[d] = scratch[c + C4];
        vNew[d] = scratch[c + 2u * C4];
        acc[d] = vec4f(0.0);
      }
      let tFirst = 0u;
      let tStep = 1u;
      // #include kvcache.attendrow
      for (var d = 0u; d < HS4; d++) { scratch[row * S4 + Y0 * C4 + h * HS4 + d] = acc[d] / l; }
    }
  }
  storageBarrier();
  workgroupBarrier();

  // x += y·Wproj + b
  for (var n0 = lid * CPI; n0 < C4; n0 += WG * CPI) {
    var acc: array<vec4f, R * CPI>;
    for (var i = 0u; i < R * CPI; i++) { acc[i] = vec4f(0.0); }
    for (var k4 = 0u; k4 < C4; k4++) {
      let wv = weightTexels(wproj, n0, C4, 4u * k4);
      for (var r = 0u; r < R; r++) {
        let xv = scratch[b[r] * S4 + Y0 * C4 + k4];
        accumulate(&acc, r, xv, wv);
      }
    }
    addResidual(acc, n0, row0, 5u * C4);
  }
  storageBarrier();
  workgroupBarrier();
  // #include kvcache.mlp.tail
}
