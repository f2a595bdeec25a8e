/**
 * PPO as in InstructGPT (Ziegler et al. 2019; Ouyang et al. 2022): per-token reward −β·(logπ − logπ_ref)
 * (the log-ratio KL estimator) plus the reward model's or a checker's score on the last response token;
 * a value head on the policy's final hidden states; GAE(γ, λ) and advantage whitening on the host (small
 * arrays); then K epochs of the clipped policy objective and clipped value loss over minibatches. β is
 * fixed or adapted toward a target KL. Checkpointing and logging are left to the stage.
 */
import { AdamW } from "@forno/gpu";
import { Rng, type GPT } from "@forno/model";
import { ScalarHead } from "./heads.ts";
import { clippedUpdate, collectRollout, rolloutKl, type RewardFn, type TrainerState } from "./rollout.ts";
import type { SampleOptions, Sampler } from "./sampler.ts";

/**
 * Generalised advantage estimation over one response: δ_t = r_t + γ·V_{t+1} − V_t (V after the last token
 * is 0, the episode ends), A_t = δ_t + γλ·A_{t+1}; returns R_t = A_t + V_t.
 */
export function gae(rewards: readonly number[], values: readonly number[], gamma: number, lambda: number): { advantages: number[]; returns: number[] } {
  const n = rewards.length;
  const advantages = new Array<number>(n).fill(0);
  let next = 0;
  for (let t = n - 1; t >= 0; t--) {
    const delta = rewards[t]! + gamma * (t + 1 < n ? values[t + 1]! : 0) - values[t]!;
    next = delta + gamma * lambda * next;
    advantages[t] = next;
  }
  return { advantages, returns: advantages.map((a, t) => a + values[t]!) };
}

/** (x − mean) / (std + 1e-8) over all values (population std). */
export function whiten(xs: readonly number[]): number[] {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length);
  return xs.map((x) => (x - mean) / (std + 1e-8));
}

/** Adaptive KL coefficient (Ziegler et al.): β ← β·(1 + clip(KL/target − 1, ±0.2)·n/horizon). */
export class AdaptiveKlController {
  constructor(
    public value: number,
    readonly target: number,
    readonly horizon: number,
  ) {}

  /** `kl`: the measured KL per sequence; `n`: sequences in the step. */
  update(kl: number, n: number): void {
    const error = Math.min(Math.max(kl / this.target - 1, -0.2), 0.2);
    this.value *= 1 + (error * n) / this.horizon;
  }
}

export class FixedKlController {
  constructor(public value: number) {}

  update(): void {}
}

export type KlController = AdaptiveKlController | FixedKlController;

export interface PpoOptions {
  sample: SampleOptions;
  lr: number;
  /** Default 4. */
  epochs?: number;
  /** Sequences per minibatch; default all of a step's. */
  minibatchSize?: number;
  /** Policy ratio clip ε, default 0.2. */
  clipEps?: number;
  /** Value clip ε, default 0.2. */
  valueClipEps?: number;
  /** Weight of the value loss (it shares the backbone), default 0.5. */
  valueCoef?: number;
  /** Default 1 and 0.95. */
  gamma?: number;
  lambda?: number;
  /** Default 1. */
  gradClip?: number;
  kl: KlController;
  seed?: number;
  /** A trained value head to continue from (a checkpoint's); default zeros. */
  valueHead?: { weight: Float32Array; bias: number };
}

export interface PpoStats {
  step: number;
  /** Mean score of the step's responses. */
  reward: number;
  /** Mean Σ_t (logπ − logπ_ref) per response at rollout time. */
  kl: number;
  /** β used for this step's rewards. */
  beta: number;
  entropy: number;
  clipFraction: number;
  policyLoss: number;
  valueLoss: number;
  responseLength: number;
}

/** A PPO learner: the policy (trained), a frozen reference, a value head, the optimizer and the KL controller. */
export class PpoTrainer {
  readonly valueHead: ScalarHead;
  readonly opt: AdamW;
  private rng: Rng;
  private steps = 0;

  constructor(
    readonly policy: GPT,
    readonly reference: GPT,
    readonly sampler: Sampler,
    readonly reward: RewardFn,
    readonly o: PpoOptions,
  ) {
    this.valueHead = new ScalarHead(policy.config.nEmbd, o.valueHead?.weight, o.valueHead?.bias);
    this.opt = new AdamW([...policy.parameters(), ...this.valueHead.parameters()], { lr: o.lr, weightDecay: 0 });
    this.rng = Rng.fromSeed(o.seed ?? 1);
  }

  state(): TrainerState {
    return { steps: this.steps, rng: this.rng.state(), klCoef: this.o.kl.value };
  }

  /** Continues from a saved `state()` (the caller restores the weights, the value head and `opt`'s moments). */
  restore(s: TrainerState): void {
    this.steps = s.steps;
    this.rng = Rng.fromState(s.rng);
    if (s.klCoef !== undefined) this.o.kl.value = s.klCoef;
  }

  /** One rollout on `prompts` and its K-epoch update; throws NonFiniteError before applying a NaN/inf step. */
  async step(prompts: number[][]): Promise<PpoStats> {
    const step = ++this.steps;
    const { gamma = 1, lambda = 0.95 } = this.o;
    const r = await collectRollout(this.policy, this.reference, this.sampler, prompts, this.o.sample, this.reward, step, this.valueHead);
    const { B, T, mask } = r.batch;
    const beta = this.o.kl.value;
    const positions: number[][] = [];
    const perSeq = r.seqs.map((_, b) => {
      const pos = [...Array(T).keys()].map((t) => b * T + t).filter((i) => mask[i] !== 0);
      positions.push(pos);
      const rewards = pos.map((i) => -beta * (r.oldLogp[i]! - r.refLogp[i]!));
      if (rewards.length > 0) rewards[rewards.length - 1]! += r.scores[b]!;
      return gae(rewards, pos.map((i) => r.values![i]!), gamma, lambda);
    });
    const white = whiten(perSeq.flatMap((s) => s.advantages));
    const advantages = new Float32Array(B * T);
    const returns = new Float32Array(B * T);
    let k = 0;
    positions.forEach((pos, b) =>
      pos.forEach((i, j) => {
        advantages[i] = white[k++]!;
        returns[i] = perSeq[b]!.returns[j]!;
      }),
    );
    const u = await clippedUpdate(this.policy, this.opt, r, { advantages, returns }, {
      step,
      lr: this.o.lr,
      epochs: this.o.epochs ?? 4,
      minibatchSize: this.o.minibatchSize ?? B,
      clipEps: this.o.clipEps ?? 0.2,
      klCoef: 0,
      gradClip: this.o.gradClip ?? 1,
      value: { head: this.valueHead, clipEps: this.o.valueClipEps ?? 0.2, coef: this.o.valueCoef ?? 0.5 },
      randInt: (n) => this.rng.int(n),
    });
    const { kl, entropy, responseLength } = rolloutKl(r);
    this.o.kl.update(kl, B);
    const reward = r.scores.reduce((a, s) => a + s, 0) / B;
    return { step, reward, kl, beta, entropy, clipFraction: u.clipFraction, policyLoss: u.policyLoss, valueLoss: u.valueLoss, responseLength };
  }
}
