// sample: picks each row's next token on the GPU and returns only (token, logprob) per row.
// One workgroup of WG per row; invocation i owns the contiguous chunk [i·n, (i+1)·n) of the vocabulary,
// n = ceil(V / WG), so the final prefix-sum walk visits tokens in index order. The host sizes WG to the
// vocabulary (a few tokens per invocation): on llvmpipe each barrier and serial loop over WG costs more
// than a pass over a chunk.
//   z_j  = logit_j − frequency·count_j − presence·[count_j > 0]   (counts: tokens this sequence generated)
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
//   truncation (what scorePrompt returns for the same position).
// The chosen token's count is then incremented, ready for the next step.
// @binding(0) params: { rows: u32, V: u32 }
// @binding(1) logits: array<f32>, (rows, V) row-major (read)
// @binding(2) cfg: array<u32>, (rows, 8): [slot, seed, step, topK (0 = off), temperature, topP,
//             presence, frequency] with the last four f32 bit patterns (read)
// @binding(3) counts: array<u32>, (slots, V) generated-token counts per cache slot (read-write)
// @binding(4) out: array<u32>, (rows, 2): [token, logprob as f32 bits] (write)
// Override WG (a power of two); dispatch (rows).
struct Params { rows: u32, V: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> cfg: array<u32>;
@group(0) @binding(3) var<storage, read_write> counts: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<u32>;

override WG: u32 = 256u;
var<workgroup> shf: array<f32, WG>;
var<workgroup> shu: array<u32, WG>;
var<workgroup> chosen: u32;
var<workgroup> picked: u32;

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

fn maxAll(lid: u32, v: f32) -> f32 {
  shf[lid] = v;
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    workgroupBarrier();
    if (lid < s) { shf[lid] = max(shf[lid], shf[lid + s]); }
  }
  workgroupBarrier();
  let r = shf[0];
  workgroupBarrier();
  return r;
}

fn countAll(lid: u32, v: u32) -> u32 {
  shu[lid] = v;
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    workgroupBarrier();
    if (lid < s) { shu[lid] += shu[lid + s]; }
  }
  workgroupBarrier();
  let r = shu[0];
  workgroupBarrier();
  return r;
}

fn minAll(lid: u32, v: u32) -> u32 {
  shu[lid] = v;
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    workgroupBarrier();
    if (lid < s) { shu[lid] = min(shu[lid], shu[lid + s]); }
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
  let c = row * 8u;
  let slot = cfg[c];
  let topK = cfg[c + 3u];
  let temperature = bitcast<f32>(cfg[c + 4u]);
  let topP = bitcast<f32>(cfg[c + 5u]);
  let presence = bitcast<f32>(cfg[c + 6u]);
  let frequency = bitcast<f32>(cfg[c + 7u]);
  let n = (p.V + WG - 1u) / WG;
  let j0 = min(lid * n, p.V);
  let j1 = min(j0 + n, p.V);
  let lrow = row * p.V;
  let crow = slot * p.V;

  // Raw max (for the logprob) and penalised max.
  var rawMax = -3.0e38;
  var zMax = -3.0e38;
  for (var j = j0; j < j1; j++) {
    let cnt = counts[crow + j];
    let raw = logits[lrow + j];
    rawMax = max(rawMax, raw);
    zMax = max(zMax, raw - frequency * f32(cnt) - select(0.0, presence, cnt > 0u));
  }
  rawMax = maxAll(lid, rawMax);
  zMax = maxAll(lid, zMax);
  var rawSum = 0.0;
  var best = 0xffffffffu;
  for (var j = j0; j < j1; j++) {
    let cnt = counts[crow + j];
    let raw = logits[lrow + j];
    rawSum += exp(raw - rawMax);
    let z = raw - frequency * f32(cnt) - select(0.0, presence, cnt > 0u);
    if (z == zMax && best == 0xffffffffu) { best = j; }
  }
  rawSum = sumAll(lid, rawSum);
  best = minAll(lid, best);

  if (temperature > 0.0) {
    // θ_k as a key; 0 keeps everything.
    var thk = 0u;
    if (topK > 0u && topK < p.V) {
      for (var bit = 31; bit >= 0; bit--) {
        let cand = thk | (1u << u32(bit));
        var cnt = 0u;
        for (var j = j0; j < j1; j++) {
          let cj = counts[crow + j];
          let z = logits[lrow + j] - frequency * f32(cj) - select(0.0, presence, cj > 0u);
          cnt += select(0u, 1u, key(z) >= cand);
        }
        if (countAll(lid, cnt) >= topK) { thk = cand; }
      }
    }
    var total = 0.0;
    for (var j = j0; j < j1; j++) {
      let cj = counts[crow + j];
      let z = logits[lrow + j] - frequency * f32(cj) - select(0.0, presence, cj > 0u);
      if (key(z) >= thk) { total += exp((z - zMax) / temperature); }
    }
    total = sumAll(lid, total);
    var th = thk;
    if (topP < 1.0) {
      var thp = 0u;
      for (var bit = 31; bit >= 0; bit--) {
        let cand = thp | (1u << u32(bit));
        let t = max(cand, thk);
        var mass = 0.0;
        for (var j = j0; j < j1; j++) {
          let cj = counts[crow + j];
          let z = logits[lrow + j] - frequency * f32(cj) - select(0.0, presence, cj > 0u);
          if (key(z) >= t) { mass += exp((z - zMax) / temperature); }
        }
        if (sumAll(lid, mass) >= topP * total) { thp = cand; }
      }
      th = max(thk, thp);
    }
    // Each invocation's kept mass, then an inclusive scan over the invocations.
    var part = 0.0;
    for (var j = j0; j < j1; j++) {
      let cj = counts[crow + j];
      let z = logits[lrow + j] - frequency * f32(cj) - select(0.0, presence, cj > 0u);
      if (key(z) >= th) { part += exp((z - zMax) / temperature); }
    }
    shf[lid] = part;
    workgroupBarrier();
    // WG serial adds: cheap next to the passes over V, and exact prefix order.
    if (lid == 0u) {
      for (var i = 1u; i < WG; i++) { shf[i] += shf[i - 1u]; }
    }
    workgroupBarrier();
    let u = f32(pcg(cfg[c + 1u] ^ pcg(cfg[c + 2u])) >> 8u) / 16777216.0;
    let goal = u * shf[WG - 1u];
    if (lid == 0u) {
      // The first invocation whose inclusive prefix passes the goal; rounding can leave the goal at
      // the total, so fall back to the last invocation holding any mass.
      var pick = WG;
      var last = 0u;
      var prev = 0.0;
      for (var i = 0u; i < WG; i++) {
        if (shf[i] > prev) {
          last = i;
          if (pick == WG && shf[i] > goal) { pick = i; }
        }
        prev = shf[i];
      }
      chosen = select(pick, last, pick == WG);
    }
    workgroupBarrier();
    if (lid == chosen) {
      var cum = select(0.0, shf[max(lid, 1u) - 1u], lid > 0u);
      var tok = j0;
      for (var j = j0; j < j1; j++) {
        let cj = counts[crow + j];
        let z = logits[lrow + j] - frequency * f32(cj) - select(0.0, presence, cj > 0u);
        if (key(z) >= th) {
          cum += exp((z - zMax) / temperature);
          tok = j;
          if (cum > goal) { break; }
        }
      }
      picked = tok;
    }
    workgroupBarrier();
    best = picked;
  }
  if (lid == 0u) {
    out[row * 2u] = best;
    out[row * 2u + 1u] = bitcast<u32>(logits[lrow + best] - rawMax - log(rawSum));
    counts[crow + best] += 1u;
  }
}
