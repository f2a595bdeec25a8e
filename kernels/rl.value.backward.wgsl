// rl.value.backward: d/dv of loss = ½ Σ w·max((v − R)², (vc − R)²) / Σ w, vc = oldV + clamp(v − oldV, −ε, ε):
//   the max picks (v − R)² when it is ≥ (vc − R)²: derivative v − R; else (vc − R)·dvc/dv with
//   dvc/dv = 1 inside the clamp range (|v − oldV| < ε), 0 outside
//   dv[n] = dLoss · w / Σ w · that derivative   (0 where w = 0)
// @binding(0) params: { N: u32, eps: f32 }
// @binding(1) v, @binding(2) oldV, @binding(3) returns, @binding(4) mask: array<f32>, (N) each (read)
// @binding(5) stats: array<f32>, (2) from rl.value; stats[1] = 1 / Σ w (read)
// @binding(6) dLoss: array<f32>, (1) (read)
// @binding(7) dv: array<f32>, (N) (write)
// Workgroup 256, one thread per token: dispatch linearGrid(N).
struct Params { N: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> v: array<f32>;
@group(0) @binding(2) var<storage, read> oldV: array<f32>;
@group(0) @binding(3) var<storage, read> returns: array<f32>;
@group(0) @binding(4) var<storage, read> mask: array<f32>;
@group(0) @binding(5) var<storage, read> stats: array<f32>;
@group(0) @binding(6) var<storage, read> dLoss: array<f32>;
@group(0) @binding(7) var<storage, read_write> dv: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let n = gid.y * 65535u * 256u + gid.x;
  if (n >= p.N) { return; }
  let w = mask[n];
  if (w == 0.0) {
    dv[n] = 0.0;
    return;
  }
  let delta = v[n] - oldV[n];
  let vc = oldV[n] + clamp(delta, -p.eps, p.eps);
  let e1 = v[n] - returns[n];
  let e2 = vc - returns[n];
  let d = select(select(0.0, e2, abs(delta) < p.eps), e1, e1 * e1 >= e2 * e2);
  dv[n] = dLoss[0] * w * stats[1] * d;
}
