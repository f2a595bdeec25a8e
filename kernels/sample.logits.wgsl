// sample.logits: the output head for the rows being sampled, logits[b, v] = ln_f(x[b]) · wte[v, :], the
// tied head of gpt.ts, with ln_f fused in (each workgroup computes its rows' mean and 1/√(var + eps) once,
// every invocation summing a strided share, two passes like layernorm.wgsl).
// One invocation per 4 vocabulary rows, reading wte's rows as vec4s, for R rows of x at once. The table
// may exceed one storage binding, so the host binds rows start .. start + count per dispatch.
// @binding(0) params: { rows: u32, C4: u32, V: u32, start: u32, count: u32, eps: f32 }   C4 = C / 4
// @binding(1) x: array<vec4f>, (rows, C4), the residual stream's rows (read)
// @binding(2) wte: array<vec4f>, (count, C4) rows of the (V, C) token table (read)
// @binding(3) lnw: array<vec4f>, (C4) ln_f scale (read)
// @binding(4) lnb: array<vec4f>, (C4) ln_f shift (read)
// @binding(5) logits: array<f32>, (rows, V) row-major (write: columns start .. start + count)
// Workgroup 64; dispatch (ceil(count / 256), ceil(rows / R)) per chunk.
struct Params { rows: u32, C4: u32, V: u32, start: u32, count: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4f>;
@group(0) @binding(2) var<storage, read> wte: array<vec4f>;
@group(0) @binding(3) var<storage, read> lnw: array<vec4f>;
@group(0) @binding(4) var<storage, read> lnb: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> logits: array<f32>;

const R = {{R}}u;
const WG = 64u;
// Vocabulary rows per invocation: each x load serves VPI rows of wte (llvmpipe pays per load).
const VPI = 4u;

var<workgroup> part: array<f32, R * WG>;
var<workgroup> stat: array<f32, 2u * R>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(local_invocation_id) lid3: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let v0 = gid.x * VPI;
  let lid = lid3.x;
  let row0 = wid.y * R;
  let C = f32(p.C4 * 4u);
  var base: array<u32, R>;
  for (var r = 0u; r < R; r++) { base[r] = min(row0 + r, p.rows - 1u) * p.C4; }
  // Barriers stay in the entry point: on llvmpipe a barrier inside a helper function does not synchronise.
  for (var r = 0u; r < R; r++) {
    var s = 0.0;
    for (var k = lid; k < p.C4; k += WG) { s += dot(x[base[r] + k], vec4f(1.0)); }
    part[r * WG + lid] = s;
  }
  workgroupBarrier();
  if (lid < R) {
    var s = 0.0;
    for (var i = 0u; i < WG; i++) { s += part[lid * WG + i]; }
    stat[lid] = s / C;
  }
  workgroupBarrier();
  var mean: array<f32, R>;
  for (var r = 0u; r < R; r++) {
    mean[r] = stat[r];
    var q = 0.0;
    for (var k = lid; k < p.C4; k += WG) { let d = x[base[r] + k] - mean[r]; q += dot(d, d); }
    part[r * WG + lid] = q;
  }
  workgroupBarrier();
  if (lid < R) {
    var q = 0.0;
    for (var i = 0u; i < WG; i++) { q += part[lid * WG + i]; }
    stat[R + lid] = 1.0 / sqrt(q / C + p.eps);
  }
  workgroupBarrier();
  var rstd: array<f32, R>;
  for (var r = 0u; r < R; r++) { rstd[r] = stat[R + r]; }
  if (v0 >= p.count) { return; }
  // Vocabulary rows past the end repeat the last one (loads stay in bounds) and are not stored.
  var e0: array<u32, VPI>;
  for (var j = 0u; j < VPI; j++) { e0[j] = min(v0 + j, p.count - 1u) * p.C4; }
  var acc: array<f32, R * VPI>;
  for (var i = 0u; i < R * VPI; i++) { acc[i] = 0.0; }
  for (var k = 0u; k < p.C4; k++) {
    var e: array<vec4f, VPI>;
    for (var j = 0u; j < VPI; j++) { e[j] = wte[e0[j] + k]; }
    let g = lnw[k];
    let sh = lnb[k];
    for (var r = 0u; r < R; r++) {
      let xn = (x[base[r] + k] - mean[r]) * rstd[r] * g + sh;
      for (var j = 0u; j < VPI; j++) { acc[r * VPI + j] += dot(xn, e[j]); }
    }
  }
  for (var j = 0u; j < VPI; j++) {
    if (v0 + j >= p.count) { break; }
    for (var r = 0u; r < R; r++) {
      if (row0 + r >= p.rows) { break; }
      logits[(row0 + r) * p.V + p.start + v0 + j] = acc[r * VPI + j];
    }
  }
}
