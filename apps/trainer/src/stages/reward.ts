/**
 * The `reward` stage: a reward model (the SFT backbone plus a scalar head on the last token) learns which
 * of two responses is better, from the pairs `reward-data.ts` gathers (arithmetic, polite-over-rude
 * instructions, HH-RLHF helpful dialogues, and the server's feedback with --from-db). Held-out pairwise
 * accuracy is reported per source, and a model at chance is reported as such. `--resume` continues from
 * the newest checkpoint with the optimizer's moments and the batch RNG. Output: runs/<run>/reward
 * (metrics.jsonl, report.md, heldout.json, checkpoints with head.safetensors).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { AdamW, scope } from "@forno/gpu";
import { Rng } from "@forno/model";
import { evaluateRewardModel, REWARD_HEAD_FILE, RewardModel, rewardModelStep, type RewardMetrics } from "@forno/rl";
import { numberOption, type Options } from "../args.ts";
import { resolvePreset } from "../presets.ts";
import { Progress } from "../progress.ts";
import { rewardSources, type Source } from "./reward-data.ts";
import { loadSftPolicy } from "./rl-common.ts";
import { StageRun } from "./stage-run.ts";

function verdict(s: Source, m: RewardMetrics): string {
  if (s.heldOut.length === 0) return s.note ?? "nothing held out";
  return m.atChance ? "at chance (no better than a coin)" : m.accuracy > 0.5 ? "better than chance" : "worse than chance";
}

export async function rewardStage(opts: Options): Promise<Map<string, RewardMetrics>> {
  const preset = resolvePreset(opts);
  const rl = preset.rl;
  const steps = numberOption(opts, "steps", rl.rewardSteps, { integer: true });
  const lr = numberOption(opts, "lr", rl.rewardLr);
  const policy = await loadSftPolicy(opts, "reward");
  const run = new StageRun(opts, "reward");
  const resumed = run.resume(opts, REWARD_HEAD_FILE);
  const sources = await rewardSources(opts, policy, preset);
  const train = sources.flatMap((s) => s.train);
  console.log(`reward: from ${policy.from}${resumed ? ` (resuming at step ${resumed.step})` : ""}; ${train.length} training pairs (${sources.map((s) => `${s.name}: ${s.train.length} + ${s.heldOut.length} held out`).join("; ")}); ${steps} steps of ${rl.rewardBatch} pairs`);

  const rm = new RewardModel(policy.config, resumed?.weights ?? policy.weights, resumed?.head ?? undefined);
  const opt = new AdamW(rm.parameters(), { lr, weightDecay: 0 });
  resumed?.restoreOptimizer(opt, rm.gpt);
  const rng = resumed?.rng.batches ? Rng.fromState(resumed.rng.batches) : Rng.fromSeed(3);
  const save = (step: number, metadata?: Record<string, unknown>) =>
    run.save(step, { model: rm.gpt, opt, head: { file: REWARD_HEAD_FILE, head: rm.head }, rng: { batches: rng }, tokenizerDir: policy.tokenizerDir, metadata });
  const bar = new Progress({ label: "reward", total: steps, unit: "steps" });
  for (let step = (resumed?.step ?? 0) + 1; step <= steps; step++) {
    const batch = Array.from({ length: rl.rewardBatch }, () => train[rng.int(train.length)]!);
    const stats = await rewardModelStep(rm, opt, batch, { step, lr });
    run.log({ step, ...stats });
    bar.update(step, { loss: stats.loss, acc: stats.accuracy });
    if (step % rl.checkpointEvery === 0 && step < steps) await save(step);
  }

  const results = new Map<string, RewardMetrics>();
  const lines = ["# Reward model", "", `From \`${policy.from}\`, ${steps} steps. Held-out pairwise accuracy (pairs the model never trained on; chance is 50%, and a figure within two standard errors of it is called chance):`, "", "| pairs | held out | accuracy | mean margin | verdict |", "|---|---:|---:|---:|---|"];
  const t0 = performance.now();
  for (const s of sources) {
    const m = await scope(() => evaluateRewardModel(rm, s.heldOut));
    results.set(s.name, m);
    const figures = s.heldOut.length === 0 ? "— | —" : `${(100 * m.accuracy).toFixed(1)}% ± ${(100 * m.stderr).toFixed(1)} | ${m.meanMargin.toFixed(3)}`;
    lines.push(`| ${s.name} | ${m.pairs} | ${figures} | ${verdict(s, m)} |`);
    console.log(`  ${s.name}: ${s.heldOut.length === 0 ? verdict(s, m) : `held-out accuracy ${(100 * m.accuracy).toFixed(1)}% on ${m.pairs} pairs (${verdict(s, m)})`}`);
  }
  console.log(`reward: held-out evaluation took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const dir = await save(steps, { heldOutAccuracy: Object.fromEntries([...results].map(([k, v]) => [k, v.accuracy])) });
  writeFileSync(join(run.dir, "report.md"), lines.join("\n") + "\n");
  writeFileSync(join(run.dir, "heldout.json"), JSON.stringify(Object.fromEntries(results), null, 2) + "\n");
  console.log(`reward: checkpoint ${dir}`);
  return results;
}
