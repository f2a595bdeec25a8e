// kvcache.linear: the decode step's linear layers, out = epilogue(ln?(x) · w + bias), for a few rows
// (one per sequence being decoded), with the LayerNorm before it and the GELU or residual add after it
// fused in, so a transformer block's decode step is four of these plus attention. The weights are read
// from a texture packed once per generate call: each invocation owns one vec4 of output columns for R rows, so
// a weight texel is loaded once per R rows, and x is read at workgroup-uniform addresses. The weight comes
// as a texture (kvcache.pack.wgsl): one vector gather per texel on llvmpipe, where buffer loads are per lane.
// LN = true: x is the residual stream and every invocation recomputes its rows' mean and 1/√(var + eps)
// (two passes over K, like layernorm.wgsl) before normalising x on the fly. Cheap next to the K·N/4 loads.
// MODE 0: out = acc + bias.  1: out = gelu(acc + bias) (the tanh form of gelu.wgsl).  2: out += acc + bias
// (the residual add, in place on the residual stream).
// @binding(0) params: { rows: u32, K: u32, N4: u32, eps: f32 }   N4 = N / 4 (N must be a multiple of 4)
// @binding(1) x: array<f32>, (rows, K) row-major (read)
// @binding(2) w: texture_2d<f32> rgba32float, N4 × K texels, texel (n4, k) = weight[k, 4n4 .. 4n4 + 3] (read)
// @binding(3) bias: array<vec4f>, (N4) (read)
// @binding(4) lnw: array<f32>, (K) LayerNorm scale (read; only with LN, else bind anything)
// @binding(5) lnb: array<f32>, (K) LayerNorm shift (read; only with LN, else bind anything)
// @binding(6) out: array<vec4f>, (rows, N4) (write; read-modify-write for MODE 2)
// Workgroup 64; dispatch (ceil(N4 / 64), ceil(rows / R)).
struct Params { rows: u32, K: u32, N4: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var w: texture_2d<f32>;
@group(0) @binding(3) var<storage, read> bias: array<vec4f>;
@group(0) @binding(4) var<storage, read> lnw: array<f32>;
@group(0) @binding(5) var<storage, read> lnb: array<f32>;
@group(0) @binding(6) var<storage, read_write> out: array<vec4f>;

const R = {{R}}u;
const LN = {{LN}};
const MODE = {{MODE}}u;
const SQRT_2_OVER_PI = 0.7978845608028654;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let n4 = gid.x;
  let row0 = wid.y * R;
  // Rows past the end repeat the last row (uniform loads, no branches) and are not stored.
  var base: array<u32, R>;
  var mean: array<f32, R>;
  var rstd: array<f32, R>;
  for (var r = 0u; r < R; r++) {
    base[r] = min(row0 + r, p.rows - 1u) * p.K;
    mean[r] = 0.0;
    rstd[r] = 1.0;
    if (LN) {
      var s = 0.0;
      for (var k = 0u; k < p.K; k++) { s += x[base[r] + k]; }
      let m = s / f32(p.K);
      var v = 0.0;
      for (var k = 0u; k < p.K; k++) { let d = x[base[r] + k] - m; v += d * d; }
      mean[r] = m;
      rstd[r] = 1.0 / sqrt(v / f32(p.K) + p.eps);
    }
  }
  if (n4 >= p.N4) { return; }
  var acc: array<vec4f, R>;
  for (var r = 0u; r < R; r++) { acc[r] = vec4f(0.0); }
  for (var k = 0u; k < p.K; k++) {
    let wk = textureLoad(w, vec2u(n4, k), 0);
    var g = 1.0;
    var sh = 0.0;
    if (LN) { g = lnw[k]; sh = lnb[k]; }
    for (var r = 0u; r < R; r++) {
      var xv = x[base[r] + k];
      if (LN) { xv = (xv - mean[r]) * rstd[r] * g + sh; }
      acc[r] += xv * wk;
    }
  }
  let b4 = bias[n4];
  for (var r = 0u; r < R; r++) {
    if (row0 + r >= p.rows) { break; }
    let o = (row0 + r) * p.N4 + n4;
    let y = acc[r] + b4;
    if (MODE == 1u) {
      let u = SQRT_2_OVER_PI * (y + 0.044715 * y * y * y);
      out[o] = y / (1.0 + exp(clamp(-2.0 * u, vec4f(-80.0), vec4f(80.0))));
    } else if (MODE == 2u) {
      out[o] = out[o] + y;
    } else {
      out[o] = y;
    }
  }
}
