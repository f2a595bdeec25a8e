// sum.rows: column sums of a (rows, cols) matrix over a block of rows, the gradient of a broadcast operand
// (e.g. a bias (C) added over (B·T, C)). Entry `main` sums x; entry `product` sums x ∘ y (the gradient
// of a broadcast factor in mul). Block r covers rows [r·rowsPerBlock, (r+1)·rowsPerBlock) clipped to rows;
// 4 lanes per column stride through it in a fixed order and are added in lane order, so results are
// deterministic. The lane sums are written out in each entry: barriers inside a helper function failed to
// synchronise on llvmpipe. The host repeats `main` over the (blocks, cols) partials until one row is left.
// @binding(0) params: { rows: u32, cols: u32, rowsPerBlock: u32 }
// @binding(1) x: array<f32>, (rows, cols) row-major (read)
// @binding(2) out: array<f32>, (ceil(rows / rowsPerBlock), cols) row-major (write)
// @binding(3) y: array<f32>, (rows, cols) row-major, `product` only (read)
// Workgroup (64, 4): 64 columns × 4 row lanes; dispatch (ceil(cols / 64), ceil(rows / rowsPerBlock)).
struct Params { rows: u32, cols: u32, rowsPerBlock: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read> y: array<f32>;

var<workgroup> red: array<f32, 256>;

@compute @workgroup_size(64, 4)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let c = wid.x * 64u + lid.x;
  let end = min(p.rows, (wid.y + 1u) * p.rowsPerBlock);
  var acc = 0.0;
  if (c < p.cols) {
    for (var r = wid.y * p.rowsPerBlock + lid.y; r < end; r += 4u) { acc += x[r * p.cols + c]; }
  }
  red[lid.y * 64u + lid.x] = acc;
  workgroupBarrier();
  if (lid.y == 0u && c < p.cols) {
    out[wid.y * p.cols + c] = ((red[lid.x] + red[64u + lid.x]) + red[128u + lid.x]) + red[192u + lid.x];
  }
}

@compute @workgroup_size(64, 4)
fn product(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let c = wid.x * 64u + lid.x;
  let end = min(p.rows, (wid.y + 1u) * p.rowsPerBlock);
  var acc = 0.0;
  if (c < p.cols) {
    for (var r = wid.y * p.rowsPerBlock + lid.y; r < end; r += 4u) { acc += x[r * p.cols + c] * y[r * p.cols + c]; }
  }
  red[lid.y * 64u + lid.x] = acc;
  workgroupBarrier();
  if (lid.y == 0u && c < p.cols) {
    out[wid.y * p.cols + c] = ((red[lid.x] + red[64u + lid.x]) + red[128u + lid.x]) + red[192u + lid.x];
  }
}
