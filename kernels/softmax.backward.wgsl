// softmax.backward: dx = y ∘ (dout − Σ_c dout ∘ y), row by row: the gradient of y = softmax(x) over the
// last dim, from the saved output y (not x), with one workgroup sum per row.
// @binding(0) params: { rows: u32, C: u32 }
// @binding(1) y: array<f32>, (rows, C) row-major, the forward output (read)
// @binding(2) dout: array<f32>, (rows, C), d(loss)/d(y) (read)
// @binding(3) dx: array<f32>, (rows, C), d(loss)/d(x) (write)
// Workgroup WG (override, a power of two: 8 on CPU adapters, 64, 128 or 256 on GPUs), one row per workgroup; dispatch `rows`
// workgroups along x, wrapping into y past 65535 (row = y·65535 + x).
struct Params { rows: u32, C: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> dout: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

override WG: u32 = 256;
var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u) {
  let row = wid.y * 65535u + wid.x;
  if (row >= p.rows) { return; }
  let base = row * p.C;
  var s = 0.0;
  for (var c = lid; c < p.C; c += WG) { s += dout[base + c] * y[base + c]; }
  red[lid] = s;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    if (lid < k) { red[lid] += red[lid + k]; }
    workgroupBarrier();
  }
  let dot = red[0];
  for (var c = lid; c < p.C; c += WG) { dx[base + c] = y[base + c] * (dout[base + c] - dot); }
}
