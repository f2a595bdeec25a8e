/**
 * What PPO and GRPO share: sampling responses, scoring them, the rollout-time log-probs of the policy
 * and the reference (no gradient, read back once), and the clipped-objective update over minibatches of
 * sequences. Rewards come from a `RewardFn`: a verifiable checker or the reward model (`rewardModelFn`).
 */
import { add, AdamW, backward, clipGradNorm, matmul, noGrad, scale, scope, Tensor, zeroGrad } from "@forno/gpu";
import type { GPT, RngState } from "@forno/model";
import { assertFinite } from "./errors.ts";
import { logprob } from "@forno/gpu";
import type { ScalarHead } from "./heads.ts";
import { clippedPolicyLoss, clippedValueLoss } from "./ops/losses.ts";
import type { RewardModel } from "./reward-model.ts";
import type { SampleOptions, Sampler } from "./sampler.ts";
import { packSequences, tokenLogprobs, uploadBatch, type PackedBatch, type Sequence } from "./sequences.ts";

/**
 * What a PPO or GRPO learner needs beyond its weights and optimizer (`opt`) to continue a run exactly:
 * the steps it has taken, its minibatch RNG and, for PPO, the KL coefficient β the controller reached.
 */
export interface TrainerState {
  steps: number;
  rng: RngState;
  klCoef?: number;
}

/** Scores (one per sequence) of prompt + response token sequences. */
export type RewardFn = (seqs: readonly Sequence[]) => Promise<number[]>;

export function rewardModelFn(rm: RewardModel): RewardFn {
  return (seqs) => rm.score(seqs);
}

export interface Rollout {
  seqs: Sequence[];
  batch: PackedBatch;
  scores: number[];
  /** (B·T) rollout-time log-probs of the policy, 0 off the response */
  oldLogp: Float32Array;
  /** (B·T) the reference's log-probs */
  refLogp: Float32Array;
  /** (B·T) the policy's entropy at each position */
  entropy: Float32Array;
  /** (B·T) value predictions, when a value head is given */
  values: Float32Array | null;
}

/** Samples a response per prompt (repeat prompts for groups), scores them, and computes rollout-time log-probs. */
export async function collectRollout(
  policy: GPT,
  reference: GPT,
  sampler: Sampler,
  prompts: number[][],
  sample: SampleOptions,
  reward: RewardFn,
  step: number,
  valueHead?: ScalarHead,
): Promise<Rollout> {
  const { seqs, scores } = await sampleScored(sampler, prompts, sample, reward, step);
  return rolloutLogprobs(policy, reference, seqs, scores, valueHead);
}

/** A response per prompt and its score; throws NonFiniteError on a NaN/inf reward. */
export async function sampleScored(sampler: Sampler, prompts: number[][], sample: SampleOptions, reward: RewardFn, step: number): Promise<{ seqs: Sequence[]; scores: number[] }> {
  const { tokens } = await sampler(prompts, sample);
  const seqs = prompts.map((prompt, i) => ({ prompt, response: tokens[i]! }));
  const scores = await reward(seqs);
  assertFinite("reward", step, scores);
  return { seqs, scores };
}

/** The rollout of scored sequences: the policy's and the reference's log-probs (no gradient, read back once). */
export async function rolloutLogprobs(policy: GPT, reference: GPT, seqs: Sequence[], scores: number[], valueHead?: ScalarHead): Promise<Rollout> {
  const batch = packSequences(seqs);
  const [oldLogp, entropy, refLogp, values] = await noGrad(() =>
    scope(async () => {
      const t = uploadBatch(batch);
      const { hidden, logits } = policyForward(policy, t.idx);
      const cur = logprob(logits, t.targets);
      const ref = tokenLogprobs(reference, t).logp;
      const v = valueHead ? valueHead.forward(hidden) : null;
      return Promise.all([cur.logp.read(), cur.entropy.read(), ref.read(), v?.read() ?? null]);
    }),
  );
  return { seqs, batch, scores, oldLogp: oldLogp as Float32Array, entropy: entropy as Float32Array, refLogp: refLogp as Float32Array, values: values as Float32Array | null };
}

/** Hidden states (B·T, C) and logits (B·T, V) in one pass, so a value head can share the backbone. */
function policyForward(policy: GPT, idx: Tensor): { hidden: Tensor; logits: Tensor } {
  const [B, T] = idx.shape as [number, number];
  const hidden = policy.hidden(idx).reshape([B * T, policy.config.nEmbd]);
  return { hidden, logits: matmul(hidden, policy.params.get("wte.weight")!, { transB: true }) };
}

/** Per-token training targets of one optimisation pass over a rollout, all (B·T) in the batch's layout. */
export interface UpdateTargets {
  advantages: Float32Array;
  /** PPO only: GAE returns for the value loss. */
  returns?: Float32Array;
}

export interface UpdateOptions {
  step: number;
  lr: number;
  epochs: number;
  /** Sequences per minibatch. */
  minibatchSize: number;
  clipEps: number;
  /** k3 KL coefficient inside the loss (GRPO); 0 for PPO, whose KL is in the reward. */
  klCoef: number;
  gradClip: number;
  /** PPO: value head, clip range and loss weight. */
  value?: { head: ScalarHead; clipEps: number; coef: number };
  /** Shuffles minibatch order: returns an integer in [0, n). */
  randInt: (n: number) => number;
}

export interface UpdateStats {
  policyLoss: number;
  valueLoss: number;
  clipFraction: number;
  /** Mean k3 KL to the reference during the update. */
  kl: number;
}

/** The given rows (each T long) of a (B·T) array, in order. */
function rowsOf<A extends Float32Array | Int32Array>(a: A, rows: number[], T: number): A {
  const out = new (a.constructor as new (n: number) => A)(rows.length * T);
  rows.forEach((b, i) => out.set(a.subarray(b * T, (b + 1) * T), i * T));
  return out;
}

/** K epochs of the clipped objective (and value loss) over shuffled minibatches; means over minibatches. */
export async function clippedUpdate(policy: GPT, opt: AdamW, r: Rollout, targets: UpdateTargets, o: UpdateOptions): Promise<UpdateStats> {
  const { B, T } = r.batch;
  const params = [...policy.parameters(), ...(o.value?.head.parameters() ?? [])];
  const sums = { policyLoss: 0, valueLoss: 0, clipFraction: 0, kl: 0 };
  let count = 0;
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const order = Array.from({ length: B }, (_, i) => i);
    for (let i = B - 1; i > 0; i--) {
      const j = o.randInt(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (let start = 0; start < B; start += o.minibatchSize) {
      const rows = order.slice(start, start + o.minibatchSize);
      const sub = (a: Float32Array) => Tensor.from(rowsOf(a, rows, T));
      const stats = await scope(async () => {
        const ids = Tensor.from(rowsOf(r.batch.idx, rows, T), [rows.length, T]); // (b, T) i32
        const tgt = Tensor.from(rowsOf(r.batch.targets, rows, T)); // (b·T) i32
        const mask = sub(r.batch.mask);
        const { hidden, logits } = policyForward(policy, ids);
        const { logp } = logprob(logits, tgt);
        const pol = clippedPolicyLoss({ logp, oldLogp: sub(r.oldLogp), adv: sub(targets.advantages), refLogp: sub(r.refLogp), mask }, o.clipEps, o.klCoef);
        let loss = pol.loss;
        let val: { loss: Tensor } | null = null;
        if (o.value && targets.returns && r.values) {
          val = clippedValueLoss(o.value.head.forward(hidden), sub(r.values), sub(targets.returns), mask, o.value.clipEps);
          loss = add(loss, scale(val.loss, o.value.coef));
        }
        backward(loss);
        const clip = clipGradNorm(params, o.gradClip);
        const [pl, ps, vl, n] = await Promise.all([pol.loss.read(), pol.stats.read(), val?.loss.read() ?? null, clip.norm.read()]);
        try {
          assertFinite("policy loss", o.step, [pl[0]!, vl?.[0] ?? 0, n[0]!]);
          opt.step({ lr: o.lr, gradScale: clip.scale });
        } finally {
          zeroGrad(params);
        }
        return { policyLoss: pl[0]!, valueLoss: vl?.[0] ?? 0, clipFraction: ps[0]!, kl: ps[1]! };
      });
      for (const k of Object.keys(sums) as (keyof UpdateStats)[]) sums[k] += stats[k];
      count++;
    }
  }
  return { policyLoss: sums.policyLoss / count, valueLoss: sums.valueLoss / count, clipFraction: sums.clipFraction / count, kl: sums.kl / count };
}

/** Mean over sequences of Σ_t (logp − ref) on response tokens (the sequence-level KL estimate), and mean entropy per response token. */
export function rolloutKl(r: Rollout): { kl: number; entropy: number; responseLength: number } {
  const { B, T, mask } = r.batch;
  let kl = 0;
  let entropy = 0;
  let tokens = 0;
  for (let i = 0; i < B * T; i++) {
    if (mask[i] === 0) continue;
    kl += r.oldLogp[i]! - r.refLogp[i]!;
    entropy += r.entropy[i]!;
    tokens++;
  }
  return { kl: kl / B, entropy: entropy / Math.max(1, tokens), responseLength: tokens / B };
}
