// softmax: out[r, c] = exp(x[r, c] − max_r) / Σ_c exp(x[r, c] − max_r) over the last dim. Subtracting the
// row max keeps every exponent ≤ 0, so logits of ±1e4 neither overflow nor give NaN, and the sum is ≥ 1.
// The unnormalised exponentials are stored in `out` by the second sweep and scaled in place by the third
// (each invocation rereads only what it wrote), so exp runs once per element.
// @binding(0) params: { rows: u32, C: u32 }   rows = product of the leading dims
// @binding(1) x: array<f32>, (rows, C) row-major (read)
// @binding(2) out: array<f32>, (rows, C) row-major (write)
// Workgroup WG (override, a power of two: 8 on CPU adapters, 64, 128 or 256 on GPUs), one row per workgroup; dispatch `rows`
// workgroups along x, wrapping into y past 65535 (row = y·65535 + x).
struct Params { rows: u32, C: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

override WG: u32 = 256;
var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u) {
  let row = wid.y * 65535u + wid.x;
  if (row >= p.rows) { return; }
  let base = row * p.C;
  var m = -3.4028234663852886e38;
  for (var c = lid; c < p.C; c += WG) { m = max(m, x[base + c]); }
  red[lid] = m;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] = max(red[lid], red[lid + s]); }
    workgroupBarrier();
  }
  let rowMax = red[0];
  workgroupBarrier(); // everyone has read the max before red holds sums
  var sum = 0.0;
  for (var c = lid; c < p.C; c += WG) {
    let e = exp(x[base + c] - rowMax);
    out[base + c] = e;
    sum += e;
  }
  red[lid] = sum;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  let inv = 1.0 / red[0];
  for (var c = lid; c < p.C; c += WG) { out[base + c] *= inv; }
}
