/**
 * The RL losses as fused GPU kernels with backward, each a scalar (1) f32 plus a few statistics read
 * back with it: the pairwise Bradley–Terry loss (reward model and DPO), the clipped policy objective with
 * an optional k3 KL penalty (PPO and GRPO) and PPO's clipped value loss. Forward reductions are one
 * workgroup (N is a batch of response tokens); backward kernels read the loss gradient on the GPU.
 */
import { linearGrid, params, record, runtime, ShapeError, Tensor } from "@forno/gpu";

function checkSizes(op: string, n: number, tensors: Tensor[]): void {
  for (const t of tensors) {
    t.assertDtype(op, "f32");
    if (t.size !== n) throw new ShapeError(op, `every input with ${n} elements`, [tensors[0]!.shape, t.shape]);
  }
}

/** loss (1) and [accuracy, mean margin] (2) of z_b = scale·(s[b] − s[B + b]) − offset[b] (see rl.pairwise.wgsl). */
export interface PairwiseResult {
  loss: Tensor;
  stats: Tensor;
}

/**
 * Mean −log σ(scale·(chosen − rejected) − offset) over B pairs. `scores` (2B) f32 hold the chosen scores
 * then the rejected ones; `offset` (B) f32 (the reward margin, or β·(ref_c − ref_r) for DPO).
 */
export function pairwiseLoss(scores: Tensor, offset: Tensor, scale = 1): PairwiseResult {
  const B = offset.size;
  if (scores.size !== 2 * B || B === 0) throw new ShapeError("pairwiseLoss", "scores (2B) [chosen, rejected] and offset (B), B ≥ 1", [scores.shape, offset.shape]);
  checkSizes("pairwiseLoss", B, [offset]);
  scores.assertDtype("pairwiseLoss", "f32");
  const loss = Tensor.empty([1]); // (1) f32
  const stats = Tensor.empty([2]); // (2) f32
  const u = params([B], [scale]);
  runtime().dispatch({ kernel: "rl.pairwise", bindings: [scores, offset, loss, stats], params: u, workgroups: 1 });
  record(loss, "pairwiseLoss", [scores], (dLoss) => {
    const d = Tensor.empty([2 * B]); // (2B) f32
    runtime().dispatch({ kernel: "rl.pairwise.backward", bindings: [scores, offset, dLoss, d], params: u, workgroups: Math.ceil(B / 64) });
    return [d.reshape(scores.shape)];
  });
  return { loss, stats };
}

export interface PolicyLossInputs {
  /** (N) f32 current log-probs of the taken tokens, with gradient */
  logp: Tensor;
  /** (N) f32 log-probs at rollout time */
  oldLogp: Tensor;
  /** (N) f32 per-token advantages */
  adv: Tensor;
  /** (N) f32 reference log-probs (read only when klCoef > 0, but always bound) */
  refLogp: Tensor;
  /** (N) f32 1 on response tokens */
  mask: Tensor;
}

/** loss (1) and [clip fraction, mean k3 KL, 1/Σmask] (3). */
export interface PolicyLossResult {
  loss: Tensor;
  stats: Tensor;
}

/** The clipped surrogate (ε) plus klCoef · k3 KL, a masked mean over tokens (see rl.policy.wgsl). */
export function clippedPolicyLoss(x: PolicyLossInputs, eps: number, klCoef = 0): PolicyLossResult {
  const N = x.logp.size;
  checkSizes("clippedPolicyLoss", N, [x.logp, x.oldLogp, x.adv, x.refLogp, x.mask]);
  const loss = Tensor.empty([1]); // (1) f32
  const stats = Tensor.empty([3]); // (3) f32
  const u = params([N], [eps, klCoef]);
  const inputs = [x.logp, x.oldLogp, x.adv, x.refLogp, x.mask];
  runtime().dispatch({ kernel: "rl.policy", bindings: [...inputs, loss, stats], params: u, workgroups: 1 });
  record(loss, "clippedPolicyLoss", [x.logp], (dLoss) => {
    const d = Tensor.empty([N]); // (N) f32
    runtime().dispatch({ kernel: "rl.policy.backward", bindings: [...inputs, stats, dLoss, d], params: u, workgroups: linearGrid(N) });
    return [d.reshape(x.logp.shape)];
  });
  return { loss, stats };
}

/** loss (1) and [clip fraction, 1/Σmask] (2). */
export interface ValueLossResult {
  loss: Tensor;
  stats: Tensor;
}

/** ½ masked mean of max((v − R)², (clipped v − R)²), v clipped to oldV ± ε (see rl.value.wgsl). */
export function clippedValueLoss(v: Tensor, oldV: Tensor, returns: Tensor, mask: Tensor, eps: number): ValueLossResult {
  const N = v.size;
  checkSizes("clippedValueLoss", N, [v, oldV, returns, mask]);
  const loss = Tensor.empty([1]); // (1) f32
  const stats = Tensor.empty([2]); // (2) f32
  const u = params([N], [eps]);
  runtime().dispatch({ kernel: "rl.value", bindings: [v, oldV, returns, mask, loss, stats], params: u, workgroups: 1 });
  record(loss, "clippedValueLoss", [v], (dLoss) => {
    const d = Tensor.empty([N]); // (N) f32
    runtime().dispatch({ kernel: "rl.value.backward", bindings: [v, oldV, returns, mask, stats, dLoss, d], params: u, workgroups: linearGrid(N) });
    return [d.reshape(v.shape)];
  });
  return { loss, stats };
}
