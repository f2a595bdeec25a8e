// kvcache.linear: the decode step's linear layers, out = epilogue(ln?(x) · w + bias), for a few rows
// (one per sequence being decoded), with the LayerNorm before it and the GELU or residual add after it
// fused in, so a transformer block's decode step is kvcache.attend and three of these. The weights are read
// from a texture packed once per generate call. On llvmpipe every load (storage, texture, uniform or
// workgroup memory alike) costs about 1.6 ns per invocation while the math is cheap, so the kernel is
// shaped to load little per multiply-add: each invocation owns CPI = 4 vec4s of output columns for R rows,
// and per 4 steps of K loads 4·CPI weight texels (each used for R rows) and R vec4s of x (each used for
// 4·CPI columns). More accumulators than R·CPI = 32 vec4s spill and run slower (measured on llvmpipe).
// With LN, x is the residual stream: the rows' mean and 1/√(var + eps) are computed once per workgroup
// (each invocation sums a strided share of K, two passes like layernorm.wgsl) and x is normalised on the fly.
// MODE 0: out = acc + bias.  1: out = gelu(acc + bias) (the tanh form of gelu.wgsl).  2: out += acc + bias
// (the residual add, in place on the residual stream).
// @binding(0) params: { rows: u32, K4: u32, N4: u32, eps: f32 }   K4 = K / 4, N4 = N / 4 (multiples of 4)
// @binding(1) x: array<vec4f>, (rows, K4) row-major (read)
// @binding(2) w: texture_storage_2d<rgba32float, read>, N4 × K texels, texel (n4, k) = weight[k, 4n4 .. 4n4 + 3] (read)
// @binding(3) bias: array<vec4f>, (N4) (read)
// @binding(4) lnw: array<vec4f>, (K4) LayerNorm scale (read; only with LN, else bind anything)
// @binding(5) lnb: array<vec4f>, (K4) LayerNorm shift (read; only with LN, else bind anything)
// @binding(6) out: array<vec4f>, (rows, N4) (write; read-modify-write for MODE 2)
// Defines: R (rows per workgroup), CPI (vec4 columns per invocation), LN, MODE. Override WG (invocations
// per workgroup). Dispatch (ceil(N4 / (CPI·WG)), ceil(rows / R)).
struct Params { rows: u32, K4: u32, N4: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4f>;
@group(0) @binding(2) var w: texture_storage_2d<rgba32float, read>;
@group(0) @binding(3) var<storage, read> bias: array<vec4f>;
@group(0) @binding(4) var<storage, read> lnw: array<vec4f>;
@group(0) @binding(5) var<storage, read> lnb: array<vec4f>;
@group(0) @binding(6) var<storage, read_write> out: array<vec4f>;

const R = {{R}}u;
const LN = {{LN}};
const MODE = {{MODE}}u;
const CPI = {{CPI}}u;
const SQRT_2_OVER_PI = 0.7978845608028654;
override WG: u32 = 32u;

var<workgroup> part: array<f32, R * WG>;
var<workgroup> stat: array<f32, 2u * R>;

// #include kvcache.rowsmac

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(local_invocation_id) lid3: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let lid = lid3.x;
  let row0 = wid.y * R;
  let C4 = p.K4;
  let K = f32(4u * C4);
  // Rows past the end repeat the last row (uniform loads, no branches) and are not stored.
  var b: array<u32, R>;
  for (var r = 0u; r < R; r++) { b[r] = min(row0 + r, p.rows - 1u); }
  // The rows' LayerNorm statistics (kvcache.rowstats declares its own mean and rstd in the block).
  var lnMean: array<f32, R>;
  var lnRstd: array<f32, R>;
  if (LN) {
    // #include kvcache.rowstats
    lnMean = mean;
    lnRstd = rstd;
  }
  // Columns past N4 repeat the last one (loads stay in bounds) and are not stored.
  let n0 = gid.x * CPI;
  if (n0 >= p.N4) { return; }
  var acc: array<vec4f, R * CPI>;
  for (var i = 0u; i < R * CPI; i++) { acc[i] = vec4f(0.0); }
  for (var k4 = 0u; k4 < C4; k4++) {
    let wv = weightTexels(w, n0, p.N4, 4u * k4);
    var g = vec4f(1.0);
    var sh = vec4f(0.0);
    if (LN) { g = lnw[k4]; sh = lnb[k4]; }
    for (var r = 0u; r < R; r++) {
      var xv = x[b[r] * C4 + k4];
      if (LN) { xv = (xv - lnMean[r]) * lnRstd[r] * g + sh; }
      accumulate(&acc, r, xv, wv);
    }
  }
  for (var c = 0u; c < CPI; c++) {
    let n4 = n0 + c;
    let b4 = bias[min(n4, p.N4 - 1u)];
    for (var r = 0u; r < R; r++) {
      if (n4 < p.N4 && row0 + r < p.rows) {
        let o = (row0 + r) * p.N4 + n4;
        let y = acc[r * CPI + c] + b4;
        if (MODE == 2u) {
          out[o] = out[o] + y;
        } else {
          out[o] = y;
        }
      }
    }
  }
  // GELU in a second pass over the stored outputs: inside the loop above, its larger body kept Mesa from
  // unrolling that loop, which left acc indexed at run time, i.e. in memory for the whole K loop
  // (measured on llvmpipe, c_fc at 16 rows: 400 µs → 235 µs of CPU per dispatch).
  if (MODE == 1u) {
    for (var c = 0u; c < CPI; c++) {
      let n4 = n0 + c;
      for (var r = 0u; r < R; r++) {
        if (n4 < p.N4 && row0 + r < p.rows) {
          let o = (row0 + r) * p.N4 + n4;
          let y = out[o];
          let u = SQRT_2_OVER_PI * (y + 0.044715 * y * y * y);
          out[o] = y / (1.0 + exp(clamp(-2.0 * u, vec4f(-80.0), vec4f(80.0))));
        }
      }
    }
  }
}
