// sample: picks each row's next token on the GPU and returns only (token, logprob) per row.
// One workgroup of WG per row; invocation i owns the contiguous chunk [i·n, (i+1)·n) of the vocabulary,
// n = ceil(V / WG), so the final prefix-sum walk visits tokens in index order.
//   z_j  = logit_j − frequency·count_j − presence·[count_j > 0]   (counts: tokens this sequence generated;
//          not read at all when both penalties are 0)
//   temperature 0: token = argmax_j z_j (lowest index on ties).
//   otherwise w_j = exp((z_j − max z) / temperature) over the allowed set, token ~ w / Σ w, where
//   allowed = { j : z_j ≥ θ }, θ = max(θ_k, θ_p):
//     θ_k: the k-th largest z, found exactly by building its order-preserving u32 key bit by bit
//          (32 passes, each counting keys ≥ the candidate); ties with it are all kept.
//     θ_p: likewise the largest threshold whose kept mass Σ_{z_j ≥ θ_p, z_j ≥ θ_k} w_j reaches top_p·Σ w
//          (the smallest nucleus), 32 passes of sums.
//   The uniform draw is u = hash(seed, step) ∈ [0, 1) (PCG hash, 24 bits), so a sequence's tokens depend
//   on its seed and position only, never on the batch it ran in.
//   logprob = log softmax(logits)[token]: the model's own distribution, before penalties, temperature and
//   truncation (what scorePrompt returns for the same position). Its denominator is summed exactly as
//   sample.top.wgsl sums it (each chunk in index order, then the chunks in order), so the two agree bit
//   for bit.
// The chosen token's count is then incremented, ready for the next step.
// Each workgroup-wide reduction is written out in the entry point, barriers included: on llvmpipe a
// barrier inside a helper function does not synchronise. Every invocation combines the WG partial results
// itself, in lane order (loads at the same address for all lanes, one barrier to publish them, one before
// the buffer is reused), so all get the same value without a broadcast. The host picks WG: on llvmpipe one
// SIMD group (8), since a workgroup runs on one thread anyway and each barrier switches between its groups.
// @binding(0) params: { rows: u32, V: u32 }
// @binding(1) logits: array<f32>, (rows, V) row-major (read)
// @binding(2) cfg: array<u32>, (rows, 8): [slot, seed, step, topK (0 = off), temperature, topP,
//             presence, frequency] with the last four f32 bit patterns (read)
// @binding(3) counts: array<u32>, (slots, V) generated-token counts per cache slot (read-write)
// @binding(4) out: array<u32>, (rows, 2): [token, logprob as f32 bits] (write)
// Override WG; dispatch (rows).
struct Params { rows: u32, V: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> cfg: array<u32>;
@group(0) @binding(3) var<storage, read_write> counts: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<u32>;

override WG: u32 = 8u;
var<workgroup> sha: array<f32, WG>;
var<workgroup> shb: array<f32, WG>;
var<workgroup> shu: array<u32, WG>;

fn pcg(v: u32) -> u32 {
  let s = v * 747796405u + 2891336453u;
  let w = ((s >> ((s >> 28u) + 4u)) ^ s) * 277803737u;
  return (w >> 22u) ^ w;
}

// Maps f32 to u32 so that a < b ⇔ key(a) < key(b).
fn key(f: f32) -> u32 {
  let u = bitcast<u32>(f);
  return select(u | 0x80000000u, ~u, (u & 0x80000000u) != 0u);
}

// z_j for logit `raw` of token j in the counts row starting at `crow`.
fn penalise(raw: f32, j: u32, crow: u32, penalised: bool, presence: f32, frequency: f32) -> f32 {
  if (!penalised) { return raw; }
  let cnt = counts[crow + j];
  return raw - frequency * f32(cnt) - select(0.0, presence, cnt > 0u);
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid3: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let lid = lid3.x;
  let row = wid.x;
  let c = row * 8u;
  let slot = cfg[c];
  let topK = cfg[c + 3u];
  let temperature = bitcast<f32>(cfg[c + 4u]);
  let topP = bitcast<f32>(cfg[c + 5u]);
  let presence = bitcast<f32>(cfg[c + 6u]);
  let frequency = bitcast<f32>(cfg[c + 7u]);
  let penalised = presence != 0.0 || frequency != 0.0;
  let n = (p.V + WG - 1u) / WG;
  let j0 = min(lid * n, p.V);
  let j1 = min(j0 + n, p.V);
  let lrow = row * p.V;
  let crow = slot * p.V;

  // Raw max (for the logprob), penalised max, and the chunk's first index holding the latter.
  var rawMax = -3.0e38;
  var zMax = -3.0e38;
  var best = 0xffffffffu;
  for (var j = j0; j < j1; j++) {
    let raw = logits[lrow + j];
    let z = penalise(raw, j, crow, penalised, presence, frequency);
    rawMax = max(rawMax, raw);
    if (z > zMax) { zMax = z; best = j; }
  }
  sha[lid] = rawMax;
  shb[lid] = zMax;
  shu[lid] = best;
  workgroupBarrier();
  // The lowest index on ties: the first chunk (in order) whose maximum is the row's.
  for (var i = 0u; i < WG; i++) { rawMax = max(rawMax, sha[i]); zMax = max(zMax, shb[i]); }
  for (var i = WG; i > 0u; i--) { if (shb[i - 1u] == zMax) { best = shu[i - 1u]; } }
  workgroupBarrier();

  // θ_k as a key; 0 keeps everything.
  var thk = 0u;
  if (temperature > 0.0 && topK > 0u && topK < p.V) {
    for (var bit = 31; bit >= 0; bit--) {
      let cand = thk | (1u << u32(bit));
      var cnt = 0u;
      for (var j = j0; j < j1; j++) {
        let z = penalise(logits[lrow + j], j, crow, penalised, presence, frequency);
        cnt += select(0u, 1u, key(z) >= cand);
      }
      shu[lid] = cnt;
      workgroupBarrier();
      var all = 0u;
      for (var i = 0u; i < WG; i++) { all += shu[i]; }
      workgroupBarrier();
      if (all >= topK) { thk = cand; }
    }
  }
  // The softmax denominator and, when sampling, the chunk's mass above θ_k.
  var rawSum = 0.0;
  var total = 0.0;
  for (var j = j0; j < j1; j++) {
    let raw = logits[lrow + j];
    rawSum += exp(raw - rawMax);
    if (temperature > 0.0) {
      let z = penalise(raw, j, crow, penalised, presence, frequency);
      if (key(z) >= thk) { total += exp((z - zMax) / temperature); }
    }
  }
  var part = total;
  sha[lid] = rawSum;
  shb[lid] = total;
  workgroupBarrier();
  rawSum = 0.0;
  total = 0.0;
  for (var i = 0u; i < WG; i++) { rawSum += sha[i]; total += shb[i]; }
  workgroupBarrier();
  let logS = log(rawSum);

  if (temperature == 0.0) {
    if (lid == 0u) {
      out[row * 2u] = best;
      out[row * 2u + 1u] = bitcast<u32>(logits[lrow + best] - rawMax - logS);
      counts[crow + best] += 1u;
    }
    return;
  }
  var th = thk;
  if (topP < 1.0) {
    var thp = 0u;
    for (var bit = 31; bit >= 0; bit--) {
      let cand = thp | (1u << u32(bit));
      let t = max(cand, thk);
      var mass = 0.0;
      for (var j = j0; j < j1; j++) {
        let z = penalise(logits[lrow + j], j, crow, penalised, presence, frequency);
        if (key(z) >= t) { mass += exp((z - zMax) / temperature); }
      }
      sha[lid] = mass;
      workgroupBarrier();
      var all = 0.0;
      for (var i = 0u; i < WG; i++) { all += sha[i]; }
      workgroupBarrier();
      if (all >= topP * total) { thp = cand; }
    }
    th = max(thk, thp);
    // The chunk's kept mass above the final threshold.
    if (th != thk) {
      part = 0.0;
      for (var j = j0; j < j1; j++) {
        let z = penalise(logits[lrow + j], j, crow, penalised, presence, frequency);
        if (key(z) >= th) { part += exp((z - zMax) / temperature); }
      }
    }
  }
  // Inclusive prefix sums of the chunks' masses, in lane order; every invocation walks them and finds the
  // chosen chunk: the first whose prefix passes the goal (rounding can leave the goal at the total, so
  // the last chunk holding any mass otherwise).
  sha[lid] = part;
  workgroupBarrier();
  let u = f32(pcg(cfg[c + 1u] ^ pcg(cfg[c + 2u])) >> 8u) / 16777216.0;
  var cum = 0.0;
  for (var i = 0u; i < WG; i++) { cum += sha[i]; }
  let goal = u * cum;
  var pick = WG;
  var last = 0u;
  var prev = 0.0;
  var before = 0.0;
  var lastBefore = 0.0;
  cum = 0.0;
  for (var i = 0u; i < WG; i++) {
    let next = cum + sha[i];
    if (next > prev) {
      last = i;
      lastBefore = cum;
      if (pick == WG && next > goal) { pick = i; before = cum; }
    }
    prev = next;
    cum = next;
  }
  if (pick == WG) { pick = last; before = lastBefore; }
  if (lid == pick) {
    var acc = before;
    var tok = j0;
    for (var j = j0; j < j1; j++) {
      let z = penalise(logits[lrow + j], j, crow, penalised, presence, frequency);
      if (key(z) >= th) {
        acc += exp((z - zMax) / temperature);
        tok = j;
        if (acc > goal) { break; }
      }
    }
    out[row * 2u] = tok;
    out[row * 2u + 1u] = bitcast<u32>(logits[lrow + tok] - rawMax - logS);
    counts[crow + tok] += 1u;
  }
}
