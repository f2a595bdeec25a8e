/**
 * The `grpo` stage: the SFT assistant samples G answers to each arithmetic training problem; the checker
 * scores them 1 or 0; group-normalised advantages, the clipped objective and a k3 KL penalty to the SFT
 * model update it. Output: runs/<run>/grpo (metrics, checkpoints; --resume continues from the newest with
 * the optimizer's moments, the trainer's minibatch RNG and the sampler's RNG).
 */
import { Engine, GPT, Rng } from "@forno/model";
import { GrpoTrainer, engineSampler, type GrpoStats, type TrainerState } from "@forno/rl";
import { ROLE_TOKENS } from "@forno/tokenizer";
import { UsageError, type Options } from "../args.ts";
import { resolvePreset } from "../presets.ts";
import { Progress } from "../progress.ts";
import { correctnessReward, loadSftPolicy, problemPrompt, trainProblems } from "./rl-common.ts";
import { StageRun } from "./stage-run.ts";

export async function grpoStage(opts: Options): Promise<GrpoStats[]> {
  const preset = resolvePreset(opts);
  const rl = preset.rl;
  const steps = Number(opts.steps ?? rl.grpoSteps);
  const policy = await loadSftPolicy(opts, "grpo");
  const run = new StageRun(opts, "grpo");
  const resumed = run.resume(opts);
  const model = new GPT(policy.config, resumed?.weights ?? policy.weights);
  const reference = new GPT(policy.config, policy.weights);
  const problems = trainProblems(steps * rl.grpoPrompts, 500, preset.task);
  const byPrompt = new Map(problems.map((p) => [problemPrompt(policy.tokenizer, p).join(","), p]));
  const end = policy.tokenizer.specialId(ROLE_TOKENS.assistant.end);
  const samplerRng = resumed?.rng.sampler ? Rng.fromState(resumed.rng.sampler) : Rng.fromSeed(9);
  const engine = new Engine(model, { maxBatch: 16 });
  const trainer = new GrpoTrainer(model, reference, engineSampler(engine, samplerRng), correctnessReward(policy.tokenizer, byPrompt), {
    sample: { maxNewTokens: 8, temperature: 1, stopIds: [end] },
    groupSize: rl.groupSize,
    lr: Number(opts.lr ?? rl.grpoLr),
    klCoef: rl.grpoKl,
    seed: 21,
  });
  if (resumed) {
    resumed.restoreOptimizer(trainer.opt, model);
    if (!resumed.extra.trainer) throw new UsageError(`grpo: ${resumed.dir} has no trainer state (written before grpo checkpoints kept it); rerun without --resume`);
    trainer.restore(resumed.extra.trainer as TrainerState);
  }
  console.log(`grpo: from ${policy.from}${resumed ? ` (resuming at step ${resumed.step})` : ""}; ${steps} steps of ${rl.grpoPrompts} problems × ${rl.groupSize} samples, reward = checked answer, KL β ${rl.grpoKl}`);
  const bar = new Progress({ label: "grpo", total: steps, unit: "steps" });
  const all: GrpoStats[] = [];
  try {
    for (let step = (resumed?.step ?? 0) + 1; step <= steps; step++) {
      const prompts = problems.slice((step - 1) * rl.grpoPrompts, step * rl.grpoPrompts).map((p) => problemPrompt(policy.tokenizer, p));
      const stats = { ...(await trainer.step(prompts)), step };
      all.push(stats);
      run.log({ ...stats });
      bar.update(step, { reward: stats.reward, kl: stats.kl });
      if (step % rl.checkpointEvery === 0 || step === steps) await run.save(step, { model, opt: trainer.opt, rng: { sampler: samplerRng }, extra: { trainer: trainer.state() }, tokenizerDir: policy.tokenizerDir });
    }
  } finally {
    engine.dispose(); // its KV cache and decode textures
  }
  console.log(`grpo: mean reward ${all.length ? (all.reduce((a, s) => a + s.reward, 0) / all.length).toFixed(3) : "n/a"} over ${all.length} steps → ${run.dir}`);
  return all;
}
