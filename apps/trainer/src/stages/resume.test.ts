/**
 * --resume continues the reward and RL stages exactly: N steps, then --resume to 2N, logs the same
 * metrics as 2N steps in one go (the optimizer's moments, the RNGs and PPO's value head and β are in
 * the checkpoints). On the smoke preset with a tiny random SFT model.
 */
import { expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Options } from "../args.ts";
import { tinySftRuns } from "../testing/tiny-sft.ts";
import { dpoStage } from "./dpo.ts";
import { grpoStage } from "./grpo.ts";
import { ppoStage } from "./ppo.ts";
import { rewardStage } from "./reward.ts";

setDefaultTimeout(120_000);

const run = tinySftRuns();

function metrics(r: string, stage: string): Record<string, number>[] {
  return readFileSync(join(r, stage, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
}

/** Runs `stage` for 2N steps in one run and N + (--resume) N in another; returns both metric logs. */
async function straightAndResumed(stage: (o: Options) => Promise<unknown>, name: string, n: number, opts: Options = {}) {
  const a = await run();
  await stage({ run: a, preset: "smoke", steps: 2 * n, ...opts });
  const b = await run();
  await stage({ run: b, preset: "smoke", steps: n, ...opts });
  await stage({ run: b, preset: "smoke", steps: 2 * n, resume: true, ...opts });
  return { straight: metrics(a, name), resumed: metrics(b, name) };
}

function expectSame(straight: Record<string, number>[], resumed: Record<string, number>[], fields: string[]): void {
  expect(resumed.map((m) => m.step)).toEqual(straight.map((m) => m.step));
  for (const [i, m] of straight.entries()) for (const f of fields) expect(resumed[i]![f]).toBeCloseTo(m[f]!, 5);
}

test("reward: 3 steps + --resume + 3 steps == 6 steps", async () => {
  const { straight, resumed } = await straightAndResumed(rewardStage, "reward", 3, { lr: 1e-2, hh: "none" });
  expect(straight.map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6]);
  expectSame(straight, resumed, ["loss", "accuracy", "margin", "gradNorm"]);
});

test("dpo: 3 steps + --resume + 3 steps == 6 steps", async () => {
  const { straight, resumed } = await straightAndResumed(dpoStage, "dpo", 3, { lr: 1e-2 });
  expectSame(straight, resumed, ["loss", "rewardAccuracy", "rewardMargin", "gradNorm"]);
});

test("grpo: 2 steps + --resume + 2 steps == 4 steps", async () => {
  const { straight, resumed } = await straightAndResumed(grpoStage, "grpo", 2, { lr: 1e-2 });
  expectSame(straight, resumed, ["reward", "kl", "sequenceKl", "entropy", "policyLoss", "responseLength"]);
});

test("ppo: 2 steps + --resume + 2 steps == 4 steps (value head, β and moments restored)", async () => {
  const rm = await run();
  await rewardStage({ run: rm, preset: "smoke", steps: 2, lr: 1e-2, hh: "none" });
  const { straight, resumed } = await straightAndResumed(ppoStage, "ppo", 2, { lr: 1e-2, rewardModel: join(rm, "reward", "ckpt-000002") });
  expectSame(straight, resumed, ["reward", "kl", "beta", "entropy", "policyLoss", "valueLoss", "responseLength"]);
});
