// layernorm.backward: gradients of out = xhat · w + b with xhat = (x − mean) · rstd, in two dispatches.
// Entry `main`: workgroup g owns rows g, g + G, g + 2G, ... For each row it computes, with dn = dout · w,
//   dx = rstd · (dn − mean_c(dn) − xhat · mean_c(dn · xhat))
// (two workgroup sums per row), and adds dout · xhat and dout into its own slice of `partial`, which
// only this invocation touches, so no atomics and a fixed summation order.
// Entry `finish`: dw[c] = Σ_g partial[g, 0, c] and db[c] = Σ_g partial[g, 1, c], in g order.
// Bindings of `main`:
// @binding(0) params: { rows: u32, C: u32, G: u32 }   rows = N (or B·T), G = workgroups of `main`
// @binding(1) x: array<E>, (rows, C) row-major, the forward input (read)
// @binding(2) w: array<E>, (C) (read)
// @binding(3) mean: array<f32>, (rows), saved by the forward (read)
// @binding(4) rstd: array<f32>, (rows), saved by the forward (read)
// @binding(5) dout: array<E>, (rows, C), d(loss)/d(out) (read)
// @binding(6) dx: array<E>, (rows, C), d(loss)/d(x) (write)
// @binding(7) partial: array<E>, (G, 2, C): per-workgroup Σ dout · xhat, then Σ dout (write)
// Defines E, VEC and TOTAL as in layernorm.wgsl.
// Workgroup WG (override, a power of two: 8 on CPU adapters, 64, 128 or 256 on GPUs); dispatch G ≤ 65535 workgroups along x.
// Bindings of `finish` (a separate interface: the same binding numbers name other buffers):
// @binding(0) params: { rows: u32, C: u32, G: u32 }
// @binding(1) partialIn: array<f32>, (G, 2, C), `partial` of `main` (read)
// @binding(2) dw: array<f32>, (C) (write)
// @binding(3) db: array<f32>, (C) (write)
// Workgroup 64, one column per invocation; dispatch ceil(C / 64) workgroups along x.
alias E = {{E}};
const VEC = {{VEC}}u;
struct Params { rows: u32, C: u32, G: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<E>;
@group(0) @binding(2) var<storage, read> w: array<E>;
@group(0) @binding(3) var<storage, read> mean: array<f32>;
@group(0) @binding(4) var<storage, read> rstd: array<f32>;
@group(0) @binding(5) var<storage, read> dout: array<E>;
@group(0) @binding(6) var<storage, read_write> dx: array<E>;
@group(0) @binding(7) var<storage, read_write> partial: array<E>;

override WG: u32 = 256;
var<workgroup> red: array<vec2f, WG>;

fn total(v: E) -> f32 {
  {{TOTAL}}
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u) {
  let g = wid.x;
  let CE = p.C / VEC;  // row length in E
  let dwBase = g * 2u * CE;
  let dbBase = dwBase + CE;
  for (var c = lid; c < CE; c += WG) {
    partial[dwBase + c] = E(0.0);
    partial[dbBase + c] = E(0.0);
  }
  for (var row = g; row < p.rows; row += p.G) {
    let base = row * CE;
    let m = mean[row];
    let rs = rstd[row];
    var s = vec2f(0.0);
    for (var c = lid; c < CE; c += WG) {
      let dn = dout[base + c] * w[c];
      s += vec2f(total(dn), total(dn * (x[base + c] - m) * rs));
    }
    // The workgroup sum is inline: barriers inside a helper function failed to synchronise on llvmpipe.
    red[lid] = s;
    workgroupBarrier();
    for (var k = WG / 2u; k > 0u; k >>= 1u) {
      if (lid < k) { red[lid] += red[lid + k]; }
      workgroupBarrier();
    }
    let means = red[0] / f32(p.C);
    workgroupBarrier(); // everyone has read red[0] before the next row overwrites it
    for (var c = lid; c < CE; c += WG) {
      let dy = dout[base + c];
      let xhat = (x[base + c] - m) * rs;
      dx[base + c] = rs * (dy * w[c] - means.x - xhat * means.y);
      partial[dwBase + c] += dy * xhat;
      partial[dbBase + c] += dy;
    }
  }
}

@group(0) @binding(1) var<storage, read> partialIn: array<f32>;
@group(0) @binding(2) var<storage, read_write> dw: array<f32>;
@group(0) @binding(3) var<storage, read_write> db: array<f32>;

@compute @workgroup_size(64)
fn finish(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  if (c >= p.C) { return; }
  var sw = 0.0;
  var sb = 0.0;
  for (var g = 0u; g < p.G; g++) {
    sw += partialIn[g * 2u * p.C + c];
    sb += partialIn[g * 2u * p.C + p.C + c];
  }
  dw[c] = sw;
  db[c] = sb;
}
