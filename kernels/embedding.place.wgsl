// embedding.place: pass 3 of the counting sort: scratch[offsets[id] + slots[n]] = n, which groups the
// positions by token, in the (nondeterministic) arrival order of embedding.count.
// @binding(0) params: { N: u32, V: u32 }
// @binding(1) ids: array<i32>, (N) (read)
// @binding(2) offsets: array<u32>, (V + 1) from embedding.scan (read)
// @binding(3) slots: array<u32>, (N) from embedding.count (read)
// @binding(4) scratch: array<u32>, (N) positions grouped by token; the first offsets[V] are written
// Workgroup 256, one invocation per position: dispatch ceil(N / 256) along x, wrapping into y past 65535.
struct Params { N: u32, V: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> ids: array<i32>;
@group(0) @binding(2) var<storage, read> offsets: array<u32>;
@group(0) @binding(3) var<storage, read> slots: array<u32>;
@group(0) @binding(4) var<storage, read_write> scratch: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let n = gid.y * 65535u * 256u + gid.x;
  if (n >= p.N) { return; }
  let id = ids[n];
  if (id < 0 || u32(id) >= p.V) { return; }
  scratch[offsets[u32(id)] + slots[n]] = n;
}
