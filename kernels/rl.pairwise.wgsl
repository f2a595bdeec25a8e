// rl.pairwise: the Bradley–Terry pairwise loss shared by the reward model and DPO. Scores hold the B
// chosen scores first, then the B rejected ones; per pair z_b = scale·(s[b] − s[B + b]) − offset[b] and
//   loss = (1/B) Σ_b −log σ(z_b) = (1/B) Σ_b softplus(−z_b)   (softplus(y) = max(y, 0) + log(1 + e^−|y|), stable)
//   stats = [accuracy: fraction of z_b + offset[b] > 0, i.e. chosen scored above rejected;
//            mean margin: (1/B) Σ_b scale·(s[b] − s[B + b])]
// Reward model: scale 1, offset = the margin. DPO: scale β, s = policy sequence log-probs,
// offset = β·(ref_chosen − ref_rejected).
// @binding(0) params: { B: u32, scale: f32 }
// @binding(1) scores: array<f32>, (2B) [chosen (B), rejected (B)] (read)
// @binding(2) offset: array<f32>, (B) (read)
// @binding(3) loss: array<f32>, (1) (write)
// @binding(4) stats: array<f32>, (2) (write)
// Workgroup 64, one workgroup: dispatch 1.
struct Params { B: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> scores: array<f32>;
@group(0) @binding(2) var<storage, read> offset: array<f32>;
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;
@group(0) @binding(4) var<storage, read_write> stats: array<f32>;

var<workgroup> wLoss: array<f32, 64>;
var<workgroup> wAcc: array<f32, 64>;
var<workgroup> wMargin: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32) {
  var l = 0.0;
  var acc = 0.0;
  var margin = 0.0;
  for (var b = lid; b < p.B; b += 64u) {
    let m = p.scale * (scores[b] - scores[p.B + b]);
    let z = m - offset[b];
    l += max(-z, 0.0) + log(1.0 + exp(-abs(z)));
    acc += select(0.0, 1.0, m > 0.0);
    margin += m;
  }
  wLoss[lid] = l;
  wAcc[lid] = acc;
  wMargin[lid] = margin;
  for (var k = 32u; k > 0u; k >>= 1u) {
    workgroupBarrier();
    if (lid < k) {
      wLoss[lid] += wLoss[lid + k];
      wAcc[lid] += wAcc[lid + k];
      wMargin[lid] += wMargin[lid + k];
    }
  }
  if (lid == 0u) {
    let inv = 1.0 / f32(p.B);
    loss[0] = wLoss[0] * inv;
    stats[0] = wAcc[0] * inv;
    stats[1] = wMargin[0] * inv;
  }
}
