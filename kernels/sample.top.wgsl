// sample.top: the N most likely tokens of each row with their log-probabilities, for `top_logprobs`.
// One workgroup of WG per row; invocation i owns the chunk [i·n, (i+1)·n) of the vocabulary, n = ceil(V / WG)
// (the sampler's WG, so both sum the softmax denominator in the same order: each chunk in index order,
// then the chunks in order).
//   logprob_j = logits_j − max − log Σ exp(logits − max): the model's own distribution, as the sampler's
//   logprob (before penalties, temperature and truncation).
//   Order: logit descending, then token index ascending on ties. Pass k (0 ≤ k < N) finds the largest
//   (logit, −index) strictly after pass k − 1's pick in that order, so N passes over the row give the
//   top N without sorting; N ≤ 20 keeps that cheap next to the decode step.
// The reductions are written out in the entry point, barriers included (on llvmpipe a barrier inside a
// helper function does not synchronise): each invocation publishes its chunk's result, and every
// invocation combines the WG results itself in lane order, as sample.wgsl does.
// @binding(0) params: { rows: u32, V: u32, N: u32 }   N ≤ V
// @binding(1) logits: array<f32>, (rows, V) row-major (read)
// @binding(2) out: array<u32>, (rows, N, 2): [token, logprob as f32 bits], most likely first (write)
// Override WG (the sampler's); dispatch (rows).
struct Params { rows: u32, V: u32, N: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;

override WG: u32 = 8u;
const NONE = 0xffffffffu;
var<workgroup> shf: array<f32, WG>;
var<workgroup> shu: array<u32, WG>;

// True when (va, ia) comes before (vb, ib): larger logit first, lower index on ties; NONE comes last.
fn before(va: f32, ia: u32, vb: f32, ib: u32) -> bool {
  if (ia == NONE) { return false; }
  if (ib == NONE) { return true; }
  return va > vb || (va == vb && ia < ib);
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid3: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let lid = lid3.x;
  let row = wid.x;
  let n = (p.V + WG - 1u) / WG;
  let j0 = min(lid * n, p.V);
  let j1 = min(j0 + n, p.V);
  let lrow = row * p.V;

  // Pass k = 0 finds the row's maximum, from which the normaliser follows; each pass ends with every
  // invocation holding the pick in prevV, prevI.
  var prevV = -3.0e38;
  var prevI = NONE;
  var m = 0.0;
  var logS = 0.0;
  for (var k = 0u; k < p.N; k++) {
    var bv = -3.0e38;
    var bi = NONE;
    for (var j = j0; j < j1; j++) {
      let v = logits[lrow + j];
      if ((k == 0u || before(prevV, prevI, v, j)) && before(v, j, bv, bi)) { bv = v; bi = j; }
    }
    shf[lid] = bv;
    shu[lid] = bi;
    workgroupBarrier();
    for (var i = 0u; i < WG; i++) {
      if (before(shf[i], shu[i], bv, bi)) { bv = shf[i]; bi = shu[i]; }
    }
    workgroupBarrier();
    prevI = bi;
    prevV = logits[lrow + bi];
    if (k == 0u) {
      // Same expression as the sampler's logprob, so the sampled token's entry matches it bit for bit.
      m = prevV;
      var sum = 0.0;
      for (var j = j0; j < j1; j++) { sum += exp(logits[lrow + j] - m); }
      shf[lid] = sum;
      workgroupBarrier();
      var all = 0.0;
      for (var i = 0u; i < WG; i++) { all += shf[i]; }
      workgroupBarrier();
      logS = log(all);
    }
    if (lid == 0u) {
      let o = (row * p.N + k) * 2u;
      out[o] = prevI;
      out[o + 1u] = bitcast<u32>(prevV - m - logS);
    }
  }
}
