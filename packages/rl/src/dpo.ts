/**
 * Direct preference optimisation: loss = −log σ(β[(π_c − π_ref,c) − (π_r − π_ref,r)]) over pairs, with π
 * the summed response-token log-probs of the policy (with gradient) and π_ref those of the frozen
 * reference, computed once per pair and kept on the host. Reward accuracy and margins use the implicit
 * rewards β(π − π_ref). Uses the pairwise kernel with scale β and offset β(π_ref,c − π_ref,r).
 */
import { AdamW, backward, clipGradNorm, noGrad, scope, Tensor, zeroGrad } from "@forno/gpu";
import type { GPT } from "@forno/model";
import { assertFinite } from "./errors.ts";
import { pairwiseLoss } from "./ops/losses.ts";
import { rowSum } from "./ops/sequence.ts";
import { packPairs, type EncodedPair } from "./reward-model.ts";
import { tokenLogprobs, uploadBatch } from "./sequences.ts";

/** Summed response log-probs (2B) f32 of the packed pairs [chosen (B), rejected (B)] under `model`. */
export function pairLogprobs(model: GPT, pairs: readonly EncodedPair[]): Tensor {
  const t = uploadBatch(packPairs(pairs));
  const { logp } = tokenLogprobs(model, t);
  return rowSum(logp.reshape(t.mask.shape), t.mask);
}

/** The reference's summed log-probs per pair, [chosen (B), rejected (B)], no gradient. */
export async function referenceLogprobs(reference: GPT, pairs: readonly EncodedPair[]): Promise<Float32Array> {
  return noGrad(() => scope(async () => (await pairLogprobs(reference, pairs).read()) as Float32Array));
}

/** loss (1) and the policy's summed log-probs (2B), given the reference's (2B) from `referenceLogprobs`. */
export function dpoLoss(policy: GPT, pairs: readonly EncodedPair[], refLogps: Float32Array, beta: number): { loss: Tensor; logps: Tensor } {
  const B = pairs.length;
  const offset = Float32Array.from({ length: B }, (_, b) => beta * (refLogps[b]! - refLogps[B + b]!)); // (B)
  const logps = pairLogprobs(policy, pairs);
  return { loss: pairwiseLoss(logps, Tensor.from(offset), beta).loss, logps };
}

export interface DpoStats {
  loss: number;
  /** Fraction of pairs whose implicit reward β(π − π_ref) is higher for the chosen response. */
  rewardAccuracy: number;
  /** Mean implicit reward margin (chosen − rejected). */
  rewardMargin: number;
  chosenReward: number;
  rejectedReward: number;
  gradNorm: number;
}

/** Implicit-reward statistics from the policy's and reference's summed log-probs (2B each). */
export function dpoRewards(logps: ArrayLike<number>, refLogps: ArrayLike<number>, beta: number): Omit<DpoStats, "loss" | "gradNorm"> {
  const B = refLogps.length / 2;
  let acc = 0;
  let chosen = 0;
  let rejected = 0;
  for (let b = 0; b < B; b++) {
    const rc = beta * (logps[b]! - refLogps[b]!);
    const rr = beta * (logps[B + b]! - refLogps[B + b]!);
    acc += rc > rr ? 1 : 0;
    chosen += rc;
    rejected += rr;
  }
  return { rewardAccuracy: acc / B, rewardMargin: (chosen - rejected) / B, chosenReward: chosen / B, rejectedReward: rejected / B };
}

/** One DPO optimizer step, read back after it is recorded; throws NonFiniteError naming `step` before updating on NaN/inf. */
export async function dpoStep(
  policy: GPT,
  opt: AdamW,
  pairs: readonly EncodedPair[],
  refLogps: Float32Array,
  opts: { step: number; lr: number; beta: number; gradClip?: number },
): Promise<DpoStats> {
  const params = policy.parameters();
  return scope(async () => {
    const { loss, logps } = dpoLoss(policy, pairs, refLogps, opts.beta);
    backward(loss);
    const clip = clipGradNorm(params, opts.gradClip ?? 1);
    const [l, lp, n] = await Promise.all([loss.read(), logps.read(), clip.norm.read()]);
    try {
      assertFinite("DPO loss", opts.step, [l[0]!, n[0]!]);
      opt.step({ lr: opts.lr, gradScale: clip.scale });
    } finally {
      zeroGrad(params);
    }
    return { loss: l[0]!, gradNorm: n[0]!, ...dpoRewards(lp, refLogps, opts.beta) };
  });
}
