// rl.gather.backward: d/dh of out[b, c] = h[rows[b], c]; rows may repeat, so each dh element sums over b
// (deterministic, no atomics; B is a batch of sequences, small):
//   dh[n, c] = Σ_b [rows[b] = n] · dOut[b, c]
// @binding(0) params: { B: u32, C: u32, N: u32 }
// @binding(1) dOut: array<f32>, (B, C) row-major (read)
// @binding(2) rows: array<i32>, (B) (read)
// @binding(3) dh: array<f32>, (N, C) row-major (write; every element)
// Workgroup 256, one thread per dh element: dispatch linearGrid(N·C).
struct Params { B: u32, C: u32, N: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dOut: array<f32>;
@group(0) @binding(2) var<storage, read> rows: array<i32>;
@group(0) @binding(3) var<storage, read_write> dh: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.y * 65535u * 256u + gid.x;
  if (i >= p.N * p.C) { return; }
  let n = i32(i / p.C);
  let c = i % p.C;
  var s = 0.0;
  for (var b = 0u; b < p.B; b++) {
    if (rows[b] == n) { s += dOut[b * p.C + c]; }
  }
  dh[i] = s;
}
