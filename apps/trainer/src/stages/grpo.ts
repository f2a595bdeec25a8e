/**
 * The `grpo` stage: the SFT assistant samples G answers to each arithmetic training problem, asked in the
 * formats of `grpoFormats` (step by step by default: there the SFT model is right often enough that a
 * group's answers differ, which is all GRPO learns from); the checker scores them 1 or 0; group-normalised
 * advantages, the clipped objective and a k3 KL penalty to the SFT model update it. Output: runs/<run>/grpo
 * (metrics; checkpoints that name their formats for the eval; --resume continues from the newest with the
 * optimizer's moments, the trainer's minibatch RNG and the sampler's RNG).
 */
import { Engine, GPT, Rng } from "@forno/model";
import { GrpoTrainer, engineSampler, type GrpoStats, type TrainerState } from "@forno/rl";
import { ROLE_TOKENS } from "@forno/tokenizer";
import { numberOption, UsageError, type Options } from "../args.ts";
import { resolvePreset } from "../presets.ts";
import { Progress } from "../progress.ts";
import { correctnessReward, formatOf, loadSftPolicy, problemPrompt, resolveRl, responseBudget, trainProblems } from "./rl-common.ts";
import { StageRun } from "./stage-run.ts";

export async function grpoStage(opts: Options): Promise<GrpoStats[]> {
  const preset = resolvePreset(opts);
  const rl = resolveRl(opts);
  const steps = numberOption(opts, "steps", rl.grpoSteps, { integer: true });
  const policy = await loadSftPolicy(opts, "grpo");
  const run = new StageRun(opts, "grpo");
  const resumed = run.resume(opts);
  const model = new GPT(policy.config, resumed?.weights ?? policy.weights);
  const reference = new GPT(policy.config, policy.weights);
  const task = rl.grpoMinDigits > (preset.task.minDigits ?? 2) ? { ...preset.task, minDigits: rl.grpoMinDigits } : preset.task;
  const problems = trainProblems(steps * rl.grpoPrompts, 500, task);
  const prompts = problems.map((p, i) => problemPrompt(policy.tokenizer, p, formatOf(rl.grpoFormats, i)));
  const byPrompt = new Map(prompts.map((ids, i) => [ids.join(","), problems[i]!]));
  const end = policy.tokenizer.specialId(ROLE_TOKENS.assistant.end);
  const samplerRng = resumed?.rng.sampler ? Rng.fromState(resumed.rng.sampler) : Rng.fromSeed(9);
  const engine = new Engine(model, { maxBatch: 16 });
  const trainer = new GrpoTrainer(model, reference, engineSampler(engine, samplerRng), correctnessReward(policy.tokenizer, byPrompt), {
    sample: { maxNewTokens: responseBudget(rl.grpoFormats, prompts, policy.config.contextLength), temperature: rl.grpoTemperature, stopIds: [end] },
    groupSize: rl.groupSize,
    lr: numberOption(opts, "lr", rl.grpoLr),
    warmupSteps: rl.grpoWarmup,
    klCoef: rl.grpoKl,
    seed: 21,
    dropUniformGroups: rl.grpoDropUniform,
  });
  if (resumed) {
    resumed.restoreOptimizer(trainer.opt, model);
    if (!resumed.extra.trainer) throw new UsageError(`grpo: ${resumed.dir} has no trainer state (written before grpo checkpoints kept it); rerun without --resume`);
    trainer.restore(resumed.extra.trainer as TrainerState);
  }
  console.log(`grpo: from ${policy.from}${resumed ? ` (resuming at step ${resumed.step})` : ""}; ${steps} steps of ${rl.grpoPrompts} problems × ${rl.groupSize} samples (asked ${rl.grpoFormats.join(" / ")}, temperature ${rl.grpoTemperature}), reward = checked answer, KL β ${rl.grpoKl}`);
  const bar = new Progress({ label: "grpo", total: steps, unit: "steps" });
  const all: GrpoStats[] = [];
  try {
    for (let step = (resumed?.step ?? 0) + 1; step <= steps; step++) {
      const stats = { ...(await trainer.step(prompts.slice((step - 1) * rl.grpoPrompts, step * rl.grpoPrompts))), step };
      all.push(stats);
      run.log({ ...stats });
      bar.update(step, { reward: stats.reward, mixed: stats.mixedGroups, kl: stats.kl });
      if (step % rl.checkpointEvery === 0 || step === steps) await run.save(step, { model, opt: trainer.opt, rng: { sampler: samplerRng }, extra: { trainer: trainer.state(), formats: rl.grpoFormats }, tokenizerDir: policy.tokenizerDir });
    }
  } finally {
    engine.dispose(); // its KV cache and decode textures
  }
  console.log(`grpo: mean reward ${all.length ? (all.reduce((a, s) => a + s.reward, 0) / all.length).toFixed(3) : "n/a"} over ${all.length} steps → ${run.dir}`);
  return all;
}
