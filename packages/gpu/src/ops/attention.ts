/**
 * Fused causal self-attention, flash-attention style: one dispatch forward, one dispatch backward, no
 * T×T matrix in memory. The kernels read q, k and v straight out of the c_attn output (B, T, 3C) and
 * write y with the heads already re-interleaved (B, T, C), ready for c_proj, so no permute kernels are
 * needed around them. The forward also writes each query row's logsumexp, which backward uses to
 * recompute the softmax block by block; the public `attention` keeps it on the autograd node. Projections,
 * dropout and non-causal masks are left to other ops.
 */
import { record } from "../autograd.ts";
import { GpuError, ShapeError } from "../errors.ts";
import { params, runtime } from "../runtime.ts";
import { Tensor } from "../tensor.ts";

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

// Unrolling the loops over a row beyond this many vec4s makes llvmpipe's compile take tens of seconds.
const CPU_UNROLL_VEC4S = 8;

function specialise(d: AttentionDims) {
  const HSV = Math.ceil(d.HS / 4);
  const unroll = !runtime().info.isCpu || HSV <= CPU_UNROLL_VEC4S;
  return {
    defines: { HS: d.HS, HSV, NV: unroll ? "HSV" : "p.hsv" },
    params: params([d.B, d.T, d.C, d.NH, HSV], [1 / Math.sqrt(d.HS)]),
    HSV,
  };
}

/** y (B, T, C) and lse (B, NH, T) from qkv (B, T, 3C): one dispatch. */
export function attentionForward(qkv: Tensor, NH: number): AttentionForward {
  const d = attentionDims("attentionForward", qkv, NH);
  const s = specialise(d);
  // One invocation per query row; key blocks as long as the K, V and score tiles fit.
  const BQ = 32;
  const BK = blockRows(32, (bk) => (2 * bk * s.HSV * 4 + bk * BQ) * 4);
  const y = Tensor.empty([d.B, d.T, d.C]);
  const lse = Tensor.empty([d.B, d.NH, d.T]);
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

/** dqkv (B, T, 3C) from dy (B, T, C) and the forward's qkv, y and lse: one dispatch. */
export function attentionBackward(dy: Tensor, qkv: Tensor, y: Tensor, lse: Tensor, NH: number): Tensor {
  const d = attentionDims("attentionBackward", qkv, NH);
  for (const [t, shape] of [[dy, [d.B, d.T, d.C]], [y, [d.B, d.T, d.C]], [lse, [d.B, d.NH, d.T]]] as const) {
    t.assertDtype("attentionBackward", "f32");
    if (t.shape.length !== 3 || t.shape.some((n, i) => n !== shape[i])) {
      throw new ShapeError("attentionBackward", `[${shape.join(", ")}] to match qkv (B, T, 3C) with NH = ${NH}`, [t.shape, qkv.shape]);
    }
  }
  const s = specialise(d);
  const BLK = blockRows(32, (blk) => (2 * blk * s.HSV * 4 + 2 * blk) * 4);
  const dqkv = Tensor.empty(qkv.shape);
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
