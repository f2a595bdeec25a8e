// matmul (texture, for llvmpipe): C[z] = op(A)[z] · op(B)[z] (+ bias), op(B) read from an rgba32float
// texture that matmul.pack.wgsl filled (or a buffer-to-texture copy), op(A) from a texture of its own
// filled the same way or, when it has none (batched, too large, any strides), from its storage buffer at
// workgroup-uniform addresses.
//
// Why this shape (measured on llvmpipe 22.3 / LLVM 15, 256-bit, 2 EPYC cores, 1024³): llvmpipe runs 8
// invocations per SIMD lane group. A storage-buffer load at a per-lane address becomes a loop of 8 guarded
// scalar loads (≈2-4.5 GFLOP/s), workgroup memory is the same plus barriers (slower still), while a
// textureLoad is a real vector gather. A load whose address is uniform across the workgroup (here it
// depends only on workgroup_id, loop counters and params) is one scalar load broadcast to all lanes. So
// each workgroup owns TM rows of C (op(A) loads uniform) and each invocation owns TN texels (4·TN columns)
// of op(B), strided by the workgroup size so that lanes fetch neighbouring texels; per k it does TN
// gathers and 4·TM·TN FMAs. Measured 2026-11-27 with the kernel written with arrays (median of 3, noisy
// shared cores):
//   both operands through textures 6.5-11 GFLOP/s; uniform A + storage-buffer B 4.7-9;
//   uniform A + texture B: TM×TN = 4×1 9.7, 8×1 14, 12×1 15, 16×1 18, 4×2 6.5, 6×2 14, 8×2 17-19,
//   4×3 13, 4×4 20.6-21.0, 6×4 18, 8×4 9.5, 4×8 17, 16×2 11 (larger blocks spill the 16 ymm registers);
//   workgroup 64 ≥ 32 ≥ 16 > 128 at 1024³ (the host shrinks it when N is small, so lanes are not idle).
//
// 2026-11-28: with arrays (acc[r·TN + j], bv[j], loops over r, j and kk) Mesa kept the accumulators in
// memory: with every load removed the 4×4 kernel still ran at only 15-20 cpu GF/s (FLOPs per process
// CPU-second). The host now writes main's k step out with one variable per accumulator (ACCUMULATORS,
// K_STEP, STORES below); the same load-free kernel runs at 31-41 cpu GF/s, so the time is in the loads
// (texel fetches ~18 of 25 cpu-ms at 2048×128×512) and more rows per fetch pay off where they did not
// with arrays. Unrolled TM×TN, process CPU-ms, one process, load 4-5, 2048×128×512: arrays 4×4 27.8,
// 4×4 27.8, 8×4 21.6, 12×4 22.3, 12×2 24.0, 16×2 24.6, 16×4 25.0, 8×3 26.1; 8×4 against arrays 4×4 at
// 128×2048×512 19.6 / 27.3, 2048×512×128 19.6 / 26.3, 1024×384×1536 87.6 / 116.9, 1024×1536×384
// 85.3 / 121.0. Hence TM×TN = 8×4. Then op(A) from a texture instead of uniform buffer loads (on llvmpipe
// a uniform vec4 load costs about as much as a texel gather): 12-27% less again (see loadA).
//
// 2026-11-28: both textures are bound as read-only storage textures (texture_storage_2d<rgba32float, read>),
// not sampled ones. llvmpipe 22.3 turns a sampled textureLoad into a call to its sampling function, which
// looks up every lane's mip level (a row stride and a level offset per lane, gathered) before the fetch;
// an image load has no level to look up. The values are the same.
// One training step of `tiny` (16×128, forward, backward, AdamW; one llvmpipe thread, process CPU-ms,
// fastest of 8, three runs each, alternating): 837-893 against 1,126-1,236 with sampled textures.
//
// Also measured: an outer loop over K chunks around the K loop cost 3.4× (llvmpipe stopped keeping the
// accumulators in registers), and 4 scalar op(A) loads instead of one vec4 load cost 1.7×. Hence one
// K range per dispatch (the host splits K past the texture height into dispatches that ACCUMULATE) and
// vec4 op(A) loads whenever op(A) rows are contiguous and 16-byte aligned, or its columns are (transA:
// the 4×4 block is then loaded along M and transposed in registers).
//
// GPT training shapes (2026-11-27, cores shared with 3-5 other processes, so wall-clock GFLOP/s was
// 2-5× below an idle machine's; figures are "cpu GF/s", FLOPs per process CPU-second × 2 cores, old and
// new kernel interleaved in one process, 3 products per sync as in a training step):
//   cpu GF/s old → new             fwd           dX (transB)   dW (transA)
//   tiny, B·T 2048, C 128:  c_attn  6.0 → 13.1    8.0 → 11.1    4.6 → 12.0
//                           c_proj 10.0 → 13.7    9.7 → 14.4    7.5 → 11.1
//                           c_fc    9.4 → 14.0   10.9 → 14.8    5.5 → 12.7
//                       mlp.c_proj 11.0 → 15.4   10.1 → 14.4    9.4 → 13.5
//                     head (V 512) 10.4 → 14.6   11.6 → 16.9    9.3 → 13.4
//   B·T 1024, C 384:        c_attn  6.7 → 15.8    8.1 → 17.3    8.6 → 20.6
//                           c_proj 11.8 → 20.1    8.2 → 15.1    6.9 → 14.9
//                           c_fc    8.4 → 16.1    8.0 → 13.3    7.2 → 15.0
//                       mlp.c_proj  9.1 → 18.4   11.5 → 17.8    6.5 → 13.6
//                     head (V 512) 10.2 → 14.2    6.5 → 14.4    5.2 → 12.7
//   1024³ 9.8 → 14.6. Wall clock in the same run (load average 3.4-5.5): 2.5-9 → 6-14.5 GFLOP/s.
// What changed: (1) transA (dW = Xᵀ·dY) read op(A) as 16 strided scalars per 4×4 block, now 4 vec4 loads
// along M transposed in registers; (2) invocations along N were a power of two, so widths of 96, 288 or
// 384 texels (N = 384, 1152, 1536) computed 128, 512, 512 (the extra ones clamped duplicates); now WG is
// any multiple of 8 up to 96 and nx·WG·4 barely exceeds N4; (3) C was stored as 64 per-lane scalars per
// 4×4 invocation (a loop over lanes each), then 16 vec4 stores when N % 4 = 0 (32 at 8×4 now).
// Tried and dropped then (no gain beyond the noise): split-K for the small-output dW (more, shorter
// workgroups; llvmpipe already hands workgroups to its threads one at a time), fma() instead of a·b + c
// (already fused), TM×TN = 8×2 and 8×4 with arrays, WG capped at 16 or 32, and matmul.pack with vec4 loads and 16 rows per
// invocation (the pack stays 5-10% of a dW, where B = dY is B·T rows tall).
//
// This dispatch covers k in [k0, k0 + kLen) of the full K. op(A)[z, m, k] = a[z*sAb + m*sAm + k*sAk]
// (any strides: transposes and broadcasting cost nothing in the scalar form).
// op(B) rows k0 .. k0 + kLen of batch z·bBatch are in the texture as kLen rows × N4 = ceil(N/4) texels
// (zeros beyond K and N), cut into column chunks of W texels; chunk (z·bBatch, cc) has index
// q = (z·bBatch)·PC + cc and sits at texel (q % QX · W, q / QX · H). Chunking lets operands wider than
// maxTextureDimension2D (4096 in compatibility mode) fit, e.g. GPT-2's (768, 50257) lm head.
// @binding(0) params: { M, N, K, N4, sAb, sAm, sAk, W, H, PC, QX, bBatch, k0, kLen: u32 }
// @binding(1) a: op(A)'s source, define A_BINDING: its storage buffer, array<A_ELEM>, read (A_ELEM =
//             vec4f when sAk = 1 and K, sAm, sAb are multiples of 4, or when sAm = 1 and sAk, sAb are
//             multiples of 4; else f32), or an rgba32float texture holding it as it is laid out in memory
//             (rows form: texel (k / 4, m) = op(A)[m, k .. k + 3]; columns form: texel (m / 4, k) =
//             op(A)[m .. m + 3, k]), filled like bt by a copy or matmul.pack; one batch only.
// @binding(2) bt: texture_storage_2d<rgba32float, read>, the packed op(B)
// @binding(3) bias: array<f32>, (N) read; read only when HAS_BIAS (the host binds op(B)'s buffer as a
//             placeholder)
// @binding(4) c: array<C_ELEM>, (Z, M, N) row-major, written (C_ELEM = vec4f when N is a multiple of 4)
// Defines: HAS_BIAS, ACCUMULATE (add to c instead of overwriting it; bias only when false), A_BINDING
// and LOAD_A, the body of loadA for that source; C_ELEM and STORE_C likewise (see
// matmul.ts); TM and TN; ACCUMULATORS, K_STEP and STORES, the statements of main written out by the host
// for every accumulator accR_J (row m0 + R, texel column J): declarations, one step of 4 along k
// (op(A) blocks avG = loadA(.., m0 + 4G, k), texels bJ_KK, then accR_J += avG[R % 4][KK] · bJ_KK), and
// the guarded store4 calls. Override WG (workgroup size, a multiple of 8 so no lane group is partial).
// Dispatch (nx, ceil(M / TM), Z) with nx · WG · TN ≥ N4; kLen is a multiple of 4.
struct Params { M: u32, N: u32, K: u32, N4: u32, sAb: u32, sAm: u32, sAk: u32, W: u32, H: u32, PC: u32, QX: u32, bBatch: u32, k0: u32, kLen: u32 }
@group(0) @binding(0) var<uniform> p: Params;
{{A_BINDING}}
@group(0) @binding(2) var bt: texture_storage_2d<rgba32float, read>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<{{C_ELEM}}>;

const HAS_BIAS = {{HAS_BIAS}};
const ACCUMULATE = {{ACCUMULATE}};
const TM = {{TM}}u;
const TN = {{TN}}u;
override WG: u32 = 64u;

// The 4×4 block of op(A) at rows m0 .. m0 + 3, columns k .. k + 3: column r of the matrix is
// op(A)[m0 + r, k .. k + 3], zero past K like the texture rows there (rows past M are clamped or read as
// neighbours: their outputs are never stored). Uniform across the workgroup, so llvmpipe loads once and
// broadcasts. LOAD_A is one of five bodies (see matmul.ts): four texel fetches from the op(A) texture
// along M (rows form) or along K, transposed in registers (columns form: transA, dW = Xᵀ·dY), which cost
// 12-27% less than the buffer loads below at GPT shapes (unrolled 8×4, process CPU-ms, load 5: 2048×512×128
// 26.2 → 19.1, 128×2048×512 21.3 → 18.7, 1024×384×1536 96.9 → 83.9; on llvmpipe a uniform buffer load
// is not much cheaper than a texel gather); or, when op(A) has no texture (batched, too large, any
// strides), four vec4 row loads from the buffer (rows contiguous, A_ELEM vec4f), four vec4 loads along M
// transposed in registers (columns contiguous), or sixteen scalar loads.
fn loadA(zA: u32, m0: u32, k: u32) -> mat4x4f {
  {{LOAD_A}}
}

// C[row, n .. n + 3] = v (+ C or bias), row = element offset of the output row; columns past N dropped.
// STORE_C is one vec4 store when N is a multiple of 4 (C_ELEM vec4f), else four scalar ones: a per-lane
// store is a loop over the lanes on llvmpipe, so TM·TN of them per invocation cost less than 4·TM·TN.
fn store4(row: u32, n: u32, v: vec4f) {
  {{STORE_C}}
}

// Where texel column `col` of batch z's op(B) starts in the texture: (x, y of its row k0). Columns past N4
// are clamped: they compute duplicates that are never stored.
fn texelOrigin(z: u32, col: u32) -> vec2u {
  let cc = min(col, p.N4 - 1u);
  let q = (z * p.bBatch) * p.PC + cc / p.W;
  return vec2u((q % p.QX) * p.W + cc % p.W, (q / p.QX) * p.H);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let z = wid.z;
  let m0 = wid.y * TM;
  let zA = z * p.sAb;
  let rowC = z * p.M;                  // first row of batch z in C
  let n0 = wid.x * WG * TN + lid.x;    // this invocation's texel columns: n0 + J·WG
  {{ACCUMULATORS}}
  for (var k = 0u; k < p.kLen; k += 4u) {
    let ka = p.k0 + k;
    {{K_STEP}}
  }
  {{STORES}}
}
