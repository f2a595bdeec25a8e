// crossentropy.mean: the (weighted) mean of the per-row losses over non-ignored rows (0 ≤ targets[n] < V):
//   loss = Σ w_n·losses_n / Σ w_n,  invSumW = 1 / Σ w_n   (both 0 when Σ w_n = 0, so no NaN)
// w_n = 1 for entry `main`, weights[n] for entry `weighted`. Summed in a fixed order: deterministic.
// @binding(0) params: { N: u32, V: u32 }
// @binding(1) losses: array<f32>, (N) from the crossentropy kernel (read)
// @binding(2) targets: array<i32>, (N) (read)
// @binding(3) loss: array<f32>, (1) (write)
// @binding(4) invSumW: array<f32>, (1), saved for crossentropy.backward (write)
// @binding(5) weights: array<f32>, (N) non-negative (read; entry `weighted` only)
// Workgroup WG (override, a power of two, default 256); dispatch exactly 1 workgroup.
struct Params { N: u32, V: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> losses: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<i32>;
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;
@group(0) @binding(4) var<storage, read_write> invSumW: array<f32>;
@group(0) @binding(5) var<storage, read> weights: array<f32>;

override WG: u32 = 256;
var<workgroup> wNum: array<f32, WG>;
var<workgroup> wDen: array<f32, WG>;

fn counted(n: u32) -> bool {
  let t = targets[n];
  return t >= 0 && u32(t) < p.V;
}

fn finish(lid: u32, num: f32, den: f32) {
  wNum[lid] = num;
  wDen[lid] = den;
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    workgroupBarrier();
    if (lid < k) {
      wNum[lid] += wNum[lid + k];
      wDen[lid] += wDen[lid + k];
    }
  }
  if (lid == 0u) {
    let d = wDen[0];
    let inv = select(0.0, 1.0 / d, d > 0.0);
    loss[0] = wNum[0] * inv;
    invSumW[0] = inv;
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  var num = 0.0;
  var den = 0.0;
  for (var n = lid; n < p.N; n += WG) {
    if (counted(n)) { num += losses[n]; den += 1.0; }
  }
  finish(lid, num, den);
}

@compute @workgroup_size(WG)
fn weighted(@builtin(local_invocation_index) lid: u32) {
  var num = 0.0;
  var den = 0.0;
  for (var n = lid; n < p.N; n += WG) {
    if (counted(n)) { num += weights[n] * losses[n]; den += weights[n]; }
  }
  finish(lid, num, den);
}
