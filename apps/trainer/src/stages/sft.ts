/**
 * The `sft` stage: turns the pretrained base model into an assistant by finetuning on conversations
 * (arithmetic problems in direct and step-by-step form, and short instructions), with the loss on
 * assistant tokens only. Starts from the newest pretraining checkpoint (or --from DIR) and writes
 * metrics, loss.svg and checkpoints in runs/<run>/sft; resumable with --resume.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  buildDefaultMix, latestCheckpoint, loadCheckpoint, loadConversations, pretrain, resolveCheckpoint, Rng, SftBatcher, writeLossPlot,
  type BatchSource, type PretrainResult, type StepRecord,
} from "@forno/model";
import { ENDOFTEXT, loadTokenizer, type Conversation } from "@forno/tokenizer";
import { numberOption, UsageError, type Options } from "../args.ts";
import { resolvePreset } from "../presets.ts";
import { Progress } from "../progress.ts";
import { DATA_DIR, runPaths } from "../run-dir.ts";

export const INSTRUCTION_FILES = ["sft-rasbt-instruct.jsonl", "sft-self-instruct-seed.jsonl"].map((f) => join(DATA_DIR, f));

function source(batcher: SftBatcher): BatchSource {
  return { next: (B, _T, rng) => batcher.nextBatch(B, rng), cursor: () => batcher.cursor(), seek: (c) => batcher.seek(c as never) };
}

export async function sftStage(opts: Options): Promise<PretrainResult> {
  const preset = resolvePreset(opts, "sft");
  const s = preset.sft;
  const paths = runPaths(opts);
  const from = opts.from ? resolveCheckpoint(String(opts.from)) : latestCheckpoint(paths.pretrain);
  if (!from || !existsSync(from)) throw new UsageError(`sft: no pretrained checkpoint in ${paths.pretrain}; run \`bun run train pretrain\` first or pass --from DIR`);
  const base = loadCheckpoint(from);
  if (s.seqLen > base.config.contextLength) throw new UsageError(`sft: --seqLen ${s.seqLen} exceeds the model's context length ${base.config.contextLength}`);
  const tok = await loadTokenizer(base.tokenizerDir ?? paths.tokenizer);

  const mix = buildDefaultMix({ tokenizer: tok, T: s.seqLen, instructions: loadConversations(INSTRUCTION_FILES), rng: Rng.fromSeed(s.seed), size: numberOption(opts, "mixSize", preset.sftMix, { min: 1, integer: true }), ratios: preset.sftRatios, arithmetic: preset.task });
  const split = (keepVal: boolean) => mix.conversations.filter((_, i) => (i % 20 === 0) === keepVal);
  const make = (convs: Conversation[]) => SftBatcher.fromConversations(tok, convs, { T: s.seqLen, padId: tok.specialId(ENDOFTEXT), mode: "packing", slot: Math.min(preset.sftSlot, s.seqLen) });
  const train = make(split(false));
  const val = make(split(true));
  console.log(
    `sft: from ${from}; ${mix.conversations.length} conversations (direct ${mix.counts.direct}, step-by-step ${mix.counts.stepByStep}, ` +
      `instructions ${mix.counts.instructions}), ${train.stats.kept} for training, ${val.stats.kept} held out; ` +
      `${s.steps} steps of ${s.batchSize}×${s.seqLen} tokens, loss on assistant tokens only`,
  );

  const bar = new Progress({ label: "sft", total: s.steps, unit: "steps" });
  let lastVal = NaN;
  const result = await pretrain({
    runDir: paths.sft,
    config: base.config,
    settings: s,
    data: { train: source(train.batcher), val: source(val.batcher) },
    initialWeights: new Map([...base.params].map(([k, v]) => [k, v.data])),
    resume: Boolean(opts.resume),
    tokenizerDir: base.tokenizerDir ?? paths.tokenizer,
    onStep: (r: StepRecord) => bar.update(r.step, { loss: r.loss, val: lastVal, "tok/s": r.tokensPerSec }),
    onEval: async (_m, r) => {
      lastVal = r.valLoss!;
      console.log(`\n  step ${r.step}: assistant-token loss ${r.loss.toFixed(4)}, held out ${lastVal.toFixed(4)}`);
    },
  });
  const all: StepRecord[] = readFileSync(join(paths.sft, "metrics.jsonl"), "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
  writeLossPlot(paths.sft, "SFT: loss on assistant tokens", all);
  console.log(`sft: finished at step ${result.lastStep}; checkpoint ${result.checkpoint}`);
  return result;
}
