/**
 * `bun run train [<stage>] [--config file.json] [--key value ...]`: runs one stage by name, or with no
 * stage the default pipeline on the embedded defaults. The stages' logic lives in the packages; this
 * file only parses, dispatches and reports.
 */
import { initRuntime } from "@forno/gpu";
import { checkOptions, isInputError, parseArgs, UsageError, type Options } from "./args.ts";
import { trainerOptions } from "./options.ts";
import { demo } from "./stages/demo.ts";
import { dpoStage } from "./stages/dpo.ts";
import { grpoStage } from "./stages/grpo.ts";
import { ppoStage } from "./stages/ppo.ts";
import { rewardStage } from "./stages/reward.ts";
import { evalStage } from "./stages/eval.ts";
import { exportHfStage } from "./stages/export-hf.ts";
import { pretrainStage } from "./stages/pretrain.ts";
import { selfcheck } from "./stages/selfcheck.ts";
import { sftStage } from "./stages/sft.ts";
import { tokenizerStage } from "./stages/tokenizer.ts";

interface Stage {
  about: string;
  run: (opts: Options) => Promise<unknown>;
}

const stages: Record<string, Stage> = {
  selfcheck: { about: "run every GPU op against its float64 reference on random inputs", run: selfcheck },
  demo: { about: "fit a 2-layer MLP on generated data with autograd and AdamW (--steps, --hidden)", run: demo },
  tokenizer: { about: "train a BPE vocabulary of the model's size on the corpus (--corpus, --vocab, --retrain)", run: tokenizerStage },
  pretrain: { about: "pretrain the GPT on the corpus (--preset tiny|smoke|small, --steps, --lr, ..., --resume)", run: pretrainStage },
  sft: { about: "finetune the pretrained model into an assistant on conversations (--from DIR, --steps, ..., --resume)", run: sftStage },
  reward: { about: "train a reward model on preference pairs and report held-out accuracy, HH-RLHF included (--hh FILE|none, --from-db)", run: rewardStage },
  grpo: { about: "GRPO on arithmetic with checked answers as rewards (--steps, --lr, --resume)", run: grpoStage },
  ppo: { about: "PPO against the reward model with an adaptive KL penalty (--steps, --lr, --resume)", run: ppoStage },
  dpo: { about: "DPO on arithmetic preference pairs against the SFT model (--steps, --lr, --resume)", run: dpoStage },
  eval: { about: "measure held-out accuracy: base zero-/few-shot, SFT direct/step-by-step (--problems N); writes report.md", run: evalStage },
  "export-hf": { about: "write a checkpoint in the Hugging Face GPT-2 layout (--checkpoint DIR, --out DIR)", run: exportHfStage },
};

const pipeline = ["selfcheck", "tokenizer", "pretrain", "sft", "reward", "grpo", "ppo", "dpo", "eval"];

function usage(): string {
  const rows = Object.entries(stages).map(([name, s]) => `  ${name.padEnd(12)} ${s.about}`);
  return [
    "usage: bun run train [<stage>] [--config file.json] [--key value ...]",
    "",
    "common options: --run DIR (default runs/default), --preset tiny|smoke|small, --corpus FILE",
    "",
    "stages:",
    ...rows,
    "",
    `with no stage, runs the default pipeline: ${pipeline.join(" → ")}`,
  ].join("\n");
}

async function main(): Promise<void> {
  const { stage, options } = parseArgs(process.argv.slice(2));
  if (stage === "help" || options.help) {
    console.log(usage());
    return;
  }
  checkOptions(options, trainerOptions(), "`bun run train help` lists the stages and their options");
  if (stage !== null && !stages[stage]) throw new UsageError(`unknown stage '${stage}'\n\n${usage()}`);
  const rt = await initRuntime();
  console.log(`device: ${rt.info.description} (${rt.info.backend}${rt.info.isCpu ? ", CPU" : ""})`);
  const t0 = performance.now();
  for (const name of stage ? [stage] : pipeline) {
    console.log(`\n== ${name} ==`);
    await stages[name]!.run(options);
  }
  console.log(`\ndone in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

try {
  await main();
  process.exit(0);
} catch (e) {
  if (isInputError(e)) {
    console.error(`train: ${e.message}`);
    process.exit(2);
  }
  throw e;
}
