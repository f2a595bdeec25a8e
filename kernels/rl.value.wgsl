// rl.value: PPO's clipped value loss as a masked mean over response tokens. Per token n (w = mask[n]):
//   vc = oldV + clamp(v − oldV, −ε, ε)
//   loss = ½ Σ w·max((v − R)², (vc − R)²) / Σ w      (R = returns[n])
//   stats = [clip fraction: Σ w·[|v − oldV| > ε] / Σ w,  1 / Σ w (0 when Σ w = 0)]
// @binding(0) params: { N: u32, eps: f32 }
// @binding(1) v: array<f32>, (N) current value predictions (read)
// @binding(2) oldV: array<f32>, (N) values when the rollout was made (read)
// @binding(3) returns: array<f32>, (N) GAE returns (read)
// @binding(4) mask: array<f32>, (N) (read)
// @binding(5) loss: array<f32>, (1) (write)
// @binding(6) stats: array<f32>, (2) (write)
// Workgroup 64, one workgroup: dispatch 1.
struct Params { N: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> v: array<f32>;
@group(0) @binding(2) var<storage, read> oldV: array<f32>;
@group(0) @binding(3) var<storage, read> returns: array<f32>;
@group(0) @binding(4) var<storage, read> mask: array<f32>;
@group(0) @binding(5) var<storage, read_write> loss: array<f32>;
@group(0) @binding(6) var<storage, read_write> stats: array<f32>;

var<workgroup> wLoss: array<f32, 64>;
var<workgroup> wClip: array<f32, 64>;
var<workgroup> wW: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32) {
  var l = 0.0;
  var clipped = 0.0;
  var sw = 0.0;
  for (var n = lid; n < p.N; n += 64u) {
    let w = mask[n];
    if (w == 0.0) { continue; }
    let vc = oldV[n] + clamp(v[n] - oldV[n], -p.eps, p.eps);
    let e1 = v[n] - returns[n];
    let e2 = vc - returns[n];
    l += w * 0.5 * max(e1 * e1, e2 * e2);
    clipped += select(0.0, w, abs(v[n] - oldV[n]) > p.eps);
    sw += w;
  }
  wLoss[lid] = l;
  wClip[lid] = clipped;
  wW[lid] = sw;
  for (var k = 32u; k > 0u; k >>= 1u) {
    workgroupBarrier();
    if (lid < k) {
      wLoss[lid] += wLoss[lid + k];
      wClip[lid] += wClip[lid + k];
      wW[lid] += wW[lid + k];
    }
  }
  if (lid == 0u) {
    let inv = select(0.0, 1.0 / wW[0], wW[0] > 0.0);
    loss[0] = wLoss[0] * inv;
    stats[0] = wClip[0] * inv;
    stats[1] = inv;
  }
}
