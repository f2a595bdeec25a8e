// embedding.scan: pass 2 of the counting sort: offsets = exclusive prefix sum of counts, so token v's
// positions will occupy sorted[offsets[v] .. offsets[v+1]-1]; offsets[V] = number of in-range ids.
// Each invocation scans a contiguous run of ceil(V / WG) counts serially; the run totals are scanned in
// workgroup memory (Hillis–Steele).
// @binding(0) params: { V: u32 }
// @binding(1) counts: array<u32>, (V) from embedding.count (read)
// @binding(2) offsets: array<u32>, (V + 1) (write)
// Workgroup WG (override, a power of two, default 256); dispatch exactly 1 workgroup.
struct Params { V: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> counts: array<u32>;
@group(0) @binding(2) var<storage, read_write> offsets: array<u32>;

override WG: u32 = 256;
var<workgroup> totals: array<u32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  let per = (p.V + WG - 1u) / WG;
  let start = min(lid * per, p.V);
  let end = min(start + per, p.V);
  var sum = 0u;
  for (var v = start; v < end; v++) { sum += counts[v]; }
  totals[lid] = sum;
  for (var k = 1u; k < WG; k <<= 1u) {
    workgroupBarrier();
    // Read under an `if`: on llvmpipe (Dawn's GLSL path) an unconditional read here saw the writes made
    // after the next barrier (found by the scan returning wrong offsets).
    var add = 0u;
    if (lid >= k) { add = totals[lid - k]; }
    workgroupBarrier();
    totals[lid] += add;
  }
  var running = totals[lid] - sum;
  for (var v = start; v < end; v++) {
    offsets[v] = running;
    running += counts[v];
  }
  if (lid == WG - 1u) { offsets[p.V] = totals[lid]; }
}
