// sum: one deterministic tree-reduction pass. Workgroup g sums x[g·chunk .. (g+1)·chunk) (clipped to n):
// each invocation adds a strided slice in a fixed order, then the workgroup halves the 256 partials in
// shared memory. partial[g] = scale · that sum. The host repeats passes over the partials until one value
// is left, giving scale only to the last pass (1 for sum, 1/n for mean). No atomics, so the result is the
// same bit for bit on every run.
// @binding(0) params: { n: u32, chunk: u32, scale: f32 }   n = input elements, chunk = elements per workgroup
// @binding(1) x: array<f32>, n elements (read)
// @binding(2) partial: array<f32>, ceil(n / chunk) elements (write)
// Workgroup 256; dispatch ceil(n / chunk) workgroups along x, wrapping into y past 65535 (g = y·65535 + x).
struct Params { n: u32, chunk: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;

var<workgroup> red: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u) {
  let g = wid.y * 65535u + wid.x;
  let start = g * p.chunk;
  let end = min(p.n, start + p.chunk);
  var acc = 0.0;
  for (var i = start + lid; i < end; i += 256u) { acc += x[i]; }
  red[lid] = acc;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u && start < p.n) { partial[g] = p.scale * red[0]; }
}
