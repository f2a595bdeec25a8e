/**
 * Fused causal self-attention, flash-attention style: one dispatch forward, one ("tiled") or three
 * ("rows") backward, no T×T matrix in memory. The kernels read q, k and v straight out of the c_attn output (B, T, 3C) and
 * write y with the heads already re-interleaved (B, T, C), ready for c_proj, so no permute kernels are
 * needed around them. The forward also writes each query row's logsumexp, which backward uses to
 * recompute the softmax block by block; the public `attention` keeps it on the autograd node. Projections,
 * dropout and non-causal masks are left to other ops.
 */
import { record } from "../autograd.ts";
import { GpuError, ShapeError } from "../errors.ts";
import { params, runtime } from "../runtime.ts";
import { linearGrid, Tensor } from "../tensor.ts";

/**
 * - "tiled" (kernels/attention.wgsl, attention.backward.wgsl): one invocation per row, K/V blocks staged
 *   in workgroup memory, one backward dispatch; for real GPUs, and on llvmpipe for heads over 64 channels.
 * - "rows" (attention.rows.wgsl; attention.delta.wgsl then attention.backward.rows.wgsl, entries dq and
 *   dkv): R rows per invocation in registers (8 for heads of up to 32 channels, 4 up to 64), each loaded
 *   k/v (q/dy) row used by 8·R rows; for llvmpipe, where every load costs tens of multiply-adds (see
 *   attention.rows.wgsl). Its code grows with R·HS, and so does llvmpipe's compile time: R = 8 at HS = 64
 *   took minutes, R = 4 takes ~20 s per pipeline at load 3 (once per machine: Mesa caches shaders on disk).
 *   Measured on llvmpipe (Mesa 22.3, 2 EPYC cores shared with other jobs), B=16 T=128 C=128 NH=4, ms:
 *   forward / forward+backward: "tiled" 54 / 231, "rows" 16 / 45, float64 TS reference 113 / 269 (load 8.9);
 *   "tiled" 105 / 395, "rows" 20 / 55, TS 227 / 501 (load 6.3). Heads of 64 (B=4 T=256 C=384 NH=6), process
 *   CPU-ms for forward + backward at load 3: "tiled" 830-940, "rows" (R = 4, loops unrolled) 190-250;
 *   "rows" with the loops over a row left rolled (its private arrays then indexed at run time) 750.
 */
export type AttentionVariant = "tiled" | "rows";

// The largest head the "rows" kernels are compiled for, in vec4s (HS = 64).
const ROWS_MAX_VEC4S = 16;
// Invocations per workgroup of the "rows" kernels (one llvmpipe lane group).
const ROWS_WG = 8;

/** Rows per invocation of the "rows" kernels: R·HSV ≤ 64 vec4s of registers per row set keeps compiles short. */
function rowsPerInvocation(HS: number): number {
  return Math.ceil(HS / 4) <= 8 ? 8 : 4;
}

/** The kernels for this adapter and head size: "rows" on CPU adapters (llvmpipe) up to HS = 64, else "tiled". */
export function defaultAttentionVariant(HS: number): AttentionVariant {
  return runtime().info.isCpu && Math.ceil(HS / 4) <= ROWS_MAX_VEC4S ? "rows" : "tiled";
}

interface AttentionDims {
  B: number;
  T: number;
  C: number;
  NH: number;
  HS: number;
}

export interface AttentionForward {
  /** (B, T, C) f32: heads re-interleaved. */
  y: Tensor;
  /** (B, NH, T) f32: logsumexp of each query row's scaled, masked scores. */
  lse: Tensor;
}

/** Checks qkv is (B, T, 3C) f32 with C divisible by NH, and returns the dimensions. */
function attentionDims(op: string, qkv: Tensor, NH: number): AttentionDims {
  qkv.assertDtype(op, "f32");
  const [B = 0, T = 0, C3 = 0] = qkv.shape;
  const C = C3 / 3;
  if (qkv.shape.length !== 3 || !Number.isInteger(C) || !Number.isInteger(NH) || NH < 1 || C % NH !== 0 || B * T * C === 0) {
    throw new ShapeError(op, `qkv (B, T, 3C) with C divisible by NH = ${NH} (the c_attn output; check n_embd and n_head)`, [qkv.shape, [NH]]);
  }
  return { B, T, C, NH, HS: C / NH };
}

/** The largest power-of-two block of at most `max` rows whose tiles fit in the device's workgroup memory. */
function blockRows(max: number, tileBytes: (rows: number) => number): number {
  const limit = runtime().device.limits.maxComputeWorkgroupStorageSize;
  let rows = max;
  while (rows > 4 && tileBytes(rows) > limit) rows /= 2;
  if (tileBytes(rows) > limit) throw new GpuError(`attention: a head size this large needs ${tileBytes(rows)} bytes of workgroup memory; the device offers ${limit}`);
  return rows;
}

// Unrolling the "tiled" kernels' loops over a row beyond this many vec4s makes llvmpipe's compile take tens
// of seconds. The "rows" kernels are always unrolled: rolled, their rows' registers become memory.
const CPU_UNROLL_VEC4S = 8;

function specialise(d: AttentionDims, variant: AttentionVariant) {
  const HSV = Math.ceil(d.HS / 4);
  const unroll = !runtime().info.isCpu || variant === "rows" || HSV <= CPU_UNROLL_VEC4S;
  return {
    defines: { HS: d.HS, HSV, NV: unroll ? "HSV" : "p.hsv" },
    params: params([d.B, d.T, d.C, d.NH, HSV], [1 / Math.sqrt(d.HS)]),
    HSV,
  };
}

/** Body of a WGSL `fn (base: u32, d4: u32) -> vec4f` reading head-row channels d4·4 .. d4·4 + 3 of `name`. */
function loadBody(name: string, vec4: boolean): string {
  // Whole vec4 loads when every head row is 16-byte aligned: llvmpipe pays per load, not per byte.
  if (vec4) return `return ${name}[base / 4u + d4];`;
  return `var r = vec4f(0.0);
  for (var c = 0u; c < 4u; c++) { if (d4 * 4u + c < HS) { r[c] = ${name}[base + d4 * 4u + c]; } }
  return r;`;
}

function assertRowsHead(op: string, d: AttentionDims): void {
  if (Math.ceil(d.HS / 4) > ROWS_MAX_VEC4S) throw new GpuError(`${op}: the "rows" kernels take heads of up to ${4 * ROWS_MAX_VEC4S} channels, not ${d.HS}; use "tiled"`);
}

/** The "rows" kernels' defines: element type, loads, and the statements repeated once per row. */
function rowsDefines(d: AttentionDims, base: Record<string, string | number>, perRow: Record<string, (r: number) => string>) {
  const R = rowsPerInvocation(d.HS);
  const vec4 = d.HS % 4 === 0;
  const defines: Record<string, string | number> = { ...base, R, ELEM: vec4 ? "vec4f" : "f32", LOAD_QKV: loadBody("qkv", vec4), LOAD_DY: loadBody("dy", vec4) };
  for (const [name, line] of Object.entries(perRow)) defines[name] = Array.from({ length: R }, (_, r) => line(r)).join("\n  ");
  return defines;
}

/** y (B, T, C) and lse (B, NH, T) from qkv (B, T, 3C): one dispatch. `variant` defaults to the adapter's. */
export function attentionForward(qkv: Tensor, NH: number, variant?: AttentionVariant): AttentionForward {
  const d = attentionDims("attentionForward", qkv, NH);
  variant ??= defaultAttentionVariant(d.HS);
  if (variant === "rows") assertRowsHead("attentionForward", d);
  const s = specialise(d, variant);
  const y = Tensor.empty([d.B, d.T, d.C]);
  const lse = Tensor.empty([d.B, d.NH, d.T]);
  if (variant === "rows") {
    runtime().dispatch({
      kernel: "attention.rows",
      defines: rowsDefines(d, s.defines, {
        ROWS_INIT: (r) => `rowInit(${r}u, q0 + ${r}u * WG + lid, head0);`,
        // Rows that are all before k0 skip the step (a workgroup-uniform branch).
        ROWS_STEP: (r) => `if (k0 < q0 + ${r + 1}u * WG) { rowStep(${r}u, k0); }`,
        ROWS_STORE: (r) => `rowStore(${r}u, bh, yRow0);`,
      }),
      overrides: { WG: ROWS_WG },
      bindings: [qkv, y, lse],
      params: s.params,
      workgroups: [Math.ceil(d.T / (ROWS_WG * rowsPerInvocation(d.HS))), d.B * d.NH],
    });
    return { y, lse };
  }
  // One invocation per query row; key blocks as long as the K, V and score tiles fit.
  const BQ = 32;
  const BK = blockRows(32, (bk) => (2 * bk * s.HSV * 4 + bk * BQ) * 4);
  runtime().dispatch({
    kernel: "attention",
    defines: s.defines,
    overrides: { BQ, BK },
    bindings: [qkv, y, lse],
    params: s.params,
    workgroups: [Math.ceil(d.T / BQ), d.B * d.NH],
  });
  return { y, lse };
}

/** dqkv (B, T, 3C) from dy (B, T, C) and the forward's qkv, y and lse: one dispatch ("tiled") or three. */
export function attentionBackward(dy: Tensor, qkv: Tensor, y: Tensor, lse: Tensor, NH: number, variant?: AttentionVariant): Tensor {
  const d = attentionDims("attentionBackward", qkv, NH);
  variant ??= defaultAttentionVariant(d.HS);
  if (variant === "rows") assertRowsHead("attentionBackward", d);
  for (const [t, shape] of [[dy, [d.B, d.T, d.C]], [y, [d.B, d.T, d.C]], [lse, [d.B, d.NH, d.T]]] as const) {
    t.assertDtype("attentionBackward", "f32");
    if (t.shape.length !== 3 || t.shape.some((n, i) => n !== shape[i])) {
      throw new ShapeError("attentionBackward", `[${shape.join(", ")}] to match qkv (B, T, 3C) with NH = ${NH}`, [t.shape, qkv.shape]);
    }
  }
  const s = specialise(d, variant);
  const dqkv = Tensor.empty(qkv.shape);
  if (variant === "rows") {
    const defines = rowsDefines(d, s.defines, {
      ROWS_INIT_Q: (r) => `qInit(${r}u, r0 + ${r}u * WG + lid, hd);`,
      // Rows that are all before key j skip the step (a workgroup-uniform branch).
      ROWS_STEP_Q: (r) => `if (j < r0 + ${r + 1}u * WG) { qStep(${r}u, j, k, v); }`,
      ROWS_STORE_Q: (r) => `qStore(${r}u, hd);`,
      ROWS_INIT_K: (r) => `kInit(${r}u, r0 + ${r}u * WG + lid, hd);`,
      // Rows that are all after query i skip the step.
      ROWS_STEP_K: (r) => `if (i >= r0 + ${r}u * WG) { kStep(${r}u, i, q, g, L, Di); }`,
      ROWS_STORE_K: (r) => `kStore(${r}u, hd);`,
    });
    const n = d.B * d.NH * d.T;
    const D = Tensor.empty([d.B, d.NH, d.T]); // (B, NH, T) f32: dy · y per head row
    runtime().dispatch({ kernel: "attention.delta", defines: { HS: d.HS }, bindings: [y, dy, D], params: params([n, d.T, d.C, d.NH]), workgroups: linearGrid(n, 64) });
    // Two entry points, not two roles of one: each pipeline compiles only its half, and llvmpipe's compile
    // time grows faster than the code.
    for (const entry of ["dq", "dkv"]) {
      runtime().dispatch({
        kernel: "attention.backward.rows",
        entry,
        defines,
        overrides: { WG: ROWS_WG },
        bindings: [qkv, dy, lse, D, dqkv],
        params: s.params,
        workgroups: [Math.ceil(d.T / (ROWS_WG * rowsPerInvocation(d.HS))), d.B * d.NH],
      });
    }
    // Later uses of the buffer are recorded after these dispatches, so it can go back to the pool now.
    D.dispose();
    return dqkv;
  }
  const BLK = blockRows(32, (blk) => (2 * blk * s.HSV * 4 + 2 * blk) * 4);
  runtime().dispatch({
    kernel: "attention.backward",
    defines: s.defines,
    overrides: { BLK },
    bindings: [qkv, y, dy, lse, dqkv],
    params: s.params,
    workgroups: [Math.ceil(d.T / BLK), d.B * d.NH, 2],
  });
  return dqkv;
}

/**
 * Causal self-attention of the c_attn output: qkv (B, T, 3C) f32 → y (B, T, C) f32, NH heads of size
 * C / NH, scale 1 / sqrt(HS). Differentiable with respect to qkv.
 */
export function attention(qkv: Tensor, NH: number): Tensor {
  const { y, lse } = attentionForward(qkv, NH);
  record(y, "attention", [qkv], (dy) => {
    const dqkv = attentionBackward(dy, qkv, y, lse, NH);
    // Later uses of the buffer are recorded after this dispatch, so it can go back to the pool now.
    lse.dispose();
    return [dqkv];
  });
  // Without a tape entry nothing will read the logsumexp.
  if (!y.node) lse.dispose();
  return y;
}
