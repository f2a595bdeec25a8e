/**
 * The `pretrain` stage: tokenises the corpus into a shard (once), trains the GPT preset on it with
 * progress, validation, samples and checkpoints, and writes metrics.jsonl, loss.svg and report.md in
 * runs/<run>/pretrain. `--resume` continues from the newest checkpoint; Ctrl-C saves one and stops.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runtime } from "@forno/gpu";
import {
  bigramLoss, makeConfig, openShard, paramCount, pretrain, Rng, sampleTokens, TokenDataset, windowBatches, writeLossPlot, writePretrainReport, writeShard,
  type PretrainResult, type StepRecord,
} from "@forno/model";
import type { Tokenizer } from "@forno/tokenizer";
import { numberOption, type Options } from "../args.ts";
import { resolvePreset } from "../presets.ts";
import { Progress } from "../progress.ts";
import { corpusPath, runPaths } from "../run-dir.ts";
import { tokenizerStage } from "./tokenizer.ts";

const VAL_FRACTION = 0.1;

/** Tokenises the corpus into data/corpus.bin unless a shard of the same corpus and vocabulary exists. */
function corpusShard(tok: Tokenizer, corpus: string, dataDir: string): string {
  const shard = join(dataDir, "corpus.bin");
  const stamp = join(dataDir, "corpus.json");
  const want = { corpus, bytes: statSync(corpus).size, mtimeMs: statSync(corpus).mtimeMs, vocabSize: tok.vocabSize };
  if (existsSync(shard) && existsSync(stamp) && readFileSync(stamp, "utf8") === JSON.stringify(want)) return shard;
  mkdirSync(dataDir, { recursive: true });
  const t0 = performance.now();
  const ids = tok.encodeOrdinary(readFileSync(corpus, "utf8"));
  writeShard(shard, ids, tok.vocabSize);
  writeFileSync(stamp, JSON.stringify(want));
  console.log(`pretrain: tokenised ${corpus} into ${ids.length.toLocaleString("en-US")} tokens in ${((performance.now() - t0) / 1000).toFixed(1)} s → ${shard}`);
  return shard;
}

async function sample(model: Parameters<typeof sampleTokens>[0], tok: Tokenizer, tokens: number): Promise<string> {
  const prompt = tok.encodeOrdinary("\n");
  return tok.decode(await sampleTokens(model, prompt, tokens, Rng.fromSeed(7), { temperature: 0.8, topK: 40 }));
}

export async function pretrainStage(opts: Options): Promise<PretrainResult> {
  const preset = resolvePreset(opts);
  const paths = runPaths(opts);
  const tok = await tokenizerStage(opts);
  const corpus = corpusPath(opts);
  const shardPath = corpusShard(tok, corpus, paths.data);
  const data = TokenDataset.open([shardPath], { valFraction: VAL_FRACTION });
  const tokens = openShard(shardPath).tokens;
  const bigram = bigramLoss(tokens.subarray(0, data.train.length), tokens.subarray(data.train.length), tok.vocabSize);
  const config = makeConfig(preset.model, { vocabSize: tok.vocabSize });
  const s = preset.settings;
  const sampleLength = numberOption(opts, "sampleTokens", 64, { integer: true });
  console.log(
    `pretrain: GPT '${preset.model}' with ${paramCount(config).toLocaleString("en-US")} parameters, ${s.steps} steps of ` +
      `${s.batchSize}×${s.seqLen}×${s.gradAccum} tokens; bigram baseline on validation ${bigram.toFixed(3)} nats/token`,
  );

  let stop = false;
  const onSigint = () => {
    if (stop) process.exit(130);
    stop = true;
    console.error("\npretrain: interrupted; saving a checkpoint after this step (Ctrl-C again to quit now)");
  };
  process.on("SIGINT", onSigint);
  const bar = new Progress({ label: "pretrain", total: s.steps, unit: "steps" });
  let lastVal = NaN;
  let result: PretrainResult;
  try {
    result = await pretrain({
      runDir: paths.pretrain,
      config,
      settings: s,
      data: windowBatches(data),
      resume: Boolean(opts.resume),
      tokenizerDir: paths.tokenizer,
      shouldStop: () => stop,
      onStep: (r: StepRecord) => bar.update(r.step, { loss: r.loss, val: lastVal, "tok/s": r.tokensPerSec }),
      onEval: async (model, r) => {
        lastVal = r.valLoss!;
        console.log(`\n  step ${r.step}: train ${r.loss.toFixed(4)}, validation ${lastVal.toFixed(4)} (bigram ${bigram.toFixed(4)})`);
        if (sampleLength > 0) console.log("  sample: " + JSON.stringify(await sample(model, tok, sampleLength)));
      },
    });
  } finally {
    process.off("SIGINT", onSigint);
  }
  const all: StepRecord[] = readFileSync(join(paths.pretrain, "metrics.jsonl"), "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
  writeLossPlot(paths.pretrain, `pretraining: GPT ${preset.model} on ${corpus.split("/").at(-1)}`, all, { name: "bigram", value: bigram });
  const samples = sampleLength > 0 ? [await sample(result.model, tok, sampleLength * 2)] : [];
  const report = writePretrainReport(paths.pretrain, {
    title: `Pretraining report: GPT ${preset.model}`,
    corpus,
    config,
    params: paramCount(config),
    device: `${runtime().info.description} (${runtime().info.backend})`,
    settings: s,
    history: all,
    seconds: result.seconds,
    bigramValLoss: bigram,
    bytesPerToken: statSync(corpus).size / tokens.length,
    samples,
    checkpoint: result.checkpoint,
  });
  const resumed = result.startStep > 0 ? ` (resumed from step ${result.startStep})` : "";
  console.log(`pretrain: ${result.stopped ? "stopped" : "finished"} at step ${result.lastStep}${resumed}; checkpoint ${result.checkpoint}\npretrain: report ${report}`);
  if (result.stopped) process.exit(130);
  return result;
}
