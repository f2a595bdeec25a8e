// rl.pairwise.backward: d/d scores of loss = (1/B) Σ_b softplus(−z_b), z_b = scale·(s[b] − s[B + b]) − offset[b]:
//   dScores[b] = −σ(−z_b) · scale / B · dLoss,   dScores[B + b] = −dScores[b]
// (σ(−z) = 1 / (1 + e^z), written through e^−|z| so it never overflows)
// @binding(0) params: { B: u32, scale: f32 }
// @binding(1) scores: array<f32>, (2B) [chosen, rejected] (read)
// @binding(2) offset: array<f32>, (B) (read)
// @binding(3) dLoss: array<f32>, (1) (read)
// @binding(4) dScores: array<f32>, (2B) (write)
// Workgroup 64, one thread per pair: dispatch ceil(B / 64).
struct Params { B: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> scores: array<f32>;
@group(0) @binding(2) var<storage, read> offset: array<f32>;
@group(0) @binding(3) var<storage, read> dLoss: array<f32>;
@group(0) @binding(4) var<storage, read_write> dScores: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let b = gid.x;
  if (b >= p.B) { return; }
  let z = p.scale * (scores[b] - scores[p.B + b]) - offset[b];
  let e = exp(-abs(z));
  let sigNeg = select(e / (1.0 + e), 1.0 / (1.0 + e), z < 0.0); // σ(−z)
  let d = -sigNeg * p.scale / f32(p.B) * dLoss[0];
  dScores[b] = d;
  dScores[p.B + b] = -d;
}
