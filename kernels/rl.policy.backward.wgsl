// rl.policy.backward: d/d logp of loss = Σ w·(−min(r·A, clamp(r, 1 − ε, 1 + ε)·A) + klCoef·k3) / Σ w,
// r = exp(logp − oldLogp), k3 = exp(ref − logp) − (ref − logp) − 1:
//   the min picks the unclipped term when r·A ≤ clamp(r)·A: d(−r·A)/d logp = −r·A; else the clipped term,
//   constant in logp (0);   d k3 / d logp = 1 − exp(ref − logp)
//   dLogp[n] = dLoss · w / Σ w · (−[r·A ≤ clamp(r)·A]·r·A + klCoef·(1 − exp(ref − logp)))   (0 where w = 0)
// @binding(0) params: { N: u32, eps: f32, klCoef: f32 }
// @binding(1) logp, @binding(2) oldLogp, @binding(3) adv, @binding(4) refLogp, @binding(5) mask:
//   array<f32>, (N) each, as in rl.policy (read)
// @binding(6) stats: array<f32>, (3) from rl.policy; stats[2] = 1 / Σ w (read)
// @binding(7) dLoss: array<f32>, (1) (read)
// @binding(8) dLogp: array<f32>, (N) (write)
// Workgroup 256, one thread per token: dispatch linearGrid(N).
struct Params { N: u32, eps: f32, klCoef: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logp: array<f32>;
@group(0) @binding(2) var<storage, read> oldLogp: array<f32>;
@group(0) @binding(3) var<storage, read> adv: array<f32>;
@group(0) @binding(4) var<storage, read> refLogp: array<f32>;
@group(0) @binding(5) var<storage, read> mask: array<f32>;
@group(0) @binding(6) var<storage, read> stats: array<f32>;
@group(0) @binding(7) var<storage, read> dLoss: array<f32>;
@group(0) @binding(8) var<storage, read_write> dLogp: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let n = gid.y * 65535u * 256u + gid.x;
  if (n >= p.N) { return; }
  let w = mask[n];
  if (w == 0.0) {
    dLogp[n] = 0.0;
    return;
  }
  let r = exp(logp[n] - oldLogp[n]);
  let a = adv[n];
  let unclipped = r * a <= clamp(r, 1.0 - p.eps, 1.0 + p.eps) * a;
  let dObj = select(0.0, r * a, unclipped);
  let dKl = 1.0 - exp(refLogp[n] - logp[n]);
  dLogp[n] = dLoss[0] * w * stats[2] * (p.klCoef * dKl - dObj);
}
