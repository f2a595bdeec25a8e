/**
 * The `dpo` stage: direct preference optimisation of the SFT assistant against the frozen SFT model as
 * the reference, on arithmetic pairs (the right answer over a near miss) and, with `--from-db`, the
 * server's feedback pairs mixed in (`--db-only`: the store's pairs alone). `--resume` continues from the
 * newest checkpoint with the optimizer's moments and the batch RNG. Output: runs/<run>/dpo.
 */
import { AdamW } from "@forno/gpu";
import { GPT, Rng } from "@forno/model";
import { dpoStep, encodePair, referenceLogprobs, type DpoStats, type PreferencePair } from "@forno/rl";
import { numberOption, UsageError, type Options } from "../args.ts";
import { resolvePreset } from "../presets.ts";
import { Progress } from "../progress.ts";
import { readStorePairs } from "./feedback-store.ts";
import { arithmeticPairs, loadSftPolicy } from "./rl-common.ts";
import { StageRun } from "./stage-run.ts";

/** Arithmetic pairs drawn from; fixed, so a run's batches do not depend on its length and --resume repeats them. */
const ARITHMETIC_PAIRS = 2000;

export async function dpoStage(opts: Options): Promise<DpoStats[]> {
  const preset = resolvePreset(opts);
  const rl = preset.rl;
  const steps = numberOption(opts, "steps", rl.dpoSteps, { integer: true });
  const lr = numberOption(opts, "lr", rl.dpoLr);
  const policy = await loadSftPolicy(opts, "dpo");
  const run = new StageRun(opts, "dpo");
  const resumed = run.resume(opts);
  const model = new GPT(policy.config, resumed?.weights ?? policy.weights);
  const reference = new GPT(policy.config, policy.weights);
  const store = await readStorePairs(opts, "dpo");
  if (opts["db-only"] && !store) throw new UsageError("dpo --db-only: give --from-db too (the store to train on)");
  const raw: PreferencePair[] = [...(opts["db-only"] ? [] : arithmeticPairs(ARITHMETIC_PAIRS, 77, preset.task)), ...(store?.pairs ?? [])];
  const pairs = raw.map((p) => encodePair(policy.tokenizer, p, policy.config.contextLength));
  const opt = new AdamW(model.parameters(), { lr, weightDecay: 0 });
  resumed?.restoreOptimizer(opt, model);
  const rng = resumed?.rng.batches ? Rng.fromState(resumed.rng.batches) : Rng.fromSeed(5);
  const what = [opts["db-only"] ? "" : "arithmetic", store ? `${store.pairs.length} from ${store.where}` : ""].filter(Boolean).join(" + ");
  console.log(`dpo: from ${policy.from}${resumed ? ` (resuming at step ${resumed.step})` : ""}; ${steps} steps of ${rl.dpoBatch} pairs (${what}), β ${rl.dpoBeta}`);
  const bar = new Progress({ label: "dpo", total: steps, unit: "steps" });
  const all: DpoStats[] = [];
  for (let step = (resumed?.step ?? 0) + 1; step <= steps; step++) {
    const batch = Array.from({ length: rl.dpoBatch }, () => pairs[rng.int(pairs.length)]!);
    const stats = await dpoStep(model, opt, batch, await referenceLogprobs(reference, batch), { step, lr, beta: rl.dpoBeta });
    all.push(stats);
    run.log({ step, ...stats });
    bar.update(step, { loss: stats.loss, acc: stats.rewardAccuracy });
    if (step % rl.checkpointEvery === 0 || step === steps) await run.save(step, { model, opt, rng: { batches: rng }, tokenizerDir: policy.tokenizerDir });
  }
  console.log(`dpo: final loss ${all.at(-1)?.loss.toFixed(4) ?? "n/a"}, reward accuracy ${all.at(-1)?.rewardAccuracy.toFixed(3) ?? "n/a"} → ${run.dir}`);
  return all;
}
