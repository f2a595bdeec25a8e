// matmul (naive): C[z] = op(A)[z] · op(B)[z] (+ bias), one output element per invocation.
// The correctness baseline and the benchmark's baseline; every other variant must agree with it.
// op(A) is (M, K) and op(B) is (K, N); element strides (u32 params) express transposes and broadcasting
// without copies: op(A)[z, m, k] = a[z*sAb + m*sAm + k*sAk], op(B)[z, k, n] = b[z*sBb + k*sBk + n*sBn]
// (sAb or sBb = 0 broadcasts that operand over the batch).
// @binding(0) params: { M, N, K, sAb, sAm, sAk, sBb, sBk, sBn: u32 }
// @binding(1) a: array<f32>, read, any layout the strides describe
// @binding(2) b: array<f32>, read, likewise
// @binding(3) bias: array<f32>, (N) read; read only when HAS_BIAS (the host binds `a` as a placeholder
//             otherwise, because layout "auto" needs every declared binding bound)
// @binding(4) c: array<f32>, (Z, M, N) row-major, written
// Defines: HAS_BIAS = true | false.
// Workgroup 16×16; dispatch (ceil(N / 16), ceil(M / 16), Z).
struct Params { M: u32, N: u32, K: u32, sAb: u32, sAm: u32, sAk: u32, sBb: u32, sBk: u32, sBn: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;

const HAS_BIAS = {{HAS_BIAS}};

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let n = gid.x;
  let m = gid.y;
  let z = gid.z;
  if (m >= p.M || n >= p.N) { return; }
  var acc = 0.0;
  let aRow = z * p.sAb + m * p.sAm;
  let bCol = z * p.sBb + n * p.sBn;
  for (var k = 0u; k < p.K; k++) {
    acc += a[aRow + k * p.sAk] * b[bCol + k * p.sBk];
  }
  if (HAS_BIAS) { acc += bias[n]; }
  c[(z * p.M + m) * p.N + n] = acc;
}
