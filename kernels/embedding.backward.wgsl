// embedding.backward: the scatter-add d table[v, c] = Σ dOut[n, c] over positions n with ids[n] = v,
// as a gather: each invocation sums its token's positions from the sorted index in ascending n, so the
// result is bit-identical on every run. Tokens without positions get 0. A table larger than one storage
// binding is written in row ranges, one dispatch each.
// @binding(0) params: { C: u32, vBase: u32, vCount: u32 }
// @binding(1) offsets: array<u32>, (V + 1): token v's positions are sorted[offsets[v] .. offsets[v+1]-1]
// @binding(2) sorted: array<u32>, (N) positions grouped by token, ascending in each group (read)
// @binding(3) dOut: array<f32>, (N, C) row-major, the gradient of the embedding output (read)
// @binding(4) dTable: array<f32>, (vCount, C) row-major: rows vBase .. vBase+vCount-1 of (V, C) (write)
// Workgroup 256, one invocation per dTable element: dispatch ceil(vCount·C / 256) along x, wrapping into
// y past 65535 (x stride = 65535 * 256).
struct Params { C: u32, vBase: u32, vCount: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> offsets: array<u32>;
@group(0) @binding(2) var<storage, read> sorted: array<u32>;
@group(0) @binding(3) var<storage, read> dOut: array<f32>;
@group(0) @binding(4) var<storage, read_write> dTable: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.y * 65535u * 256u + gid.x;
  if (i >= p.vCount * p.C) { return; }
  let r = i / p.C;
  let c = i - r * p.C;
  let v = p.vBase + r;
  var sum = 0.0;
  for (var j = offsets[v]; j < offsets[v + 1u]; j++) { sum += dOut[sorted[j] * p.C + c]; }
  dTable[i] = sum;
}
