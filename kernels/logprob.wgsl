// logprob: per-row log-probability of the target token and the row's entropy, in one pass over logits.
// For bound row r (global row n = rowBase + r), with x = logits[r, :] and t = targets[n]:
//   m = max_j x_j,  S = Σ_j exp(x_j − m),  A = Σ_j exp(x_j − m)·x_j   (online: S and A are rescaled when
//   the running max grows, so each logit is read once and ±1e4 logits stay exact)
//   logp[n] = x_t − m − log S   when 0 ≤ t < V; 0 otherwise (an ignored row, e.g. padding -1)
//   entropy[n] = m + log S − A / S   (−Σ p log p; written for every row, for PPO statistics)
// @binding(0) params: { V: u32, rows: u32, rowBase: u32 }   rows = rows bound in this dispatch
// @binding(1) logits: array<f32>, (rows, V) row-major: rows rowBase .. rowBase+rows-1 of the (N, V) logits
// @binding(2) targets: array<i32>, (N) token ids (read)
// @binding(3) logp: array<f32>, (N) log softmax(x)[t] (write)
// @binding(4) stats: array<vec2f>, (N) [m, log S], saved for logprob.backward (write)
// @binding(5) entropy: array<f32>, (N) (write)
// Workgroup WG (override, a power of two, default 256); one workgroup per row: dispatch
// (min(rows, 65535), ceil(rows / 65535)) workgroups, row r = wid.y * 65535 + wid.x.
struct Params { V: u32, rows: u32, rowBase: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<i32>;
@group(0) @binding(3) var<storage, read_write> logp: array<f32>;
@group(0) @binding(4) var<storage, read_write> stats: array<vec2f>;
@group(0) @binding(5) var<storage, read_write> entropy: array<f32>;

override WG: u32 = 256;
const LOWEST = -0x1.fffffep+127f; // the lowest finite f32
var<workgroup> wMax: array<f32, WG>;
var<workgroup> wSum: array<f32, WG>;
var<workgroup> wDot: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let r = wid.y * 65535u + wid.x;
  let row = min(r, p.rows - 1u) * p.V;
  var m = LOWEST;
  var s = 0.0;
  var a = 0.0;
  for (var j = lid; j < p.V; j += WG) {
    let x = logits[row + j];
    if (x > m) {
      let k = exp(m - x);
      s = s * k + 1.0;
      a = a * k + x;
      m = x;
    } else {
      let e = exp(x - m);
      s += e;
      a += e * x;
    }
  }
  wMax[lid] = m;
  wSum[lid] = s;
  wDot[lid] = a;
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    workgroupBarrier();
    if (lid < k) {
      let m2 = wMax[lid + k];
      let mm = max(m, m2);
      let k1 = exp(m - mm);
      let k2 = exp(m2 - mm);
      s = s * k1 + wSum[lid + k] * k2;
      a = a * k1 + wDot[lid + k] * k2;
      m = mm;
      wMax[lid] = m;
      wSum[lid] = s;
      wDot[lid] = a;
    }
  }
  if (lid == 0u && r < p.rows) {
    let n = p.rowBase + r;
    let t = targets[n];
    let logS = log(s);
    stats[n] = vec2f(m, logS);
    // m − A/S = −Σ p (x − m): a sum of non-negative terms, so no cancellation against the large m.
    entropy[n] = logS + (m * s - a) / s;
    var lp = 0.0;
    if (t >= 0 && u32(t) < p.V) { lp = (logits[row + u32(t)] - m) - logS; }
    logp[n] = lp;
  }
}
