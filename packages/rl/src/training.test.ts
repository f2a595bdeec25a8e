import { beforeAll, expect, test } from "bun:test";
import { AdamW, initRuntime, runtime, scope } from "@forno/gpu";
import { expectClose } from "@forno/gpu/testing";
import { GPT, initParams, makeConfig, Rng } from "@forno/model";
import { dpoLoss, referenceLogprobs } from "./dpo.ts";
import { GrpoTrainer } from "./grpo.ts";
import { FixedKlController, PpoTrainer } from "./ppo.ts";
import { evaluateRewardModel, RewardModel, rewardModelStep, type EncodedPair } from "./reward-model.ts";
import { gptSampler } from "./sampler.ts";
import type { Sequence } from "./sequences.ts";

// A tiny random GPT (V 61, T 32, L 1, C 32): small enough for llvmpipe, big enough to learn toy tasks.
const config = makeConfig("tiny", { vocabSize: 61, contextLength: 32, nLayer: 1, nHead: 2, nEmbd: 32 });
const weights = initParams(config, 5);

beforeAll(async () => {
  await initRuntime();
  runtime().poison = true;
});

function randomPair(rng: Rng): EncodedPair {
  const prompt = [0, 1 + rng.int(50)];
  const middle = () => Array.from({ length: 1 + rng.int(4) }, () => 1 + rng.int(50));
  return { chosen: { prompt, response: [...middle(), 57] }, rejected: { prompt, response: [...middle(), 58] } };
}

test("DPO: a policy equal to the reference gives loss ln 2", async () => {
  const policy = new GPT(config, weights);
  const rng = Rng.fromSeed(3);
  const pairs = Array.from({ length: 5 }, () => randomPair(rng));
  const ref = await referenceLogprobs(policy, pairs);
  const loss = await scope(async () => (await dpoLoss(policy, pairs, ref, 0.1).loss.read())[0]!);
  expectClose([loss], [Math.LN2], 1e-6, 0, "DPO loss"); // f32 rounding of β·(π_c − π_r) only
});

test("reward model: a short training on a separable synthetic set reaches > 90% held-out accuracy", async () => {
  const rm = new RewardModel(config, weights);
  const rng = Rng.fromSeed(11);
  const train = Array.from({ length: 64 }, () => randomPair(rng));
  const heldOut = Array.from({ length: 32 }, () => randomPair(rng));
  const before = await evaluateRewardModel(rm, heldOut);
  expect(before.atChance).toBe(true); // a zero head scores every sequence 0
  const opt = new AdamW(rm.parameters(), { lr: 1e-2, weightDecay: 0 });
  for (let step = 0; step < 16; step++) {
    const s = await rewardModelStep(rm, opt, train.slice((step % 8) * 8, (step % 8) * 8 + 8), { step, lr: 1e-2 });
    expect(Number.isFinite(s.loss)).toBe(true);
  }
  const after = await evaluateRewardModel(rm, heldOut);
  expect(after.accuracy).toBeGreaterThan(0.9);
  expect(after.atChance).toBe(false);
  expect(after.meanMargin).toBeGreaterThan(0);
}, 30_000);

/** 1 for each response token equal to 7, per token: a reward that pushes toward one token. */
const sevens = async (seqs: readonly Sequence[]) => seqs.map((s) => s.response.filter((t) => t === 7).length / s.response.length);

async function grpoKl(klCoef: number): Promise<number> {
  const policy = new GPT(config, weights);
  const reference = new GPT(config, weights);
  const trainer = new GrpoTrainer(policy, reference, gptSampler(policy, Rng.fromSeed(2)), sevens, {
    sample: { maxNewTokens: 4 },
    groupSize: 8,
    lr: 2e-2,
    klCoef,
  });
  let kl = 0;
  for (let step = 0; step < 8; step++) {
    const s = await trainer.step([[0, 3], [0, 9]]);
    kl = s.sequenceKl;
  }
  return kl;
}

test("GRPO: with β large KL stays near zero; with β = 0 it grows", async () => {
  const free = await grpoKl(0);
  const held = await grpoKl(10);
  console.log(`GRPO sequence KL after 8 steps: β = 0 → ${free.toFixed(4)}, β = 10 → ${held.toFixed(4)}`);
  expect(free).toBeGreaterThan(0.5);
  expect(held).toBeLessThan(Math.min(0.2, 0.1 * free));
}, 60_000);

test("GRPO: dropping uniform groups leaves the weights alone when every group's rewards are equal", async () => {
  // A reference unlike the policy, so the KL term alone would move the weights: only the drop keeps them.
  const reference = new GPT(config, initParams(config, 99));
  const constant = async (seqs: readonly Sequence[]) => seqs.map(() => 1);
  const changed = async (dropUniformGroups: boolean) => {
    const policy = new GPT(config, weights);
    const trainer = new GrpoTrainer(policy, reference, gptSampler(policy, Rng.fromSeed(2)), constant, { sample: { maxNewTokens: 3 }, groupSize: 4, lr: 2e-2, klCoef: 0.1, dropUniformGroups });
    const before = await policy.toHost();
    const s = await trainer.step([[0, 3], [0, 9]]);
    expect(s.mixedGroups).toBe(0);
    expect(s.reward).toBe(1);
    const after = await policy.toHost();
    return [...before].some(([name, t]) => after.get(name)!.data.some((v, i) => v !== t.data[i]));
  };
  expect(await changed(true)).toBe(false);
  expect(await changed(false)).toBe(true);
  const policy = new GPT(config, weights);
  expect((await new GrpoTrainer(policy, new GPT(config, weights), gptSampler(policy, Rng.fromSeed(2)), sevens, { sample: { maxNewTokens: 4 }, groupSize: 8, lr: 2e-2, klCoef: 0, dropUniformGroups: true }).step([[0, 3], [0, 9]])).mixedGroups).toBeGreaterThan(0);
}, 30_000);

test("PPO: steps run end to end with finite statistics", async () => {
  const policy = new GPT(config, weights);
  const reference = new GPT(config, weights);
  const trainer = new PpoTrainer(policy, reference, gptSampler(policy, Rng.fromSeed(4)), sevens, {
    sample: { maxNewTokens: 3 },
    lr: 1e-2,
    epochs: 2,
    minibatchSize: 4,
    kl: new FixedKlController(0.05),
  });
  const stats = [];
  for (let step = 0; step < 3; step++) stats.push(await trainer.step([[0, 3], [0, 9], [0, 4], [0, 5], [0, 6], [0, 8]]));
  for (const s of stats) for (const v of Object.values(s)) expect(Number.isFinite(v)).toBe(true);
  expect(stats[0]!.kl).toBeCloseTo(0, 5); // the first rollout comes from a policy equal to the reference
  expect(stats[2]!.responseLength).toBe(3);
}, 30_000);
