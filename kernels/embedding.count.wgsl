// embedding.count: pass 1 of the GPU counting sort of positions by token id (embedding backward).
// counts[v] = number of positions n with ids[n] = v; slots[n] = the order in which position n arrived
// among its token's positions (an atomic counter, so NOT deterministic: embedding.rank fixes the order).
// Ids outside [0, V) are skipped.
// @binding(0) params: { N: u32, V: u32 }
// @binding(1) ids: array<i32>, (N) (read)
// @binding(2) counts: array<atomic<u32>>, (V), zeroed by the host before this pass (read-write)
// @binding(3) slots: array<u32>, (N) (write; entries of skipped ids are left unwritten)
// Workgroup 256, one invocation per position: dispatch ceil(N / 256) along x, wrapping into y past 65535.
struct Params { N: u32, V: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> ids: array<i32>;
@group(0) @binding(2) var<storage, read_write> counts: array<atomic<u32>>;
@group(0) @binding(3) var<storage, read_write> slots: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let n = gid.y * 65535u * 256u + gid.x;
  if (n >= p.N) { return; }
  let id = ids[n];
  if (id < 0 || u32(id) >= p.V) { return; }
  slots[n] = atomicAdd(&counts[u32(id)], 1u);
}
