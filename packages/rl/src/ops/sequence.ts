/**
 * Sequence-level GPU ops for RL: masked per-row sums (a sequence's log-probability from per-token
 * log-probs) and row gathers (the hidden state at each sequence's last real token, for the reward head).
 * Both are differentiable and one dispatch each way. Per-token log-probs themselves come from the gpu
 * package's fused `logprob` op.
 */
import { DtypeError, linearGrid, params, record, runtime, ShapeError, Tensor } from "@forno/gpu";

export function rowSumForward(x: Tensor, mask: Tensor): Tensor {
  if (x.shape.length !== 2 || mask.shape.length !== 2 || x.shape[0] !== mask.shape[0] || x.shape[1] !== mask.shape[1]) {
    throw new ShapeError("rowSum", "x (B, T) and mask (B, T)", [x.shape, mask.shape]);
  }
  x.assertDtype("rowSum", "f32");
  mask.assertDtype("rowSum", "f32");
  const [B, T] = x.shape as [number, number];
  const out = Tensor.empty([B]); // (B) f32
  runtime().dispatch({ kernel: "rl.rowsum", bindings: [x, mask, out], params: params([B, T]), workgroups: Math.ceil(B / 64) });
  return out;
}

/** dx (B, T) = dOut[b] · mask[b, t]. */
export function rowSumBackward(dOut: Tensor, mask: Tensor): Tensor {
  const [B, T] = mask.shape as [number, number];
  const dx = Tensor.empty([B, T]); // (B, T) f32
  runtime().dispatch({ kernel: "rl.rowsum.backward", bindings: [dOut, mask, dx], params: params([B, T]), workgroups: linearGrid(B * T) });
  return dx;
}

/** out (B) f32 = Σ_t mask[b, t] · x[b, t] for x, mask (B, T) f32; differentiable in x. */
export function rowSum(x: Tensor, mask: Tensor): Tensor {
  const out = rowSumForward(x, mask);
  return record(out, "rowSum", [x], (dOut) => [rowSumBackward(dOut, mask)]);
}

function checkRows(h: Tensor, rows: Tensor): void {
  if (h.shape.length !== 2 || rows.shape.length !== 1) throw new ShapeError("gatherRows", "h (N, C) and rows (B)", [h.shape, rows.shape]);
  if (rows.dtype !== "i32") throw new DtypeError(`gatherRows: rows must be i32 row indices, got ${rows.dtype} [${rows.shape.join(", ")}]`);
  h.assertDtype("gatherRows", "f32");
}

export function gatherRowsForward(h: Tensor, rows: Tensor): Tensor {
  checkRows(h, rows);
  const B = rows.shape[0]!;
  const C = h.shape[1]!;
  const out = Tensor.empty([B, C]); // (B, C) f32
  runtime().dispatch({ kernel: "rl.gather", bindings: [h, rows, out], params: params([B, C]), workgroups: linearGrid(B * C) });
  return out;
}

/** dh (N, C) = Σ_b [rows[b] = n] · dOut[b, :]. */
export function gatherRowsBackward(dOut: Tensor, rows: Tensor, N: number): Tensor {
  const [B, C] = dOut.shape as [number, number];
  const dh = Tensor.empty([N, C]); // (N, C) f32
  runtime().dispatch({ kernel: "rl.gather.backward", bindings: [dOut, rows, dh], params: params([B, C, N]), workgroups: linearGrid(N * C) });
  return dh;
}

/**
 * out (B, C) f32 = h[rows[b], :] for h (N, C) f32 and rows (B) i32; `hostRows` (the same indices on the
 * host) are checked against N, since an out-of-range index would read another tensor's memory.
 */
export function gatherRows(h: Tensor, rows: Tensor, hostRows: ArrayLike<number>): Tensor {
  const N = h.shape[0]!;
  for (let b = 0; b < hostRows.length; b++) {
    const r = hostRows[b]!;
    if (!(Number.isInteger(r) && r >= 0 && r < N)) throw new ShapeError("gatherRows", `row indices in [0, ${N}), got rows[${b}] = ${r}`, [h.shape, rows.shape]);
  }
  const out = gatherRowsForward(h, rows);
  return record(out, "gatherRows", [h], (dOut) => [gatherRowsBackward(dOut, rows, N)]);
}
