// attention.backward.rows: fused causal self-attention backward for llvmpipe (CPU adapters); same maths and
// output as attention.backward.wgsl (see it for the formulas), laid out like attention.rows.wgsl (see it for
// why): each invocation owns R rows in registers, every other row is loaded once and used by all 8·R rows
// of the lane group (one at a time: there is no softmax rescale to amortise, and the code stays smaller),
// rows skip steps outside their causal range with workgroup-uniform branches, and the per-row statements
// are written out R times by the host (ROWS_*). Two entry points, dispatched one after the other, so the
// result is deterministic without atomics: `dq` rows are query rows i sweeping keys j ≤ i, `dkv` rows are
// key rows j sweeping queries i ≥ j. They are separate pipelines, not two roles of one, because llvmpipe's
// compile time grows faster than the code (one pipeline with both: ~70 s at load 6; split: ~25 s in all).
// D = dy · y comes from attention.delta.wgsl, dispatched first.
// @binding(0) params: { B, T, C, NH, hsv: u32, scale: f32 }   hsv = HSV, scale = 1 / sqrt(HS)
// @binding(1) qkv:  array<ELEM>, (B, T, 3C) row-major, read (layout and ELEM as in attention.rows.wgsl)
// @binding(2) dy:   array<ELEM>, (B, T, C) row-major, read: d loss / d y
// @binding(3) lse:  array<f32>, (B, NH, T) row-major, read: the forward's logsumexp L
// @binding(4) D:    array<f32>, (B, NH, T) row-major, read: dy · y per head row
// @binding(5) dqkv: array<f32>, (B, T, 3C) row-major, written in full: dq in [.., 0:C], dk, dv after.
// Defines: HS, HSV, NV, ELEM, LOAD_QKV, LOAD_DY (as in attention.rows.wgsl), R, ROWS_INIT_Q, ROWS_STEP_Q,
//   ROWS_STORE_Q (dq role), ROWS_INIT_K, ROWS_STEP_K, ROWS_STORE_K (dk/dv role).
// Override WG: invocations per workgroup (8: one llvmpipe lane group).
// Dispatch each entry (ceil(T / (WG·R)), B·NH, 1): workgroup (x, y) handles rows x·WG·R .. (x + 1)·WG·R - 1
//   of head y % NH in batch y / NH; invocation l owns rows x·WG·R + r·WG + l, r < R.
struct Params { B: u32, T: u32, C: u32, NH: u32, hsv: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> qkv: array<{{ELEM}}>;
@group(0) @binding(2) var<storage, read> dy: array<{{ELEM}}>;
@group(0) @binding(3) var<storage, read> lse: array<f32>;
@group(0) @binding(4) var<storage, read> D: array<f32>;
@group(0) @binding(5) var<storage, read_write> dqkv: array<f32>;

const HS: u32 = {{HS}}u;
const HSV: u32 = {{HSV}}u;
fn rowVec4s() -> u32 { return {{NV}}; }
override WG: u32 = 8u;
const R: u32 = {{R}}u;

alias Vec = array<vec4f, HSV>;

struct Head { bh: u32, qkv0: u32, y0: u32, C3: u32 }

// Head bh = b·NH + h: q channel 0 of (b, t = 0, h) in qkv, dy channel 0 of (b, t = 0, h) in dy.
fn head(bh: u32) -> Head {
  let b = bh / p.NH;
  let h = bh % p.NH;
  return Head(bh, b * p.T * 3u * p.C + h * HS, b * p.T * p.C + h * HS, 3u * p.C);
}

// Channels d4·4 .. d4·4 + 3 of the head row whose channel 0 is element `base`, zero past HS.
fn loadQkv(base: u32, d4: u32) -> vec4f {
  {{LOAD_QKV}}
}
fn loadDy(base: u32, d4: u32) -> vec4f {
  {{LOAD_DY}}
}

fn dotRow(a: Vec, b: Vec) -> f32 {
  var s = 0.0;
  for (var d = 0u; d < rowVec4s(); d++) { s += dot(a[d], b[d]); }
  return s;
}

fn store(base: u32, v: Vec, s: f32) {
  for (var d = 0u; d < rowVec4s(); d++) {
    for (var c = 0u; c < 4u; c++) {
      if (d * 4u + c < HS) { dqkv[base + d * 4u + c] = v[d][c] * s; }
    }
  }
}

// The rows' registers: row r of this invocation is element r (always a constant index once the host's
// per-row statements are inlined, so nothing here is indexed at run time). Private variables rather than
// structs passed by pointer, which Mesa copies in and out of every call (and its compile took minutes).
var<private> rowIdx: array<u32, R>;  // query row i (dq role) or key row j (dk/dv role)
var<private> rowA: array<Vec, R>;    // q_i · scale  | k_j · scale
var<private> rowB: array<Vec, R>;    // dy_i         | v_j
var<private> rowC: array<Vec, R>;    // dq_i         | dk_j
var<private> rowD: array<Vec, R>;    // (unused)     | dv_j
var<private> rowL: array<f32, R>;    // L_i          | (unused)
var<private> rowDelta: array<f32, R>;  // D_i        | (unused)

// dq role: dq_i = scale · Σ_{j ≤ i} dS_ij k_j, with q pre-scaled so that q·k is S.
fn qInit(r: u32, i: u32, hd: Head) {
  rowIdx[r] = i;
  let iRead = min(i, p.T - 1u);  // rows past T compute on the last row and store nothing
  for (var d = 0u; d < rowVec4s(); d++) {
    rowA[r][d] = loadQkv(hd.qkv0 + iRead * hd.C3, d) * p.scale;
    rowB[r][d] = loadDy(hd.y0 + iRead * p.C, d);
    rowC[r][d] = vec4f(0.0);
  }
  rowL[r] = lse[hd.bh * p.T + iRead];
  rowDelta[r] = D[hd.bh * p.T + iRead];
}

// Key j (k: its k row, v: its v row).
fn qStep(r: u32, j: u32, k: Vec, v: Vec) {
  var s = 0.0;
  var dP = 0.0;
  for (var d = 0u; d < rowVec4s(); d++) {
    s += dot(rowA[r][d], k[d]);
    dP += dot(rowB[r][d], v[d]);
  }
  let dS = select(0.0, exp(s - rowL[r]), j <= rowIdx[r]) * (dP - rowDelta[r]);
  for (var d = 0u; d < rowVec4s(); d++) { rowC[r][d] += dS * k[d]; }
}

fn qStore(r: u32, hd: Head) {
  if (rowIdx[r] < p.T) { store(hd.qkv0 + rowIdx[r] * hd.C3, rowC[r], p.scale); }
}

// dk/dv role: dv_j = Σ_{i ≥ j} P_ij dy_i, dk_j = scale · Σ_{i ≥ j} dS_ij q_i, with k pre-scaled so that
// k·q is S.
fn kInit(r: u32, j: u32, hd: Head) {
  rowIdx[r] = j;
  let base = hd.qkv0 + min(j, p.T - 1u) * hd.C3;
  for (var d = 0u; d < rowVec4s(); d++) {
    rowA[r][d] = loadQkv(base + p.C, d) * p.scale;
    rowB[r][d] = loadQkv(base + 2u * p.C, d);
    rowC[r][d] = vec4f(0.0);
    rowD[r][d] = vec4f(0.0);
  }
}

// Query i (q: its q row, g: its dy row, L, Di: its logsumexp and D).
fn kStep(r: u32, i: u32, q: Vec, g: Vec, L: f32, Di: f32) {
  var s = 0.0;
  var dP = 0.0;
  for (var d = 0u; d < rowVec4s(); d++) {
    s += dot(rowA[r][d], q[d]);
    dP += dot(rowB[r][d], g[d]);
  }
  let P = select(0.0, exp(s - L), i >= rowIdx[r]);
  let dS = P * (dP - Di);
  for (var d = 0u; d < rowVec4s(); d++) {
    rowD[r][d] += P * g[d];
    rowC[r][d] += dS * q[d];
  }
}

fn kStore(r: u32, hd: Head) {
  if (rowIdx[r] < p.T) {
    store(hd.qkv0 + rowIdx[r] * hd.C3 + p.C, rowC[r], p.scale);
    store(hd.qkv0 + rowIdx[r] * hd.C3 + 2u * p.C, rowD[r], 1.0);
  }
}

// dq role.
@compute @workgroup_size(WG)
fn dq(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let hd = head(wid.y);
  let r0 = wid.x * WG * R;
  {{ROWS_INIT_Q}}
  // Causal: no row of this workgroup sees a key past its last row.
  let kEnd = min(p.T, r0 + WG * R);
  for (var j = 0u; j < kEnd; j++) {
    var k: Vec;
    var v: Vec;
    let kRow = hd.qkv0 + j * hd.C3 + p.C;
    for (var d = 0u; d < rowVec4s(); d++) {
      k[d] = loadQkv(kRow, d);
      v[d] = loadQkv(kRow + p.C, d);
    }
    {{ROWS_STEP_Q}}
  }
  {{ROWS_STORE_Q}}
}

// dk/dv role.
@compute @workgroup_size(WG)
fn dkv(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let hd = head(wid.y);
  let r0 = wid.x * WG * R;
  {{ROWS_INIT_K}}
  // Causal: queries before the workgroup's first row see none of its keys.
  for (var i = r0; i < p.T; i++) {
    var q: Vec;
    var g: Vec;
    for (var d = 0u; d < rowVec4s(); d++) {
      q[d] = loadQkv(hd.qkv0 + i * hd.C3, d);
      g[d] = loadDy(hd.y0 + i * p.C, d);
    }
    let L = lse[hd.bh * p.T + i];
    let Di = D[hd.bh * p.T + i];
    {{ROWS_STEP_K}}
  }
  {{ROWS_STORE_K}}
}
