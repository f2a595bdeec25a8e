// embedding.rank: pass 4 of the counting sort, which makes it stable and so deterministic: position n's
// rank among its token's positions is the number of them smaller than n, counted over its token's group
// in scratch; sorted[offsets[id] + rank] = n. Work per position is the number of repeats of its token.
// @binding(0) params: { N: u32, V: u32 }
// @binding(1) ids: array<i32>, (N) (read)
// @binding(2) offsets: array<u32>, (V + 1) from embedding.scan (read)
// @binding(3) scratch: array<u32>, (N) from embedding.place (read)
// @binding(4) sorted: array<u32>, (N) positions grouped by token, ascending in each group; the first
//   offsets[V] are written
// Workgroup 256, one invocation per position: dispatch ceil(N / 256) along x, wrapping into y past 65535.
struct Params { N: u32, V: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> ids: array<i32>;
@group(0) @binding(2) var<storage, read> offsets: array<u32>;
@group(0) @binding(3) var<storage, read> scratch: array<u32>;
@group(0) @binding(4) var<storage, read_write> sorted: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let n = gid.y * 65535u * 256u + gid.x;
  if (n >= p.N) { return; }
  let id = ids[n];
  if (id < 0 || u32(id) >= p.V) { return; }
  let start = offsets[u32(id)];
  let end = offsets[u32(id) + 1u];
  var rank = 0u;
  for (var j = start; j < end; j++) { rank += select(0u, 1u, scratch[j] < n); }
  sorted[start + rank] = n;
}
