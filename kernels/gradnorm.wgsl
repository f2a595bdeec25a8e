// gradnorm: partial sums of squares of one gradient tensor (or one binding-sized range of it), for the
// global gradient norm. Workgroup g sums x[i]² over i ≡ g·WG + lid (mod groups·WG) and writes
// partials[slotBase + g]; the host fixes `groups` from the size alone, so the sum is deterministic.
// Defines: T, the element type (f32, or vec4f when the element count is a multiple of 4: fewer, wider
// loads), and SQUARES, the sum of squares of one element e (`e * e`, or `dot(e, e)`).
// @binding(0) params: { n: u32, slotBase: u32 }   n = count of T
// @binding(1) x: array<T>, (n) (read)
// @binding(2) partials: array<f32>, (P) one slot per workgroup of every gradnorm dispatch (write)
// Workgroup WG (override, a power of two, default 256); dispatch `groups` workgroups along x (≤ 65535).
struct Params { n: u32, slotBase: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<{{T}}>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;

override WG: u32 = 256;
var<workgroup> sums: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var i = wid.x * WG + lid; i < p.n; i += groups.x * WG) {
    let e = x[i];
    s += {{SQUARES}};
  }
  sums[lid] = s;
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    workgroupBarrier();
    if (lid < k) { sums[lid] += sums[lid + k]; }
  }
  if (lid == 0u) { partials[p.slotBase + wid.x] = sums[0]; }
}
