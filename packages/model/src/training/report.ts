/**
 * report.md for a pretraining run: what was trained, where, how long, the losses against the bigram
 * baseline, bits per byte and samples. Pure formatting; the numbers come from the caller.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { GPTConfig } from "../config.ts";
import type { StepRecord, TrainSettings } from "./pretrain.ts";

export interface PretrainReport {
  title: string;
  corpus: string;
  config: GPTConfig;
  params: number;
  device: string;
  settings: TrainSettings;
  history: StepRecord[];
  seconds: number;
  bigramValLoss: number;
  /** UTF-8 bytes per token of the corpus under the run's tokenizer */
  bytesPerToken: number;
  samples: string[];
  checkpoint: string;
}

const f = (v: number, d = 4) => (Number.isFinite(v) ? v.toFixed(d) : "n/a");

export function writePretrainReport(runDir: string, r: PretrainReport): string {
  const evals = r.history.filter((h) => h.valLoss !== undefined);
  const lastVal = evals.at(-1)?.valLoss ?? NaN;
  const first = r.history[0];
  const last = r.history.at(-1);
  const tps = r.history.map((h) => h.tokensPerSec).sort((a, b) => a - b);
  const medianTps = tps[Math.floor(tps.length / 2)] ?? NaN;
  const bpb = lastVal / Math.LN2 / r.bytesPerToken;
  const verdict = lastVal < r.bigramValLoss ? "beats" : "does NOT beat";
  const c = r.config;
  const s = r.settings;
  const md = [
    `# ${r.title}`,
    "",
    `- corpus: ${r.corpus}`,
    `- model: GPT, ${r.params.toLocaleString("en-US")} parameters (V ${c.vocabSize}, T ${c.contextLength}, L ${c.nLayer}, NH ${c.nHead}, C ${c.nEmbd}, bias ${c.bias})`,
    `- device: ${r.device}`,
    `- training: ${last?.step ?? 0} steps of ${s.batchSize}×${s.seqLen} tokens × ${s.gradAccum} micro-batches; AdamW lr ${s.lr} → ${s.minLr} (warmup ${s.warmupSteps}, cosine), weight decay ${s.weightDecay}, clip ${s.gradClip}`,
    `- time: ${r.seconds.toFixed(1)} s in this process; median ${medianTps.toFixed(0)} tokens/s`,
    `- checkpoint: \`${r.checkpoint}\``,
    "",
    "## Loss",
    "",
    "![loss curve](loss.svg)",
    "",
    "| | nats/token |",
    "|---|---:|",
    `| train loss, first step | ${f(first?.loss ?? NaN)} |`,
    `| train loss, last step | ${f(last?.loss ?? NaN)} |`,
    `| validation loss, last | ${f(lastVal)} |`,
    `| bigram baseline (validation) | ${f(r.bigramValLoss)} |`,
    "",
    `The model ${verdict} the bigram baseline on held-out text. Validation: ${f(bpb, 3)} bits per byte ` +
      `(${f(r.bytesPerToken, 2)} bytes per token).`,
    "",
    "| step | validation loss |",
    "|---:|---:|",
    ...evals.map((h) => `| ${h.step} | ${f(h.valLoss!)} |`),
    "",
    "## Samples",
    "",
    ...r.samples.flatMap((t, i) => [`Sample ${i + 1}:`, "", "```", t, "```", ""]),
  ].join("\n");
  const path = join(runDir, "report.md");
  writeFileSync(path, md);
  return path;
}
