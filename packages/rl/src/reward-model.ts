/**
 * The reward model: a GPT backbone (initialised from an SFT checkpoint's weights) with a scalar head
 * read at each sequence's last real token, trained on preference pairs with the pairwise loss
 * −log σ(r_chosen − r_rejected − margin). Held-out metrics are pairwise accuracy and mean margin, and a
 * model whose accuracy is within two standard errors of 50% is flagged as at chance rather than hidden.
 * Checkpoint I/O and the training schedule are left to the stage.
 */
import { AdamW, backward, clipGradNorm, noGrad, scope, Tensor, zeroGrad } from "@forno/gpu";
import { GPT, type GPTConfig } from "@forno/model";
import { assertFinite } from "./errors.ts";
import { ScalarHead } from "./heads.ts";
import { pairwiseLoss } from "./ops/losses.ts";
import { gatherRows } from "./ops/sequence.ts";
import { packSequences, type PackedBatch, type Sequence } from "./sequences.ts";

export interface EncodedPair {
  chosen: Sequence;
  rejected: Sequence;
}

export class RewardModel {
  readonly gpt: GPT;
  readonly head: ScalarHead;

  /** `weights`: GPT parameters (e.g. an SFT checkpoint's); `head`: a trained head, else zeros. */
  constructor(config: GPTConfig, weights: Map<string, Float32Array>, head?: { weight: Float32Array; bias: number }) {
    this.gpt = new GPT(config, weights);
    this.head = new ScalarHead(config.nEmbd, head?.weight, head?.bias);
  }

  parameters(): Tensor[] {
    return [...this.gpt.parameters(), ...this.head.parameters()];
  }

  /** Rewards (B) f32 of a packed batch, read at each sequence's last token. */
  rewards(batch: PackedBatch): Tensor {
    const h = this.gpt.hidden(Tensor.from(batch.idx, [batch.B, batch.T])).reshape([batch.B * batch.T, this.gpt.config.nEmbd]); // (B·T, C)
    const last = gatherRows(h, Tensor.from(batch.lastRows), batch.lastRows); // (B, C)
    return this.head.forward(last);
  }

  /** Rewards of whole prompt + response sequences, no gradient. */
  async score(seqs: readonly Sequence[]): Promise<number[]> {
    return noGrad(() => scope(async () => Array.from(await this.rewards(packSequences(seqs)).read())));
  }
}

/** Chosen sequences then rejected ones, so rewards (2B) are [r_chosen, r_rejected] for the pairwise kernel. */
export function packPairs(pairs: readonly EncodedPair[]): PackedBatch {
  return packSequences([...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)]);
}

/** loss (1) = mean −log σ(r_c − r_r − margin), stats (2) = [accuracy, mean r_c − r_r]. */
export function rewardModelLoss(rm: RewardModel, pairs: readonly EncodedPair[], margin = 0): { loss: Tensor; stats: Tensor } {
  return pairwiseLoss(rm.rewards(packPairs(pairs)), Tensor.full([pairs.length], margin), 1);
}

export interface RewardStepStats {
  loss: number;
  accuracy: number;
  margin: number;
  gradNorm: number;
}

/** One optimizer step on a batch of pairs, read back after it is recorded; throws NonFiniteError (naming `step`) before updating on NaN/inf. */
export async function rewardModelStep(
  rm: RewardModel,
  opt: AdamW,
  pairs: readonly EncodedPair[],
  opts: { step: number; lr: number; gradClip?: number; margin?: number },
): Promise<RewardStepStats> {
  const params = rm.parameters();
  return scope(async () => {
    const { loss, stats } = rewardModelLoss(rm, pairs, opts.margin ?? 0);
    backward(loss);
    const clip = clipGradNorm(params, opts.gradClip ?? 1);
    const [l, s, n] = await Promise.all([loss.read(), stats.read(), clip.norm.read()]);
    const out = { loss: l[0]!, accuracy: s[0]!, margin: s[1]!, gradNorm: n[0]! };
    try {
      assertFinite("reward model loss", opts.step, [out.loss, out.gradNorm]);
      opt.step({ lr: opts.lr, gradScale: clip.scale });
    } finally {
      zeroGrad(params);
    }
    return out;
  });
}

export interface RewardMetrics {
  pairs: number;
  /** Fraction of pairs with r_chosen > r_rejected (ties count half). */
  accuracy: number;
  /** Mean r_chosen − r_rejected. */
  meanMargin: number;
  /** Standard error of the accuracy under chance (√(0.25 / pairs)). */
  stderr: number;
  /** true when |accuracy − 0.5| ≤ 2·stderr: no evidence the model beats a coin flip. */
  atChance: boolean;
}

/** Held-out pairwise accuracy and margin, `batchSize` pairs per forward. */
export async function evaluateRewardModel(rm: RewardModel, pairs: readonly EncodedPair[], batchSize = 8): Promise<RewardMetrics> {
  let correct = 0;
  let margin = 0;
  for (let i = 0; i < pairs.length; i += batchSize) {
    const chunk = pairs.slice(i, i + batchSize);
    const r = await rm.score([...chunk.map((p) => p.chosen), ...chunk.map((p) => p.rejected)]);
    chunk.forEach((_, b) => {
      const d = r[b]! - r[chunk.length + b]!;
      correct += d > 0 ? 1 : d === 0 ? 0.5 : 0; // a tie is a coin flip
      margin += d;
    });
  }
  const n = Math.max(1, pairs.length);
  const accuracy = correct / n;
  const stderr = Math.sqrt(0.25 / n);
  assertFinite("reward model held-out margin", 0, [margin]);
  return { pairs: pairs.length, accuracy, meanMargin: margin / n, stderr, atChance: Math.abs(accuracy - 0.5) <= 2 * stderr };
}
