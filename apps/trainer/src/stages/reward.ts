/**
 * The `reward` stage: a reward model (the SFT backbone plus a scalar head on the last token) learns which
 * of two responses is better, from arithmetic pairs (the right answer over a near miss) and the polite-
 * over-rude instruction pairs; `--hh FILE` adds HH-RLHF helpful pairs. Held-out pairwise accuracy is
 * reported per source, and a model at chance is reported as such. Output: runs/<run>/reward.
 */
import { join } from "node:path";
import { AdamW, scope } from "@forno/gpu";
import { readSafetensors, Rng, writeSafetensors } from "@forno/model";
import { encodePair, evaluateRewardModel, loadPreferences, RewardModel, rewardModelStep, type EncodedPair, type PreferencePair, type RewardMetrics } from "@forno/rl";
import { writeFileSync } from "node:fs";
import { type Options } from "../args.ts";
import { resolvePreset } from "../presets.ts";
import { Progress } from "../progress.ts";
import { DATA_DIR } from "../run-dir.ts";
import { arithmeticPairs, loadSftPolicy, StageRun } from "./rl-common.ts";

interface Source {
  name: string;
  train: EncodedPair[];
  heldOut: EncodedPair[];
}

/** Writes the scalar head beside the checkpoint's GPT weights. */
export function saveHead(dir: string, head: { weight: Float32Array; bias: number }): void {
  writeSafetensors(join(dir, "head.safetensors"), new Map([
    ["head.weight", { shape: [head.weight.length], data: head.weight }],
    ["head.bias", { shape: [1], data: new Float32Array([head.bias]) }],
  ]));
}

export function loadHead(dir: string): { weight: Float32Array; bias: number } {
  const t = readSafetensors(join(dir, "head.safetensors")).tensors;
  return { weight: t.get("head.weight")!.data as Float32Array, bias: (t.get("head.bias")!.data as Float32Array)[0]! };
}

export async function rewardStage(opts: Options): Promise<Map<string, RewardMetrics>> {
  const preset = resolvePreset(opts);
  const rl = preset.rl;
  const steps = Number(opts.steps ?? rl.rewardSteps);
  const lr = Number(opts.lr ?? rl.rewardLr);
  const policy = await loadSftPolicy(opts, "reward");
  const run = new StageRun(opts, "reward");
  const T = policy.config.contextLength;
  const encode = (name: string, pairs: PreferencePair[]): Source => {
    const enc = pairs.map((p) => encodePair(policy.tokenizer, p, T));
    return { name, train: enc.filter((_, i) => i % 10 !== 0), heldOut: enc.filter((_, i) => i % 10 === 0) };
  };
  const sources = [
    encode("arithmetic (right vs near miss)", arithmeticPairs(2000, 11, preset.task)),
    encode("instructions (polite vs rude)", loadPreferences(join(DATA_DIR, "preference-rasbt.jsonl")).pairs),
  ];
  if (opts.hh) sources.push(encode("HH-RLHF helpful", loadPreferences(String(opts.hh)).pairs));
  const train = sources.flatMap((s) => s.train);
  console.log(`reward: from ${policy.from}; ${train.length} training pairs (${sources.map((s) => `${s.name}: ${s.train.length} + ${s.heldOut.length} held out`).join("; ")}); ${steps} steps of ${rl.rewardBatch} pairs`);

  const rm = new RewardModel(policy.config, policy.weights);
  const opt = new AdamW(rm.parameters(), { lr, weightDecay: 0 });
  const rng = Rng.fromSeed(3);
  const bar = new Progress({ label: "reward", total: steps, unit: "steps" });
  for (let step = 1; step <= steps; step++) {
    const batch = Array.from({ length: rl.rewardBatch }, () => train[rng.int(train.length)]!);
    const stats = await rewardModelStep(rm, opt, batch, { step, lr });
    run.log({ step, ...stats } as never);
    bar.update(step, { loss: stats.loss, acc: stats.accuracy });
  }
  const results = new Map<string, RewardMetrics>();
  const lines = ["# Reward model", "", `From \`${policy.from}\`, ${steps} steps. Held-out pairwise accuracy (pairs the model never trained on):`, "", "| pairs | held out | accuracy | mean margin | verdict |", "|---|---:|---:|---:|---|"];
  for (const s of sources) {
    const m = await scope(() => evaluateRewardModel(rm, s.heldOut));
    results.set(s.name, m);
    const verdict = m.atChance ? "at chance (no better than a coin)" : m.accuracy > 0.5 ? "better than chance" : "worse than chance";
    lines.push(`| ${s.name} | ${m.pairs} | ${(100 * m.accuracy).toFixed(1)}% | ${m.meanMargin.toFixed(3)} | ${verdict} |`);
    console.log(`  ${s.name}: held-out accuracy ${(100 * m.accuracy).toFixed(1)}% on ${m.pairs} pairs (${verdict})`);
  }
  const dir = await run.save(steps, rm.gpt, policy.tokenizerDir, Object.fromEntries([...results].map(([k, v]) => [k, v.accuracy])));
  saveHead(dir, await rm.head.toHost());
  writeFileSync(join(run.dir, "report.md"), lines.join("\n") + "\n");
  console.log(`reward: checkpoint ${dir}`);
  return results;
}
