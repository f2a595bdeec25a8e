// matmul (texture, for llvmpipe): C[z] = op(A)[z] · op(B)[z] (+ bias), op(B) read from an rgba32float
// texture that matmul.pack.wgsl filled, op(A) read from its storage buffer at workgroup-uniform addresses.
//
// Why this shape (measured on llvmpipe 22.3 / LLVM 15, 256-bit, 2 EPYC cores, 1024³): llvmpipe runs 8
// invocations per SIMD lane group. A storage-buffer load at a per-lane address becomes a loop of 8 guarded
// scalar loads (≈2-4.5 GFLOP/s), workgroup memory is the same plus barriers (slower still), while a
// textureLoad is a real vector gather. A load whose address is uniform across the workgroup (here it
// depends only on workgroup_id, loop counters and params) is one scalar load broadcast to all lanes. So
// each workgroup owns TM = 4 rows of C (op(A) loads uniform, nearly free) and each invocation owns
// TN = 4 texels (16 columns) of op(B), strided by the workgroup size so that lanes fetch neighbouring
// texels; per k it does 4 gathers and 64 FMAs. Measured (median of 3, noisy shared cores):
//   both operands through textures 6.5-11 GFLOP/s; uniform A + storage-buffer B 4.7-9;
//   uniform A + texture B: TM×TN = 4×1 9.7, 8×1 14, 12×1 15, 16×1 18, 4×2 6.5, 6×2 14, 8×2 17-19,
//   4×3 13, 4×4 20.6-21.0, 6×4 18, 8×4 9.5, 4×8 17, 16×2 11 (larger blocks spill the 16 ymm registers);
//   workgroup 64 ≥ 32 ≥ 16 > 128 at 1024³ (the host shrinks it when N is small, so lanes are not idle).
//
// Also measured: an outer loop over K chunks around the K loop cost 3.4× (llvmpipe stopped keeping the
// accumulators in registers), and 4 scalar op(A) loads instead of one vec4 load cost 1.7×. Hence one
// K range per dispatch (the host splits K past the texture height into dispatches that ACCUMULATE) and
// a vec4 op(A) load whenever op(A) rows are contiguous and 16-byte aligned.
//
// This dispatch covers k in [k0, k0 + kLen) of the full K. op(A)[z, m, k] = a[z*sAb + m*sAm + k*sAk]
// (any strides: transposes and broadcasting cost nothing in the scalar form).
// op(B) rows k0 .. k0 + kLen of batch z·bBatch are in the texture as kLen rows × N4 = ceil(N/4) texels
// (zeros beyond K and N), cut into column chunks of W texels; chunk (z·bBatch, cc) has index
// q = (z·bBatch)·PC + cc and sits at texel (q % QX · W, q / QX · H). Chunking lets operands wider than
// maxTextureDimension2D (4096 in compatibility mode) fit, e.g. GPT-2's (768, 50257) lm head.
// @binding(0) params: { M, N, K, N4, sAb, sAm, sAk, W, H, PC, QX, bBatch, k0, kLen: u32 }
// @binding(1) a: array<A_ELEM>, read (A_ELEM = vec4f when sAk = 1 and K, sAm, sAb are multiples of 4)
// @binding(2) bt: texture_2d<f32>, rgba32float, the packed op(B)
// @binding(3) bias: array<f32>, (N) read; read only when HAS_BIAS (host binds `a` as a placeholder)
// @binding(4) c: array<f32>, (Z, M, N) row-major, written
// Defines: HAS_BIAS, ACCUMULATE (add to c instead of overwriting it; bias only when false), A_ELEM
// (vec4f | f32) and LOAD_A, the body of loadA4 for that element type (see matmul.ts). Override WG (workgroup size, a multiple of 8 so no lane group is partial).
// Dispatch (ceil(N4 / (WG·4)), ceil(M / 4), Z); kLen is a multiple of 4.
struct Params { M: u32, N: u32, K: u32, N4: u32, sAb: u32, sAm: u32, sAk: u32, W: u32, H: u32, PC: u32, QX: u32, bBatch: u32, k0: u32, kLen: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<{{A_ELEM}}>;
@group(0) @binding(2) var bt: texture_2d<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

const HAS_BIAS = {{HAS_BIAS}};
const ACCUMULATE = {{ACCUMULATE}};
const TM = 4u;
const TN = 4u;
override WG: u32 = 64u;

// op(A)[row, k .. k + 3] (row = element offset of the row), past K read as 0 like the texture rows there.
// Uniform across the workgroup, so llvmpipe loads once and broadcasts.
fn loadA4(row: u32, k: u32) -> vec4f {
  {{LOAD_A}}
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let z = wid.z;
  let m0 = wid.y * TM;
  var rowA: array<u32, TM>;
  for (var r = 0u; r < TM; r++) { rowA[r] = z * p.sAb + min(m0 + r, p.M - 1u) * p.sAm; }
  // Columns past N4 are clamped: they compute duplicates that are never stored.
  var x: array<u32, TN>;
  var y: array<u32, TN>;
  for (var j = 0u; j < TN; j++) {
    let col = min(wid.x * WG * TN + j * WG + lid.x, p.N4 - 1u);
    let q = (z * p.bBatch) * p.PC + col / p.W;
    x[j] = (q % p.QX) * p.W + col % p.W;
    y[j] = (q / p.QX) * p.H;
  }
  var acc: array<vec4f, TM * TN>;
  for (var k = 0u; k < p.kLen; k += 4u) {
    var av: array<vec4f, TM>;
    for (var r = 0u; r < TM; r++) { av[r] = loadA4(rowA[r], p.k0 + k); }
    for (var kk = 0u; kk < 4u; kk++) {
      var bv: array<vec4f, TN>;
      for (var j = 0u; j < TN; j++) { bv[j] = textureLoad(bt, vec2u(x[j], y[j] + k + kk), 0); }
      for (var r = 0u; r < TM; r++) {
        for (var j = 0u; j < TN; j++) { acc[r * TN + j] += av[r][kk] * bv[j]; }
      }
    }
  }
  for (var r = 0u; r < TM; r++) {
    let m = m0 + r;
    for (var j = 0u; j < TN; j++) {
      let n = (wid.x * WG * TN + j * WG + lid.x) * 4u;
      for (var e = 0u; e < 4u; e++) {
        if (m < p.M && n + e < p.N) {
          let i = (z * p.M + m) * p.N + n + e;
          var v = acc[r * TN + j][e];
          if (ACCUMULATE) { v += c[i]; } else if (HAS_BIAS) { v += bias[n + e]; }
          c[i] = v;
        }
      }
    }
  }
}
