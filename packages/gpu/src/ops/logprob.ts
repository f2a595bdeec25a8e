/**
 * Fused per-token log-probabilities: logp (N) = log softmax(logits (N, V))[targets (N)], differentiable,
 * for RL (PPO/GRPO ratios, DPO sequence log-probs, KL to a reference). One kernel reads each logits row
 * once (row max subtracted, so ±1e4 logits are exact) and also writes the row's entropy (no gradient) for
 * PPO statistics; the backward writes d logits = g·(onehot − softmax) in one pass using saved statistics.
 * A target outside [0, V) marks an ignored row: logp 0 and a zero gradient, so -1 works as padding.
 * Masking and summing over a sequence are left to the caller (see packages/rl).
 */
import { record } from "../autograd.ts";
import { DtypeError, ShapeError } from "../errors.ts";
import { bindingChunks, params, runtime, type BufferView } from "../runtime.ts";
import { Tensor } from "../tensor.ts";

/** Threads per row: 32 on a CPU adapter (each barrier switches between all invocations), else up to 256 (see crossentropy.ts). */
function rowWorkgroup(V: number): number {
  if (runtime().info.isCpu) return 32;
  return Math.min(256, Math.max(32, 2 ** Math.ceil(Math.log2(V))));
}

function rowsView(t: Tensor, start: number, count: number, rowBytes: number): BufferView {
  return { buffer: t.buffer, byteOffset: start * rowBytes, byteLength: count * rowBytes };
}

function rowGrid(rows: number): [number, number] {
  return rows <= 65535 ? [rows, 1] : [65535, Math.ceil(rows / 65535)];
}

function checkInputs(op: string, logits: Tensor, targets: Tensor): [number, number] {
  if (logits.dtype !== "f32") throw new DtypeError(`${op}: logits must be f32, got ${logits.dtype} [${logits.shape.join(", ")}]`);
  if (targets.dtype !== "i32") {
    throw new DtypeError(`${op}: targets must be i32 token ids, got ${targets.dtype} [${targets.shape.join(", ")}]; upload them from an Int32Array`);
  }
  const [N, V] = logits.shape;
  if (logits.shape.length !== 2 || V === 0) throw new ShapeError(op, "logits (N, V) with V ≥ 1", [logits.shape]);
  if (targets.shape.length !== 1 || targets.shape[0] !== N) throw new ShapeError(op, "logits (N, V) and targets (N)", [logits.shape, targets.shape]);
  return [N!, V!];
}

export interface LogprobForward {
  /** (N) f32 log softmax(logits)[target], 0 for ignored rows */
  logp: Tensor;
  /** (N) f32 entropy of each row's softmax (every row, ignored or not) */
  entropy: Tensor;
  /** (N, 2) f32 per row [max, log Σ exp(x − max)], for the backward */
  stats: Tensor;
}

export function logprobForward(logits: Tensor, targets: Tensor): LogprobForward {
  const [N, V] = checkInputs("logprob", logits, targets);
  const logp = Tensor.empty([N]); // (N) f32
  const entropy = Tensor.empty([N]); // (N) f32
  const stats = Tensor.empty([N, 2]); // (N, 2) f32
  for (const { start, count } of bindingChunks(N, V * 4)) {
    runtime().dispatch({
      kernel: "logprob",
      overrides: { WG: rowWorkgroup(V) },
      bindings: [rowsView(logits, start, count, V * 4), targets, logp, stats, entropy],
      params: params([V, count, start]),
      workgroups: rowGrid(count),
    });
  }
  return { logp, entropy, stats };
}

/** d logits (N, V) = dLogp[n] · (onehot(target_n) − softmax(logits_n)), zero for ignored rows. */
export function logprobBackward(logits: Tensor, targets: Tensor, stats: Tensor, dLogp: Tensor): Tensor {
  const [N, V] = checkInputs("logprobBackward", logits, targets);
  if (dLogp.size !== N) throw new ShapeError("logprobBackward", "logits (N, V) and dLogp (N)", [logits.shape, dLogp.shape]);
  const dlogits = Tensor.empty([N, V]); // (N, V) f32
  for (const { start, count } of bindingChunks(N, V * 4)) {
    runtime().dispatch({
      kernel: "logprob.backward",
      overrides: { WG: rowWorkgroup(V) },
      bindings: [rowsView(logits, start, count, V * 4), targets, stats, dLogp, rowsView(dlogits, start, count, V * 4)],
      params: params([V, count, start]),
      workgroups: rowGrid(count),
    });
  }
  return dlogits;
}

/**
 * log softmax(logits (N, V) f32)[targets (N) i32] → (N) f32, backpropagating into logits. `entropy` (N)
 * f32 comes along without a gradient; dispose it if unused (scopes do).
 */
export function logprob(logits: Tensor, targets: Tensor): { logp: Tensor; entropy: Tensor } {
  const { logp, entropy, stats } = logprobForward(logits, targets);
  record(logp, "logprob", [logits], (dLogp) => {
    const dlogits = logprobBackward(logits, targets, stats, dLogp);
    stats.dispose();
    return [dlogits];
  });
  if (!logp.node) stats.dispose();
  return { logp, entropy };
}
