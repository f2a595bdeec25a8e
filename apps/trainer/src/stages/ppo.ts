/**
 * The `ppo` stage (InstructGPT style): the SFT assistant answers arithmetic training problems (and with
 * `--from-db` the prompts people rated in the server, half of each step; `--db-only` all); the reward
 * model from the `reward` stage scores each answer at its last token, a per-token KL penalty (adaptive
 * β) keeps the policy near the SFT model, a value head and GAE give advantages, and clipped policy and
 * value losses update it over several epochs. Output: runs/<run>/ppo; each checkpoint keeps the value head
 * (value-head.safetensors), the optimizer's moments, β and the RNGs, so --resume continues exactly.
 */
import { Engine, GPT, Rng } from "@forno/model";
import { AdaptiveKlController, engineSampler, latestRewardCheckpoint, loadRewardModel, PpoTrainer, type RewardModel, rewardModelFn, type PpoStats, type TrainerState } from "@forno/rl";
import { renderPrompt, ROLE_TOKENS } from "@forno/tokenizer";
import { numberOption, UsageError, type Options } from "../args.ts";
import { resolvePreset } from "../presets.ts";
import { Progress } from "../progress.ts";
import { runPaths } from "../run-dir.ts";
import { formatOf, loadSftPolicy, problemPrompt, resolveRl, responseBudget, trainProblems } from "./rl-common.ts";
import { readStorePrompts } from "./feedback-store.ts";
import { StageRun } from "./stage-run.ts";

const VALUE_HEAD_FILE = "value-head.safetensors";

/** --rewardModel DIR, or the newest complete checkpoint of the run's reward stage. */
export function runRewardModel(opts: Options): { rm: RewardModel; dir: string } {
  const dir = opts.rewardModel ? String(opts.rewardModel) : latestRewardCheckpoint(runPaths(opts).root + "/reward");
  if (!dir) throw new UsageError("no reward model; run `bun run train reward` first or pass --rewardModel DIR");
  return { rm: loadRewardModel(dir), dir };
}

export async function ppoStage(opts: Options): Promise<PpoStats[]> {
  const preset = resolvePreset(opts);
  const rl = resolveRl(opts);
  const steps = numberOption(opts, "steps", rl.ppoSteps, { integer: true });
  const policy = await loadSftPolicy(opts, "ppo");
  const { rm, dir: rmDir } = runRewardModel(opts);
  const run = new StageRun(opts, "ppo");
  const resumed = run.resume(opts, VALUE_HEAD_FILE);
  const model = new GPT(policy.config, resumed?.weights ?? policy.weights);
  const reference = new GPT(policy.config, policy.weights);
  const problems = trainProblems(steps * rl.ppoPrompts, 900, preset.task);
  const store = await readStorePrompts(opts, "ppo");
  if (opts["db-only"] && !store) throw new UsageError("ppo --db-only: give --from-db too (the store whose prompts to answer)");
  const asked = problems.map((p, i) => problemPrompt(policy.tokenizer, p, formatOf(rl.ppoFormats, i)));
  const maxNew = responseBudget(rl.ppoFormats, asked, policy.config.contextLength);
  const storePrompts = (store?.prompts ?? []).map((messages) => renderPrompt(policy.tokenizer, { messages }).slice(-(policy.config.contextLength - maxNew)));
  /** The step's arithmetic problems; with --from-db the second half (all with --db-only) are the store's prompts in turn. */
  const stepPrompts = (step: number): number[][] => {
    const n = rl.ppoPrompts;
    const arithmetic = asked.slice((step - 1) * n, step * n);
    if (!store) return arithmetic;
    const own = opts["db-only"] ? 0 : Math.ceil(n / 2);
    return [...arithmetic.slice(0, own), ...Array.from({ length: n - own }, (_, i) => storePrompts[((step - 1) * n + i) % storePrompts.length]!)];
  };
  const end = policy.tokenizer.specialId(ROLE_TOKENS.assistant.end);
  const samplerRng = resumed?.rng.sampler ? Rng.fromState(resumed.rng.sampler) : Rng.fromSeed(13);
  const engine = new Engine(model, { maxBatch: 16 });
  const trainer = new PpoTrainer(model, reference, engineSampler(engine, samplerRng), rewardModelFn(rm), {
    sample: { maxNewTokens: maxNew, temperature: 1, stopIds: [end] },
    lr: numberOption(opts, "lr", rl.ppoLr),
    // A short horizon (two steps' worth of responses) lets β react within a 30-step run; with the
    // classic 10,000 it could move only a few percent and KL ran away from its target.
    kl: new AdaptiveKlController(rl.ppoKl, rl.ppoTargetKl, rl.ppoKlHorizon),
    seed: 31,
    valueHead: resumed?.head ?? undefined,
  });
  if (resumed) {
    resumed.restoreOptimizer(trainer.opt, model);
    if (!resumed.extra.trainer) throw new UsageError(`ppo: ${resumed.dir} has no trainer state (written before ppo checkpoints kept it); rerun without --resume`);
    trainer.restore(resumed.extra.trainer as TrainerState);
  }
  console.log(`ppo: from ${policy.from}, reward model ${rmDir}${resumed ? ` (resuming at step ${resumed.step})` : ""}; ${steps} steps of ${rl.ppoPrompts} prompts (${store ? `${opts["db-only"] ? "" : "arithmetic + "}${store.prompts.length} rated prompts from ${store.where}` : "arithmetic"}, asked ${rl.ppoFormats.join(" / ")}); adaptive KL from β ${rl.ppoKl} (target ${rl.ppoTargetKl})`);
  const bar = new Progress({ label: "ppo", total: steps, unit: "steps" });
  const all: PpoStats[] = [];
  try {
    for (let step = (resumed?.step ?? 0) + 1; step <= steps; step++) {
      const stats = { ...(await trainer.step(stepPrompts(step))), step };
      all.push(stats);
      run.log({ ...stats });
      bar.update(step, { reward: stats.reward, kl: stats.kl, beta: stats.beta });
      if (step % rl.checkpointEvery === 0 || step === steps) await run.save(step, { model, opt: trainer.opt, head: { file: VALUE_HEAD_FILE, head: trainer.valueHead }, rng: { sampler: samplerRng }, extra: { trainer: trainer.state(), formats: rl.ppoFormats }, tokenizerDir: policy.tokenizerDir });
    }
  } finally {
    engine.dispose(); // its KV cache and decode textures
  }
  console.log(`ppo: last reward ${all.at(-1)?.reward.toFixed(3) ?? "n/a"}, KL ${all.at(-1)?.kl.toFixed(3) ?? "n/a"} → ${run.dir}`);
  return all;
}
