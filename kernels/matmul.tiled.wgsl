// matmul (tiled, for real GPUs): C[z] = op(A)[z] · op(B)[z] (+ bias) with workgroup-memory tiles and
// register blocking. Each workgroup computes a 64×64 block of C, stepping K by 16: the 64×16 slice of
// op(A) and the 16×64 slice of op(B) are staged in workgroup memory, then each of the 256 invocations
// accumulates a 4×4 block in registers (reading a vec4 of the B tile and 4 A values per k, 16 FMAs).
// Loads are bounds-checked (zero outside), so any M, N, K works. The staging order follows the operand's
// contiguous axis (A_K_FAST / B_N_FAST) so that neighbouring invocations read neighbouring addresses.
// On llvmpipe this variant is slow (workgroup memory and barriers are emulated per lane) but correct;
// it is tested there and chosen on core-level, non-CPU adapters.
// @binding(0) params: { M, N, K, sAb, sAm, sAk, sBb, sBk, sBn: u32 }   element strides as in matmul.wgsl
// @binding(1) a: array<f32>, read      op(A)[z, m, k] = a[z*sAb + m*sAm + k*sAk]
// @binding(2) b: array<f32>, read      op(B)[z, k, n] = b[z*sBb + k*sBk + n*sBn]
// @binding(3) bias: array<f32>, (N) read; read only when HAS_BIAS (host binds `a` as a placeholder)
// @binding(4) c: array<f32>, (Z, M, N) row-major, written
// Defines: HAS_BIAS, A_K_FAST (sAk == 1), B_N_FAST (sBn == 1): true | false.
// Workgroup 16×16 (256); dispatch (ceil(N / 64), ceil(M / 64), Z).
struct Params { M: u32, N: u32, K: u32, sAb: u32, sAm: u32, sAk: u32, sBb: u32, sBk: u32, sBn: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

const HAS_BIAS = {{HAS_BIAS}};
const A_K_FAST = {{A_K_FAST}};
const B_N_FAST = {{B_N_FAST}};
const BM = 64u;
const BN = 64u;
const BK = 16u;

var<workgroup> tileA: array<array<f32, BM>, BK>; // [k][m]: the compute loop reads 4 consecutive m
var<workgroup> tileB: array<array<vec4f, 16>, BK>; // [k][n / 4]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(local_invocation_index) li: u32) {
  let z = wid.z;
  let m0 = wid.y * BM;
  let n0 = wid.x * BN;
  var acc: array<vec4f, 4>; // rows m0 + ty*4 + i, columns n0 + tx*4 .. +3
  for (var k0 = 0u; k0 < p.K; k0 += BK) {
    for (var e = li; e < BM * BK; e += 256u) {
      var m = e / BK;
      var k = e % BK;
      if (!A_K_FAST) { m = e % BM; k = e / BM; }
      var v = 0.0;
      if (m0 + m < p.M && k0 + k < p.K) { v = a[z * p.sAb + (m0 + m) * p.sAm + (k0 + k) * p.sAk]; }
      tileA[k][m] = v;
    }
    for (var e = li; e < BK * BN; e += 256u) {
      var n = e % BN;
      var k = e / BN;
      if (!B_N_FAST) { n = e / BK; k = e % BK; }
      var v = 0.0;
      if (n0 + n < p.N && k0 + k < p.K) { v = b[z * p.sBb + (k0 + k) * p.sBk + (n0 + n) * p.sBn]; }
      tileB[k][n / 4u][n % 4u] = v;
    }
    workgroupBarrier();
    for (var k = 0u; k < BK; k++) {
      let bv = tileB[k][lid.x];
      for (var i = 0u; i < 4u; i++) { acc[i] += tileA[k][lid.y * 4u + i] * bv; }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let m = m0 + lid.y * 4u + i;
    for (var j = 0u; j < 4u; j++) {
      let n = n0 + lid.x * 4u + j;
      if (m < p.M && n < p.N) {
        var v = acc[i][j];
        if (HAS_BIAS) { v += bias[n]; }
        c[(z * p.M + m) * p.N + n] = v;
      }
    }
  }
}
