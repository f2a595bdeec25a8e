// kvcache.mlp: the second half of a decode-step block for R rows per workgroup, after kvcache.attend:
//   x += y·Wproj + b;  a = ln_2(x);  f = gelu(a·Wfc + b);  x += f·Wfc2 + b
// in one dispatch instead of three kvcache.linear ones (on llvmpipe each dispatch costs ~50 µs of CPU,
// and its workgroups are what the threads share). Phases are separated by storage + workgroup barriers,
// all in the entry point (on llvmpipe a barrier inside a helper function does not synchronise). Each
// phase is kvcache.linear's loop: an invocation owns CPI vec4 output columns for the R rows, per 4 steps
// of K loading 4·CPI weight texels (each used for R rows) and R activation vec4s at workgroup-uniform
// addresses; the same sums in the same order as kvcache.linear, so the two paths agree bit for bit.
// @binding(0) params: { rows: u32, C4: u32, eps: f32 }   C4 = C / 4
// @binding(1) x: array<vec4f>, (rows, C4) residual stream (read-write, updated in place)
// @binding(2) y: array<vec4f>, (rows, C4) attention output (read)
// @binding(3) wproj (C, C), @binding(4) wfc (C, 4C), @binding(5) wfc2 (4C, C): texture_storage_2d<rgba32float, read>
//             of K rows × N/4 texels, texel (n4, k) = weight[k, 4n4 .. 4n4 + 3] (kvcache.pack.wgsl) (read)
// @binding(6) vecs: array<vec4f>, the block's vectors as kvcache.block.wgsl packs them (13C / 4): attn
//             c_proj b at 5·C4, ln_2 w at 6·C4, ln_2 b at 7·C4, c_fc b (4C) at 8·C4, mlp c_proj b at 12·C4 (read)
// @binding(7) f: array<vec4f>, (rows, 4·C4) scratch for the MLP's hidden activations (read-write)
// Defines: R (rows per workgroup), CPI (vec4 columns per invocation and pass). Override WG.
// Dispatch (1, ceil(rows / R)).
struct Params { rows: u32, C4: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> x: array<vec4f>;
@group(0) @binding(2) var<storage, read> y: array<vec4f>;
@group(0) @binding(3) var wproj: texture_storage_2d<rgba32float, read>;
@group(0) @binding(4) var wfc: texture_storage_2d<rgba32float, read>;
@group(0) @binding(5) var wfc2: texture_storage_2d<rgba32float, read>;
@group(0) @binding(6) var<storage, read> vecs: array<vec4f>;
@group(0) @binding(7) var<storage, read_write> f: array<vec4f>;

const R = {{R}}u;
const CPI = {{CPI}}u;
const SQRT_2_OVER_PI = 0.7978845608028654;
override WG: u32 = 8u;

var<workgroup> part: array<f32, R * WG>;
var<workgroup> stat: array<f32, 2u * R>;

// #include kvcache.rowsmac
// #include kvcache.residual

// The hidden activations f of a row, for kvcache.mlp.tail.wgsl (included at the end of main).
fn fLoad(row: u32, n4: u32) -> vec4f { return f[row * 4u * p.C4 + n4]; }
fn fStore(row: u32, n4: u32, v: vec4f) { f[row * 4u * p.C4 + n4] = v; }

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid3: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let lid = lid3.x;
  let C4 = p.C4;
  let F4 = 4u * C4;
  let K = f32(4u * C4);
  let row0 = wid.y * R;
  // Rows past the end repeat the last row (uniform loads, no branches) and are not stored.
  var b: array<u32, R>;
  for (var r = 0u; r < R; r++) { b[r] = min(row0 + r, p.rows - 1u); }

  // x += y·Wproj + b
  for (var n0 = lid * CPI; n0 < C4; n0 += WG * CPI) {
    var acc: array<vec4f, R * CPI>;
    for (var i = 0u; i < R * CPI; i++) { acc[i] = vec4f(0.0); }
    for (var k4 = 0u; k4 < C4; k4++) {
      let wv = weightTexels(wproj, n0, C4, 4u * k4);
      for (var r = 0u; r < R; r++) {
        let xv = y[b[r] * C4 + k4];
        accumulate(&acc, r, xv, wv);
      }
    }
    addResidual(acc, n0, row0, 5u * C4);
  }
  storageBarrier();
  workgroupBarrier();

  // #include kvcache.mlp.tail
}
