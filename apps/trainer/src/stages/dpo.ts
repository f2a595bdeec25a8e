/**
 * The `dpo` stage: direct preference optimisation of the SFT assistant on arithmetic pairs (the right
 * answer over a near miss), against the frozen SFT model as the reference. Output: runs/<run>/dpo.
 */
import { AdamW } from "@forno/gpu";
import { GPT, Rng } from "@forno/model";
import { dpoStep, encodePair, referenceLogprobs, type DpoStats } from "@forno/rl";
import type { Options } from "../args.ts";
import { resolvePreset } from "../presets.ts";
import { Progress } from "../progress.ts";
import { arithmeticPairs, loadSftPolicy, StageRun } from "./rl-common.ts";

export async function dpoStage(opts: Options): Promise<DpoStats[]> {
  const preset = resolvePreset(opts);
  const rl = preset.rl;
  const steps = Number(opts.steps ?? rl.dpoSteps);
  const lr = Number(opts.lr ?? rl.dpoLr);
  const policy = await loadSftPolicy(opts, "dpo");
  const run = new StageRun(opts, "dpo");
  const resumed = run.resumeFrom(opts);
  const model = new GPT(policy.config, resumed?.weights ?? policy.weights);
  const reference = new GPT(policy.config, policy.weights);
  const pairs = arithmeticPairs(steps * rl.dpoBatch, 77, preset.task).map((p) => encodePair(policy.tokenizer, p, policy.config.contextLength));
  const opt = new AdamW(model.parameters(), { lr, weightDecay: 0 });
  console.log(`dpo: from ${policy.from}${resumed ? ` (resuming at step ${resumed.step})` : ""}; ${steps} steps of ${rl.dpoBatch} arithmetic pairs, β ${rl.dpoBeta}`);
  const bar = new Progress({ label: "dpo", total: steps, unit: "steps" });
  const rng = Rng.fromSeed(5);
  const all: DpoStats[] = [];
  for (let step = (resumed?.step ?? 0) + 1; step <= steps; step++) {
    const batch = Array.from({ length: rl.dpoBatch }, () => pairs[rng.int(pairs.length)]!);
    const stats = await dpoStep(model, opt, batch, await referenceLogprobs(reference, batch), { step, lr, beta: rl.dpoBeta });
    all.push(stats);
    run.log({ step, ...stats } as never);
    bar.update(step, { loss: stats.loss, acc: stats.rewardAccuracy });
    if (step % rl.checkpointEvery === 0 || step === steps) await run.save(step, model, policy.tokenizerDir);
  }
  console.log(`dpo: final loss ${all.at(-1)?.loss.toFixed(4) ?? "n/a"}, reward accuracy ${all.at(-1)?.rewardAccuracy.toFixed(3) ?? "n/a"} → ${run.dir}`);
  return all;
}
