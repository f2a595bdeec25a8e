// crossentropy: per-row log-softmax statistics and loss, in one pass over each row of logits.
// For bound row r (global row n = rowBase + r), with x = logits[r, :] and t = targets[n]:
//   max_n = max_j x_j,  logS_n = log Σ_j exp(x_j − max_n)   (online: the running sum is rescaled when
//   the running max grows, so each logit is read once)
//   losses[n] = (max_n − x_t) + logS_n   when 0 ≤ t < V; 0 otherwise (an ignored row, e.g. padding -1)
// @binding(0) params: { V: u32, rows: u32, rowBase: u32 }   rows = rows bound in this dispatch
// @binding(1) logits: array<f32>, (rows, V) row-major: rows rowBase .. rowBase+rows-1 of the (N, V) logits
// @binding(2) targets: array<i32>, (N) token ids (read)
// @binding(3) losses: array<f32>, (N) per-row loss (write)
// @binding(4) stats: array<vec2f>, (N) [max_n, logS_n], saved for crossentropy.backward (write)
// Workgroup WG (override, a power of two, default 256); one workgroup per row: dispatch
// (min(rows, 65535), ceil(rows / 65535)) workgroups, row r = wid.y * 65535 + wid.x.
struct Params { V: u32, rows: u32, rowBase: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<i32>;
@group(0) @binding(3) var<storage, read_write> losses: array<f32>;
@group(0) @binding(4) var<storage, read_write> stats: array<vec2f>;

override WG: u32 = 256;
const LOWEST = -0x1.fffffep+127f; // the lowest finite f32
var<workgroup> wMax: array<f32, WG>;
var<workgroup> wSum: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let r = wid.y * 65535u + wid.x;
  let row = min(r, p.rows - 1u) * p.V;
  var m = LOWEST;
  var s = 0.0;
  for (var j = lid; j < p.V; j += WG) {
    let x = logits[row + j];
    if (x > m) { s = s * exp(m - x) + 1.0; m = x; } else { s += exp(x - m); }
  }
  wMax[lid] = m;
  wSum[lid] = s;
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    workgroupBarrier();
    if (lid < k) {
      let m2 = wMax[lid + k];
      let mm = max(m, m2);
      s = s * exp(m - mm) + wSum[lid + k] * exp(m2 - mm);
      m = mm;
      wMax[lid] = m;
      wSum[lid] = s;
    }
  }
  if (lid == 0u && r < p.rows) {
    let n = p.rowBase + r;
    let t = targets[n];
    let logS = log(s);
    stats[n] = vec2f(m, logS);
    var loss = 0.0;
    if (t >= 0 && u32(t) < p.V) { loss = (m - logits[row + u32(t)]) + logS; }
    losses[n] = loss;
  }
}
