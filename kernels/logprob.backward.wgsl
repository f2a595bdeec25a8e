// logprob.backward: d/d logits of logp[n] = log softmax(x_n)[t_n], given g = d loss / d logp (N):
//   dlogits[r, j] = g[n] · ([j = t_n] − exp(x_j − m_n − logS_n))
// and 0 for ignored rows (t_n outside [0, V)).
// @binding(0) params: { V: u32, rows: u32, rowBase: u32 }   rows = rows bound in this dispatch
// @binding(1) logits: array<f32>, (rows, V) row-major: rows rowBase .. rowBase+rows-1 of (N, V) (read)
// @binding(2) targets: array<i32>, (N) (read)
// @binding(3) stats: array<vec2f>, (N) [m_n, logS_n] from the logprob kernel (read)
// @binding(4) dLogp: array<f32>, (N) the gradient of the loss with respect to logp (read)
// @binding(5) dlogits: array<f32>, (rows, V) row-major, same rows as logits (write)
// Workgroup WG (override, default 256); one workgroup per row: dispatch (min(rows, 65535),
// ceil(rows / 65535)) workgroups, row r = wid.y * 65535 + wid.x.
struct Params { V: u32, rows: u32, rowBase: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<i32>;
@group(0) @binding(3) var<storage, read> stats: array<vec2f>;
@group(0) @binding(4) var<storage, read> dLogp: array<f32>;
@group(0) @binding(5) var<storage, read_write> dlogits: array<f32>;

override WG: u32 = 256;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let r = wid.y * 65535u + wid.x;
  if (r >= p.rows) { return; }
  let n = p.rowBase + r;
  let t = targets[n];
  let counted = t >= 0 && u32(t) < p.V;
  let g = select(0.0, dLogp[n], counted);
  let st = stats[n];
  let row = r * p.V;
  for (var j = lid; j < p.V; j += WG) {
    let prob = exp((logits[row + j] - st.x) - st.y);
    let hit = select(0.0, 1.0, counted && j == u32(t));
    dlogits[row + j] = (hit - prob) * g;
  }
}
