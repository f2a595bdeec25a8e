// sample.top: the N most likely tokens of each row with their log-probabilities, for `top_logprobs`.
// One workgroup of WG per row; invocation i owns the chunk [i·n, (i+1)·n) of the vocabulary, n = ceil(V / WG)
// (the sampler's WG, so both sum the softmax denominator in the same order).
//   logprob_j = logits_j − max − log Σ exp(logits − max): the model's own distribution, as the sampler's
//   logprob (before penalties, temperature and truncation).
//   Order: logit descending, then token index ascending on ties. Pass k (0 ≤ k < N) finds the largest
//   (logit, −index) strictly after pass k − 1's pick in that order, so N passes over the row give the
//   top N without sorting; N ≤ 20 keeps that cheap next to the decode step.
// @binding(0) params: { rows: u32, V: u32, N: u32 }   N ≤ V
// @binding(1) logits: array<f32>, (rows, V) row-major (read)
// @binding(2) out: array<u32>, (rows, N, 2): [token, logprob as f32 bits], most likely first (write)
// Override WG (a power of two, the sampler's); dispatch (rows).
struct Params { rows: u32, V: u32, N: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;

override WG: u32 = 256u;
const NONE = 0xffffffffu;
var<workgroup> shf: array<f32, WG>;
var<workgroup> shu: array<u32, WG>;

fn sumAll(lid: u32, v: f32) -> f32 {
  shf[lid] = v;
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    workgroupBarrier();
    if (lid < s) { shf[lid] += shf[lid + s]; }
  }
  workgroupBarrier();
  let r = shf[0];
  workgroupBarrier();
  return r;
}

// True when (va, ia) comes before (vb, ib): larger logit first, lower index on ties; NONE comes last.
fn before(va: f32, ia: u32, vb: f32, ib: u32) -> bool {
  if (ia == NONE) { return false; }
  if (ib == NONE) { return true; }
  return va > vb || (va == vb && ia < ib);
}

// The first (value, index) of the workgroup in that order, left in shf[0], shu[0].
fn firstAll(lid: u32, v: f32, i: u32) -> u32 {
  shf[lid] = v;
  shu[lid] = i;
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    workgroupBarrier();
    if (lid < s && before(shf[lid + s], shu[lid + s], shf[lid], shu[lid])) {
      shf[lid] = shf[lid + s];
      shu[lid] = shu[lid + s];
    }
  }
  workgroupBarrier();
  let r = shu[0];
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid3: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let lid = lid3.x;
  let row = wid.x;
  let n = (p.V + WG - 1u) / WG;
  let j0 = min(lid * n, p.V);
  let j1 = min(j0 + n, p.V);
  let lrow = row * p.V;

  // The row's maximum is the first pick; the normaliser follows from it.
  var bv = -3.0e38;
  var bi = NONE;
  for (var j = j0; j < j1; j++) {
    if (before(logits[lrow + j], j, bv, bi)) { bv = logits[lrow + j]; bi = j; }
  }
  var prevI = firstAll(lid, bv, bi);
  var prevV = logits[lrow + prevI];
  var sum = 0.0;
  for (var j = j0; j < j1; j++) { sum += exp(logits[lrow + j] - prevV); }
  // Same expression as the sampler's logprob, so the sampled token's entry matches it bit for bit.
  let m = prevV;
  let logS = log(sumAll(lid, sum));
  if (lid == 0u) {
    out[row * p.N * 2u] = prevI;
    out[row * p.N * 2u + 1u] = bitcast<u32>(prevV - m - logS);
  }

  for (var k = 1u; k < p.N; k++) {
    bv = -3.0e38;
    bi = NONE;
    for (var j = j0; j < j1; j++) {
      let v = logits[lrow + j];
      if (before(prevV, prevI, v, j) && before(v, j, bv, bi)) { bv = v; bi = j; }
    }
    prevI = firstAll(lid, bv, bi);
    prevV = logits[lrow + prevI];
    if (lid == 0u) {
      let o = (row * p.N + k) * 2u;
      out[o] = prevI;
      out[o + 1u] = bitcast<u32>(prevV - m - logS);
    }
  }
}
