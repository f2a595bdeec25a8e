/**
 * Fused cross-entropy: the loss of next-token logits (N, V) against targets (N), optionally weighted per
 * row (0/1 masks for assistant-only SFT, or any non-negative weights). One kernel reads each row once
 * for its log-softmax statistics (row max subtracted, so ±1e4 logits are exact) and loss, a second takes
 * the weighted mean; the backward writes d logits in one pass using the saved statistics, reading the
 * loss gradient on the GPU. A target outside [0, V) marks an ignored row: loss 0, weight 0, gradient 0
 * (so -1 works as padding, like PyTorch's ignore_index). When every row is ignored or weighs 0 the loss
 * and gradients are 0, not NaN. The projection to logits and any label shifting are left to the model.
 */
import { record } from "../autograd.ts";
import { DtypeError, ShapeError } from "../errors.ts";
import { bindingChunks, params, runtime, type BufferView } from "../runtime.ts";
import { Tensor } from "../tensor.ts";

/**
 * Threads per row (a power of two). On a GPU up to 256, so V = 50,257 is a strided loop of ≤ 197 logits
 * per thread, but no more than V needs (at least 32, a warp). On a CPU adapter 32: there every barrier of
 * the row reduction switches between all the workgroup's invocations, and at V = 512 a 256-wide row ran
 * 5× slower than a 32-wide one (llvmpipe), with no gain at V = 50,257.
 */
function rowWorkgroup(V: number): number {
  if (runtime().info.isCpu) return 32;
  return Math.min(256, Math.max(32, 2 ** Math.ceil(Math.log2(V))));
}

/** What the forward keeps for the backward. */
export interface CrossEntropySaved {
  /** (N, 2) f32: per row, max_n and log Σ exp(x − max_n). */
  stats: Tensor;
  /** (1) f32: 1 / Σw over non-ignored rows, 0 when that sum is 0. */
  invSumW: Tensor;
}


function rowsView(t: Tensor, start: number, count: number, rowBytes: number): BufferView {
  return { buffer: t.buffer, byteOffset: start * rowBytes, byteLength: count * rowBytes };
}

/** One workgroup per row, wrapped into y beyond 65,535 rows. */
function rowGrid(rows: number): [number, number] {
  return rows <= 65535 ? [rows, 1] : [65535, Math.ceil(rows / 65535)];
}

function checkInputs(op: string, logits: Tensor, targets: Tensor, weights?: Tensor): [number, number] {
  if (logits.dtype !== "f32") throw new DtypeError(`${op}: logits must be f32, got ${logits.dtype} [${logits.shape.join(", ")}]`);
  if (targets.dtype !== "i32") {
    throw new DtypeError(`${op}: targets must be i32 token ids, got ${targets.dtype} [${targets.shape.join(", ")}]; upload them from an Int32Array`);
  }
  const [N, V] = logits.shape;
  if (logits.shape.length !== 2 || V === 0) throw new ShapeError(op, "logits (N, V) with V ≥ 1", [logits.shape]);
  if (targets.shape.length !== 1 || targets.shape[0] !== N) throw new ShapeError(op, "logits (N, V) and targets (N)", [logits.shape, targets.shape]);
  if (weights) {
    if (weights.dtype !== "f32") throw new DtypeError(`${op}: weights must be f32, got ${weights.dtype} [${weights.shape.join(", ")}]`);
    if (weights.shape.length !== 1 || weights.shape[0] !== N) throw new ShapeError(op, "logits (N, V) and weights (N)", [logits.shape, weights.shape]);
  }
  return [N!, V!];
}

/** Per-row losses (N) and statistics (N, 2): one read of each logits row. */
function rowLosses(logits: Tensor, targets: Tensor, N: number, V: number): { losses: Tensor; stats: Tensor } {
  const rt = runtime();
  const losses = Tensor.empty([N]); // (N) f32
  const stats = Tensor.empty([N, 2]); // (N, 2) f32
  for (const { start, count } of bindingChunks(N, V * 4)) {
    rt.dispatch({
      kernel: "crossentropy",
      overrides: { WG: rowWorkgroup(V) },
      bindings: [rowsView(logits, start, count, V * 4), targets, losses, stats],
      params: params([V, count, start]),
      workgroups: rowGrid(count),
    });
  }
  return { losses, stats };
}

/** loss (1) = Σ wₙ·lossₙ / Σ wₙ over non-ignored rows, plus what the backward needs. */
export function crossEntropyForward(logits: Tensor, targets: Tensor, weights?: Tensor): { loss: Tensor; saved: CrossEntropySaved } {
  const [N, V] = checkInputs("crossEntropy", logits, targets, weights);
  const { losses, stats } = rowLosses(logits, targets, N, V);
  const loss = Tensor.empty([1]); // (1) f32
  const invSumW = Tensor.empty([1]); // (1) f32
  runtime().dispatch({
    kernel: "crossentropy.mean",
    entry: weights ? "weighted" : "main",
    overrides: { WG: 256 },
    bindings: weights ? [losses, targets, loss, invSumW, weights] : [losses, targets, loss, invSumW],
    params: params([N, V]),
    workgroups: 1,
  });
  losses.dispose();
  return { loss, saved: { stats, invSumW } };
}

/** d logits (N, V) = (softmax(logitsₙ) − onehot(targetₙ)) · wₙ / Σw · dLoss, with dLoss (1) read on the GPU. */
export function crossEntropyBackward(logits: Tensor, targets: Tensor, weights: Tensor | undefined, saved: CrossEntropySaved, dLoss: Tensor): Tensor {
  const [N, V] = checkInputs("crossEntropyBackward", logits, targets, weights);
  if (dLoss.size !== 1) throw new ShapeError("crossEntropyBackward", "a one-element loss gradient", [dLoss.shape]);
  const rt = runtime();
  const dlogits = Tensor.empty([N, V]); // (N, V) f32
  for (const { start, count } of bindingChunks(N, V * 4)) {
    const rows = [rowsView(logits, start, count, V * 4), targets, saved.stats, saved.invSumW, dLoss, rowsView(dlogits, start, count, V * 4)];
    rt.dispatch({
      kernel: "crossentropy.backward",
      entry: weights ? "weighted" : "main",
      overrides: { WG: rowWorkgroup(V) },
      bindings: weights ? [...rows, weights] : rows,
      params: params([V, count, start]),
      workgroups: rowGrid(count),
    });
  }
  return dlogits;
}

/**
 * Mean cross-entropy of logits (N, V) f32 against targets (N) i32, weighted by weights (N) f32 when
 * given; returns a shape-[1] loss that backpropagates into logits.
 */
export function crossEntropy(logits: Tensor, targets: Tensor, weights?: Tensor): Tensor {
  const { loss, saved } = crossEntropyForward(logits, targets, weights);
  const release = (): void => {
    saved.stats.dispose();
    saved.invSumW.dispose();
  };
  record(loss, "crossEntropy", [logits], (dLoss) => {
    const dlogits = crossEntropyBackward(logits, targets, weights, saved, dLoss);
    release();
    return [dlogits];
  });
  if (!loss.node) release();
  return loss;
}

/** Per-row losses (N) f32, −log softmax(logitsₙ)[targetₙ] (0 for ignored rows): for RL log-probs and evaluation; no gradient. */
export function crossEntropyPerToken(logits: Tensor, targets: Tensor): Tensor {
  const [N, V] = checkInputs("crossEntropyPerToken", logits, targets);
  const { losses, stats } = rowLosses(logits, targets, N, V);
  stats.dispose();
  return losses;
}
