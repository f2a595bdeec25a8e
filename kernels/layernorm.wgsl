// layernorm: out[r, c] = (x[r, c] − mean[r]) · rstd[r] · w[c] + b[c], normalising each row over C, with
// mean[r] = Σ_c x / C and rstd[r] = 1 / √(Σ_c (x − mean)² / C + eps). The variance is taken around the
// mean (a second sweep over the row, which is in cache) rather than as E[x²] − mean², which cancels for
// rows far from zero. mean and rstd are saved for layernorm.backward.
// @binding(0) params: { rows: u32, C: u32, eps: f32 }   rows = N (or B·T)
// @binding(1) x: array<E>, (rows, C) row-major (read)
// @binding(2) w: array<E>, (C) (read)
// @binding(3) b: array<E>, (C) (read)
// @binding(4) out: array<E>, (rows, C) row-major (write)
// @binding(5) mean: array<f32>, (rows) (write)
// @binding(6) rstd: array<f32>, (rows) (write)
// Workgroup WG (override, a power of two: 8 on CPU adapters, 64, 128 or 256 on GPUs), one row per workgroup; dispatch `rows`
// workgroups along x, wrapping into y past 65535 (row = y·65535 + x).
// Define E: vec4f when C is a multiple of 4 (llvmpipe pays per load, not per byte), else f32; VEC = 4 or 1
// elements per E, and TOTAL the body of total(v: E) -> f32, the sum of v's elements.
alias E = {{E}};
const VEC = {{VEC}}u;
struct Params { rows: u32, C: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<E>;
@group(0) @binding(2) var<storage, read> w: array<E>;
@group(0) @binding(3) var<storage, read> b: array<E>;
@group(0) @binding(4) var<storage, read_write> out: array<E>;
@group(0) @binding(5) var<storage, read_write> mean: array<f32>;
@group(0) @binding(6) var<storage, read_write> rstd: array<f32>;

override WG: u32 = 256;
var<workgroup> red: array<f32, WG>;

fn total(v: E) -> f32 {
  {{TOTAL}}
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u) {
  let row = wid.y * 65535u + wid.x;
  if (row >= p.rows) { return; }
  let CE = p.C / VEC;  // row length in E
  let base = row * CE;
  var s = 0.0;
  for (var c = lid; c < CE; c += WG) { s += total(x[base + c]); }
  // Workgroup sums are written out in main: barriers inside a helper function failed to synchronise
  // on llvmpipe (GLES), so every reduction here is inline, in a fixed tree order.
  red[lid] = s;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    if (lid < k) { red[lid] += red[lid + k]; }
    workgroupBarrier();
  }
  let m = red[0] / f32(p.C);
  workgroupBarrier(); // everyone has read red[0] before it is reused
  var v = 0.0;
  for (var c = lid; c < CE; c += WG) {
    let d = x[base + c] - m;
    v += total(d * d);
  }
  red[lid] = v;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    if (lid < k) { red[lid] += red[lid + k]; }
    workgroupBarrier();
  }
  let rs = 1.0 / sqrt(red[0] / f32(p.C) + p.eps);
  for (var c = lid; c < CE; c += WG) { out[base + c] = (x[base + c] - m) * rs * w[c] + b[c]; }
  if (lid == 0u) {
    mean[row] = m;
    rstd[row] = rs;
  }
}
