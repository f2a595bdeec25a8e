// rl.policy: the clipped surrogate objective of PPO and GRPO with an optional k3 KL penalty, as a masked
// mean over response tokens. Per token n (with w = mask[n]; tokens with w = 0 are skipped):
//   r = exp(logp − oldLogp),  obj = min(r·A, clamp(r, 1 − ε, 1 + ε)·A)   (A = adv[n])
//   k3 = exp(ref − logp) − (ref − logp) − 1   (≥ 0, zero when logp = ref)
//   loss = Σ w·(−obj + klCoef·k3) / Σ w
//   stats = [clip fraction: Σ w·[|r − 1| > ε] / Σ w,  mean k3: Σ w·k3 / Σ w,  1 / Σ w (0 when Σ w = 0)]
// @binding(0) params: { N: u32, eps: f32, klCoef: f32 }
// @binding(1) logp: array<f32>, (N) current policy log-probs of the taken tokens (read)
// @binding(2) oldLogp: array<f32>, (N) log-probs when the rollout was sampled (read)
// @binding(3) adv: array<f32>, (N) per-token advantages (read)
// @binding(4) refLogp: array<f32>, (N) reference model log-probs (read; any finite values if klCoef = 0)
// @binding(5) mask: array<f32>, (N) token weights, 1 on response tokens (read)
// @binding(6) loss: array<f32>, (1) (write)
// @binding(7) stats: array<f32>, (3) (write)
// Workgroup 64, one workgroup: dispatch 1.
struct Params { N: u32, eps: f32, klCoef: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logp: array<f32>;
@group(0) @binding(2) var<storage, read> oldLogp: array<f32>;
@group(0) @binding(3) var<storage, read> adv: array<f32>;
@group(0) @binding(4) var<storage, read> refLogp: array<f32>;
@group(0) @binding(5) var<storage, read> mask: array<f32>;
@group(0) @binding(6) var<storage, read_write> loss: array<f32>;
@group(0) @binding(7) var<storage, read_write> stats: array<f32>;

var<workgroup> wLoss: array<f32, 64>;
var<workgroup> wClip: array<f32, 64>;
var<workgroup> wKl: array<f32, 64>;
var<workgroup> wW: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32) {
  var l = 0.0;
  var clipped = 0.0;
  var kl = 0.0;
  var sw = 0.0;
  for (var n = lid; n < p.N; n += 64u) {
    let w = mask[n];
    if (w == 0.0) { continue; }
    let r = exp(logp[n] - oldLogp[n]);
    let a = adv[n];
    let obj = min(r * a, clamp(r, 1.0 - p.eps, 1.0 + p.eps) * a);
    let d = refLogp[n] - logp[n];
    let k3 = exp(d) - d - 1.0;
    l += w * (p.klCoef * k3 - obj);
    clipped += select(0.0, w, abs(r - 1.0) > p.eps);
    kl += w * k3;
    sw += w;
  }
  wLoss[lid] = l;
  wClip[lid] = clipped;
  wKl[lid] = kl;
  wW[lid] = sw;
  for (var k = 32u; k > 0u; k >>= 1u) {
    workgroupBarrier();
    if (lid < k) {
      wLoss[lid] += wLoss[lid + k];
      wClip[lid] += wClip[lid + k];
      wKl[lid] += wKl[lid + k];
      wW[lid] += wW[lid + k];
    }
  }
  if (lid == 0u) {
    let inv = select(0.0, 1.0 / wW[0], wW[0] > 0.0);
    loss[0] = wLoss[0] * inv;
    stats[0] = wClip[0] * inv;
    stats[1] = wKl[0] * inv;
    stats[2] = inv;
  }
}
