/**
 * GRPO (Shao et al. 2024): G responses per prompt, each response's advantage its reward normalised within
 * its group, (r − mean) / (std + eps), shared by all its tokens; the clipped objective with an optional
 * k3 KL penalty to the reference inside the loss; no value head. Rewards come from verifiable checkers
 * (e.g. `isArithmeticCorrect`) or the reward model. Checkpointing and logging are left to the stage.
 */
import { AdamW } from "@forno/gpu";
import { Rng, type GPT } from "@forno/model";
import { clippedUpdate, rolloutKl, rolloutLogprobs, sampleScored, type RewardFn, type TrainerState } from "./rollout.ts";
import type { SampleOptions, Sampler } from "./sampler.ts";

/** Advantages for rewards laid out as consecutive groups of G: (r − group mean) / (group std + eps), population std. */
export function groupAdvantages(rewards: readonly number[], G: number, eps = 1e-6): number[] {
  const out: number[] = [];
  for (let g = 0; g < rewards.length; g += G) {
    const group = rewards.slice(g, g + G);
    const mean = group.reduce((a, b) => a + b, 0) / group.length;
    const std = Math.sqrt(group.reduce((a, r) => a + (r - mean) ** 2, 0) / group.length);
    for (const r of group) out.push((r - mean) / (std + eps));
  }
  return out;
}

/** The k3 estimator of KL(π‖π_ref) at one token: exp(ref − logp) − (ref − logp) − 1 (≥ 0, 0 when equal). */
export function k3(logp: number, refLogp: number): number {
  const d = refLogp - logp;
  return Math.exp(d) - d - 1;
}

export interface GrpoOptions {
  sample: SampleOptions;
  /** G: samples per prompt. */
  groupSize: number;
  lr: number;
  /** Steps over which the learning rate ramps linearly from lr/warmupSteps to lr (Adam's first steps are the noisiest); default 0. */
  warmupSteps?: number;
  /** Default 1 (the ratio then stays 1 and clipping guards only repeated passes). */
  epochs?: number;
  /** Sequences per minibatch; default all of a step's. */
  minibatchSize?: number;
  /** Default 0.2. */
  clipEps?: number;
  /** k3 KL coefficient β; 0 turns the penalty off. */
  klCoef: number;
  /** Default 1. */
  gradClip?: number;
  seed?: number;
  /**
   * Leave groups whose G rewards are all equal (all right or all wrong) out of the update. Their
   * advantages are all 0, so they add only the KL term's gradient while costing a full forward and
   * backward; with a 0/1 checker most groups are such (DAPO's "dynamic sampling" drops them too).
   * A step where every group is uniform makes no update. Default false.
   */
  dropUniformGroups?: boolean;
}

/** Per step; KL, entropy and length are over the sequences trained on (only mixed groups' when dropping uniform ones). */
export interface GrpoStats {
  step: number;
  /** Mean reward over all G·prompts samples. */
  reward: number;
  /** Mean k3 KL per response token during the update. */
  kl: number;
  /** Mean Σ_t (logπ − logπ_ref) per response at rollout time. */
  sequenceKl: number;
  entropy: number;
  clipFraction: number;
  policyLoss: number;
  responseLength: number;
  /** Fraction of groups whose rewards differ (the rest have zero advantage). */
  mixedGroups: number;
}

/** Indices of the groups of G consecutive rewards that are not all equal. */
export function mixedGroupIndices(rewards: readonly number[], G: number): number[] {
  const out: number[] = [];
  for (let g = 0; g * G < rewards.length; g++) {
    const group = rewards.slice(g * G, (g + 1) * G);
    if (Math.max(...group) !== Math.min(...group)) out.push(g);
  }
  return out;
}

export class GrpoTrainer {
  readonly opt: AdamW;
  private rng: Rng;
  private steps = 0;

  constructor(
    readonly policy: GPT,
    readonly reference: GPT,
    readonly sampler: Sampler,
    readonly reward: RewardFn,
    readonly o: GrpoOptions,
  ) {
    this.opt = new AdamW(policy.parameters(), { lr: o.lr, weightDecay: 0 });
    this.rng = Rng.fromSeed(o.seed ?? 1);
  }

  state(): TrainerState {
    return { steps: this.steps, rng: this.rng.state() };
  }

  /** Continues from a saved `state()` (the caller restores the weights and `opt`'s moments). */
  restore(s: TrainerState): void {
    this.steps = s.steps;
    this.rng = Rng.fromState(s.rng);
  }

  /** G samples for each of `prompts`, then the update; throws NonFiniteError before applying a NaN/inf step. */
  async step(prompts: number[][]): Promise<GrpoStats> {
    const step = ++this.steps;
    const G = this.o.groupSize;
    const sampled = await sampleScored(this.sampler, prompts.flatMap((p) => Array<number[]>(G).fill(p)), this.o.sample, this.reward, step);
    const advantage = groupAdvantages(sampled.scores, G);
    const mixed = mixedGroupIndices(sampled.scores, G);
    const update = !this.o.dropUniformGroups || mixed.length > 0;
    // The sequences to train on: the mixed groups' when dropping uniform ones, else all (also to measure KL on a step with no update).
    const rows = (this.o.dropUniformGroups && mixed.length > 0 ? mixed : prompts.map((_, g) => g)).flatMap((g) => Array.from({ length: G }, (_, j) => g * G + j));
    const r = await rolloutLogprobs(this.policy, this.reference, rows.map((i) => sampled.seqs[i]!), rows.map((i) => sampled.scores[i]!));
    const { B, T } = r.batch;
    const advantages = new Float32Array(B * T).map((_, i) => advantage[rows[Math.floor(i / T)]!]! * r.batch.mask[i]!);
    const u = update
      ? await clippedUpdate(this.policy, this.opt, r, { advantages }, {
          step,
          lr: this.o.lr * Math.min(1, step / Math.max(1, this.o.warmupSteps ?? 0)),
          epochs: this.o.epochs ?? 1,
          minibatchSize: this.o.minibatchSize ?? B,
          clipEps: this.o.clipEps ?? 0.2,
          klCoef: this.o.klCoef,
          gradClip: this.o.gradClip ?? 1,
          randInt: (n) => this.rng.int(n),
        })
      : { kl: 0, clipFraction: 0, policyLoss: 0 };
    const { kl, entropy, responseLength } = rolloutKl(r);
    const reward = sampled.scores.reduce((a, s) => a + s, 0) / sampled.scores.length;
    return { step, reward, kl: u.kl, sequenceKl: kl, entropy, clipFraction: u.clipFraction, policyLoss: u.policyLoss, responseLength, mixedGroups: mixed.length / prompts.length };
  }
}
