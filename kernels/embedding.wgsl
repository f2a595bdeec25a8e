// embedding: row gather, out[n, c] = table[ids[n], c]; an id outside [0, V) reads a zero row.
// A table larger than one storage binding is bound in row ranges, one dispatch each: a dispatch writes
// only the outputs whose id falls in its range, and the vBase = 0 dispatch also writes the zero rows.
// @binding(0) params: { N: u32, C: u32, V: u32, vBase: u32, vCount: u32 }
// @binding(1) table: array<f32>, (vCount, C) row-major: rows vBase .. vBase+vCount-1 of the (V, C) table
// @binding(2) ids: array<i32>, (N) (read)
// @binding(3) out: array<f32>, (N, C) row-major (write)
// Workgroup 256, one invocation per output element: dispatch ceil(N·C / 256) along x, wrapping into y
// past 65535 (x stride = 65535 * 256).
struct Params { N: u32, C: u32, V: u32, vBase: u32, vCount: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> table: array<f32>;
@group(0) @binding(2) var<storage, read> ids: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.y * 65535u * 256u + gid.x;
  if (i >= p.N * p.C) { return; }
  let n = i / p.C;
  let c = i - n * p.C;
  let id = ids[n];
  if (id < 0 || u32(id) >= p.V) {
    if (p.vBase == 0u) { out[i] = 0.0; }
    return;
  }
  let v = u32(id);
  if (v >= p.vBase && v - p.vBase < p.vCount) { out[i] = table[(v - p.vBase) * p.C + c]; }
}
