// attention.backward: fused causal self-attention backward, flash-attention style: P = exp(S - L) is
// recomputed block by block from q, k and the forward's logsumexp L, never stored. Per head, with
// S_ij = scale · q_i·k_j (j ≤ i), P_ij = exp(S_ij - L_i), D_i = dy_i · y_i (= Σ_j P_ij dP_ij):
//   dv_j = Σ_{i ≥ j} P_ij dy_i      dP_ij = dy_i · v_j      dS_ij = P_ij (dP_ij - D_i)
//   dq_i = scale · Σ_{j ≤ i} dS_ij k_j                    dk_j = scale · Σ_{i ≥ j} dS_ij q_i
// Two roles in one dispatch, so there are no float atomics and the result is deterministic: z = 0
// workgroups own a block of query rows and sweep the key blocks ≤ it (dq); z = 1 workgroups own a block
// of key rows and sweep the query blocks ≥ it (dk, dv). Each role computes the D it needs from dy and y
// itself, which costs HS multiply-adds per row and saves a separate pre-pass dispatch.
// On llvmpipe (CPU adapters) the op runs attention.backward.rows.wgsl for heads of up to 64 channels: this
// layout loads every k/v row once per row of its workgroup, and llvmpipe pays ~50 multiply-adds per load
// (B=16 T=128 C=128 NH=4 forward+backward: 395 ms here vs 55 ms there, same run, load 6.3).
// @binding(0) params: { B, T, C, NH, hsv: u32, scale: f32 }   hsv = HSV, scale = 1 / sqrt(HS)
// @binding(1) qkv:  array<f32>, (B, T, 3C) row-major, read (layout as in attention.wgsl)
// @binding(2) y:    array<f32>, (B, T, C) row-major, read: the forward output
// @binding(3) dy:   array<f32>, (B, T, C) row-major, read: d loss / d y
// @binding(4) lse:  array<f32>, (B, NH, T) row-major, read: the forward's logsumexp L
// @binding(5) dqkv: array<f32>, (B, T, 3C) row-major, written in full: dq in [.., 0:C], dk, dv after.
// Defines: HS, HSV = ceil(HS / 4), NV (as in attention.wgsl). Override: BLK = rows per block = workgroup size; workgroup memory is
//   (2·BLK·HSV·4 + 2·BLK) f32s, sized by the host to the device limit.
// Dispatch (ceil(T / BLK), B·NH, 2): workgroup (x, y, z) handles rows x·BLK .. x·BLK + BLK - 1 of head
//   y % NH in batch y / NH, in role z; one invocation per row.
struct Params { B: u32, T: u32, C: u32, NH: u32, hsv: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> qkv: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read> lse: array<f32>;
@group(0) @binding(5) var<storage, read_write> dqkv: array<f32>;

const HS: u32 = {{HS}}u;
const HSV: u32 = {{HSV}}u;
// Bound of the loops over a row's vec4s: HSV (unrolled at compile time: fastest, but llvmpipe takes tens of
// seconds to compile it for large HS) or p.hsv (a runtime loop), as the host chooses.
fn rowVec4s() -> u32 { return {{NV}}; }
override BLK: u32 = 32u;

// The dq role keeps a key block in tileA and its values in tileB; the dk/dv role a query block and its dy.
var<workgroup> tileA: array<vec4f, BLK * HSV>;
var<workgroup> tileB: array<vec4f, BLK * HSV>;
var<workgroup> rowL: array<f32, BLK>;  // dk/dv role: L of the block's query rows
var<workgroup> rowD: array<f32, BLK>;  // dk/dv role: D of the block's query rows

fn loadQkv(base: u32, d4: u32) -> vec4f {
  var r = vec4f(0.0);
  for (var c = 0u; c < 4u; c++) {
    if (d4 * 4u + c < HS) { r[c] = qkv[base + d4 * 4u + c]; }
  }
  return r;
}

// D = dy · y of the (B, T, C) row starting at `base`.
fn rowDelta(base: u32) -> f32 {
  var s = 0.0;
  for (var d = 0u; d < HS; d++) { s += dy[base + d] * y[base + d]; }
  return s;
}

fn loadDy(base: u32, d4: u32) -> vec4f {
  var r = vec4f(0.0);
  for (var c = 0u; c < 4u; c++) {
    if (d4 * 4u + c < HS) { r[c] = dy[base + d4 * 4u + c]; }
  }
  return r;
}

fn store4(base: u32, d4: u32, v: vec4f) {
  for (var c = 0u; c < 4u; c++) {
    if (d4 * 4u + c < HS) { dqkv[base + d4 * 4u + c] = v[c]; }
  }
}

struct Head { bh: u32, qkv0: u32, y0: u32, C3: u32 }

// dq for query rows r0 .. r0 + BLK - 1 (this invocation: row i).
fn dqRole(hd: Head, r0: u32, lid: u32) {
  let nv = rowVec4s();
  let i = r0 + lid;
  let iRead = min(i, p.T - 1u);  // rows past T join the barriers and write nothing
  var q: array<vec4f, HSV>;
  var g: array<vec4f, HSV>;  // dy_i
  var dq: array<vec4f, HSV>;
  for (var d = 0u; d < nv; d++) {
    q[d] = loadQkv(hd.qkv0 + iRead * hd.C3, d) * p.scale;
    g[d] = loadDy(hd.y0 + iRead * p.C, d);
    dq[d] = vec4f(0.0);
  }
  let Di = rowDelta(hd.y0 + iRead * p.C);
  let Li = lse[hd.bh * p.T + iRead];

  let kEnd = min(p.T, r0 + BLK);
  for (var k0 = 0u; k0 < kEnd; k0 += BLK) {
    for (var e = lid; e < BLK * HSV; e += BLK) {
      let j = min(k0 + e / HSV, p.T - 1u);
      tileA[e] = loadQkv(hd.qkv0 + j * hd.C3 + p.C, e % HSV);
      tileB[e] = loadQkv(hd.qkv0 + j * hd.C3 + 2u * p.C, e % HSV);
    }
    workgroupBarrier();
    let n = min(BLK, kEnd - k0);
    for (var j = 0u; j < n; j++) {
      var s = 0.0;
      var dP = 0.0;
      for (var d = 0u; d < nv; d++) {
        s += dot(q[d], tileA[j * HSV + d]);
        dP += dot(g[d], tileB[j * HSV + d]);
      }
      let pij = select(0.0, exp(s - Li), k0 + j <= i);
      let dS = pij * (dP - Di);
      for (var d = 0u; d < nv; d++) { dq[d] += dS * tileA[j * HSV + d]; }
    }
    workgroupBarrier();
  }
  if (i < p.T) {
    for (var d = 0u; d < nv; d++) { store4(hd.qkv0 + i * hd.C3, d, dq[d] * p.scale); }
  }
}

// dk, dv for key rows r0 .. r0 + BLK - 1 (this invocation: row j).
fn dkvRole(hd: Head, r0: u32, lid: u32) {
  let nv = rowVec4s();
  let j = r0 + lid;
  let jRead = min(j, p.T - 1u);
  var k: array<vec4f, HSV>;
  var v: array<vec4f, HSV>;
  var dk: array<vec4f, HSV>;
  var dv: array<vec4f, HSV>;
  for (var d = 0u; d < nv; d++) {
    k[d] = loadQkv(hd.qkv0 + jRead * hd.C3 + p.C, d) * p.scale;
    v[d] = loadQkv(hd.qkv0 + jRead * hd.C3 + 2u * p.C, d);
    dk[d] = vec4f(0.0);
    dv[d] = vec4f(0.0);
  }

  // Query blocks start at r0: blocks of both roles share BLK, so this is the block holding row j.
  for (var i0 = r0; i0 < p.T; i0 += BLK) {
    let iRead = min(i0 + lid, p.T - 1u);
    for (var d = 0u; d < nv; d++) {
      tileA[lid * HSV + d] = loadQkv(hd.qkv0 + iRead * hd.C3, d);
      tileB[lid * HSV + d] = loadDy(hd.y0 + iRead * p.C, d);
    }
    rowL[lid] = lse[hd.bh * p.T + iRead];
    rowD[lid] = rowDelta(hd.y0 + iRead * p.C);
    workgroupBarrier();
    let n = min(BLK, p.T - i0);
    for (var r = 0u; r < n; r++) {
      var s = 0.0;
      var dP = 0.0;
      for (var d = 0u; d < nv; d++) {
        s += dot(k[d], tileA[r * HSV + d]);
        dP += dot(v[d], tileB[r * HSV + d]);
      }
      let pij = select(0.0, exp(s - rowL[r]), i0 + r >= j);
      let dS = pij * (dP - rowD[r]);
      for (var d = 0u; d < nv; d++) {
        dv[d] += pij * tileB[r * HSV + d];
        dk[d] += dS * tileA[r * HSV + d];
      }
    }
    workgroupBarrier();
  }
  if (j < p.T) {
    for (var d = 0u; d < nv; d++) {
      store4(hd.qkv0 + j * hd.C3 + p.C, d, dk[d] * p.scale);
      store4(hd.qkv0 + j * hd.C3 + 2u * p.C, d, dv[d]);
    }
  }
}

@compute @workgroup_size(BLK)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let b = wid.y / p.NH;
  let h = wid.y % p.NH;
  let C3 = 3u * p.C;
  let hd = Head(wid.y, b * p.T * C3 + h * HS, b * p.T * p.C + h * HS, C3);
  if (wid.z == 0u) {
    dqRole(hd, wid.x * BLK, lid);
  } else {
    dkvRole(hd, wid.x * BLK, lid);
  }
}
