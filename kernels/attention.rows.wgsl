// attention.rows: fused causal self-attention forward for llvmpipe (CPU adapters); same maths, inputs and
// outputs as attention.wgsl (see it for the formulas), laid out for how llvmpipe runs WGSL. It runs 8
// invocations in the lanes of one AVX register, and any load inside a loop (storage buffer, workgroup memory
// or texture, same address for all lanes or not) costs 40-80 cycles per vec4 for the 8 lanes, against
// a few cycles for a vec4 multiply-add (measured with a micro-kernel); a loop iteration costs tens of
// cycles too, and a private array indexed by a loop counter that the compiler did not unroll is another
// load. So:
//   - each invocation owns R query rows (q, output accumulator, running max and sum), so every k and v
//     vec4 loaded is used by 8·R rows; the host writes the per-row statements out R times (ROWS_*)
//     (explicit copies, because Mesa's GLSL compiler stops unrolling a loop over rows around the loop over
//     channels, and the rows' arrays would then be indexed at run time);
//   - keys go 4 at a time (one vec4 of scores per row), so the online-softmax rescale runs once per 4 keys;
//   - a row skips key steps past its causal range with a workgroup-uniform branch, so the R·WG rows of a
//     workgroup cost about their causal share, not the whole square.
// Measured on llvmpipe (Mesa 22.3 / LLVM 15, 2 EPYC cores shared with other jobs; load = 1-minute average):
//   B=16 T=128 C=128 NH=4, median of 5, ms, forward / forward+backward, same process and load:
//     load 6.3: attention(.backward).wgsl 105 / 395; these kernels (R = 8) 20 / 55; float64 TS 227 / 501
//     load 2.5: attention(.backward).wgsl 43 / 201; one row per invocation, k/v from storage: 40 / 97
//   (unloaded, attention.wgsl had been measured at ~28 forward and ~100 backward.)
//   The cost is compile time: R = 8 at HS = 32 takes llvmpipe ~10 s (forward) at load 6; at HS = 64, R = 8
//   took minutes and R = 4 takes ~20 s, so the host uses R = 8 up to 32 channels, 4 up to 64, "tiled" beyond.
// @binding(0) params: { B, T, C, NH, hsv: u32, scale: f32 }   hsv = HSV, scale = 1 / sqrt(HS)
// @binding(1) qkv: array<ELEM>, (B, T, 3C) row-major, read (layout as in attention.wgsl); ELEM = vec4f
//             when HS is a multiple of 4 (then every head row is 16-byte aligned), else f32.
// @binding(2) y:   array<f32>, (B, T, C) row-major, written: heads re-interleaved, channel h·HS + d.
// @binding(3) lse: array<f32>, (B, NH, T) row-major, written: each query row's logsumexp, for backward.
// Defines: HS, HSV = ceil(HS / 4), NV = "HSV" (loops over a row unrolled; the host never passes "p.hsv"
//   here, see above), R (rows per invocation), ELEM, LOAD_QKV (body of loadQkv for that element
//   type), ROWS_INIT / ROWS_STEP / ROWS_STORE (the per-row statements below, once per row 0 .. R - 1).
// Override WG: invocations per workgroup (8: one llvmpipe lane group).
// Dispatch (ceil(T / (WG·R)), B·NH, 1): workgroup (x, y) handles query rows x·WG·R .. (x + 1)·WG·R - 1 of
//   head y % NH in batch y / NH; invocation l owns rows x·WG·R + r·WG + l, r < R.
struct Params { B: u32, T: u32, C: u32, NH: u32, hsv: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> qkv: array<{{ELEM}}>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> lse: array<f32>;

const HS: u32 = {{HS}}u;
const HSV: u32 = {{HSV}}u;
fn rowVec4s() -> u32 { return {{NV}}; }
// Finite stand-in for -inf: masked scores, and the running max before the first key.
const NEG: f32 = -1e30;
override WG: u32 = 8u;

alias Vec = array<vec4f, HSV>;

// The rows' registers: row r of this invocation is element r (a constant index once the host's per-row
// statements are inlined, so nothing here is indexed at run time). Private variables rather than a struct
// per row passed by pointer, which Mesa copies in and out of every call (process CPU-ms per forward, load
// 5: B4 T256 C384 NH6 88.6 → 79.8; the tiny shape 15.6 → 16.0, the same within noise).
const R: u32 = {{R}}u;
var<private> rowT: array<u32, R>;  // query row t
var<private> rowQ: array<Vec, R>;  // q_t · scale
var<private> rowO: array<Vec, R>;  // Σ_j exp(s_j - m) v_j
var<private> rowM: array<f32, R>;  // running max of the scores
var<private> rowL: array<f32, R>;  // Σ_j exp(s_j - m)
// The 4 keys' and values' head rows of the current step, shared by every row.
var<private> keys: array<Vec, 4>;
var<private> values: array<Vec, 4>;

// Channels d4·4 .. d4·4 + 3 of the head row whose channel 0 is qkv element `base`, zero past HS.
fn loadQkv(base: u32, d4: u32) -> vec4f {
  {{LOAD_QKV}}
}

fn score(r: u32, j: u32) -> f32 {
  var s = 0.0;
  for (var d = 0u; d < rowVec4s(); d++) { s += dot(rowQ[r][d], keys[j][d]); }
  return s;
}

fn rowInit(r: u32, t: u32, head0: u32) {
  rowT[r] = t;
  let base = head0 + min(t, p.T - 1u) * 3u * p.C;  // rows past T compute on the last row, store nothing
  for (var d = 0u; d < rowVec4s(); d++) {
    rowQ[r][d] = loadQkv(base, d) * p.scale;
    rowO[r][d] = vec4f(0.0);
  }
  rowM[r] = NEG;
  rowL[r] = 0.0;
}

// Keys k0 .. k0 + 3 for row r. Key 0 is in every row's first step, so m is a real score afterwards and
// exp(NEG - m) is 0 for masked keys.
fn rowStep(r: u32, k0: u32) {
  var s = vec4f(score(r, 0u), score(r, 1u), score(r, 2u), score(r, 3u));
  s = select(vec4f(NEG), s, vec4u(k0) + vec4u(0u, 1u, 2u, 3u) <= vec4u(rowT[r]));
  let m = max(rowM[r], max(max(s.x, s.y), max(s.z, s.w)));
  let alpha = exp(rowM[r] - m);
  let e = exp(s - vec4f(m));
  rowL[r] = rowL[r] * alpha + (e.x + e.y) + (e.z + e.w);
  rowM[r] = m;
  for (var d = 0u; d < rowVec4s(); d++) {
    rowO[r][d] = rowO[r][d] * alpha + e.x * values[0][d] + e.y * values[1][d] + e.z * values[2][d] + e.w * values[3][d];
  }
}

fn rowStore(r: u32, bh: u32, yRow0: u32) {
  let t = rowT[r];
  if (t >= p.T) { return; }
  let inv = 1.0 / rowL[r];
  let yRow = yRow0 + t * p.C;
  for (var d = 0u; d < rowVec4s(); d++) {
    let od = rowO[r][d] * inv;
    for (var c = 0u; c < 4u; c++) {
      if (d * 4u + c < HS) { y[yRow + d * 4u + c] = od[c]; }
    }
  }
  lse[bh * p.T + t] = rowM[r] + log(rowL[r]);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let bh = wid.y;
  let b = bh / p.NH;
  let h = bh % p.NH;
  let C3 = 3u * p.C;
  let head0 = b * p.T * C3 + h * HS;  // q channel 0 of (b, t = 0, h) in qkv
  let q0 = wid.x * WG * R;
  {{ROWS_INIT}}

  // Causal: no row of this workgroup sees a key past its last row.
  let kEnd = min(p.T, q0 + WG * R);
  for (var k0 = 0u; k0 < kEnd; k0 += 4u) {
    for (var jj = 0u; jj < 4u; jj++) {
      let kRow = head0 + min(k0 + jj, p.T - 1u) * C3 + p.C;
      for (var d = 0u; d < rowVec4s(); d++) {
        keys[jj][d] = loadQkv(kRow, d);
        values[jj][d] = loadQkv(kRow + p.C, d);
      }
    }
    {{ROWS_STEP}}
  }

  let yRow0 = b * p.T * p.C + h * HS;
  {{ROWS_STORE}}
}
