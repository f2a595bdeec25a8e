/**
 * The `eval` stage: measures, on held-out arithmetic problems the training never saw, what the seed's
 * prompting claims say: a base model zero-shot vs few-shot, and the SFT assistant answering directly vs
 * step by step; best-of-N and voting over SFT samples; each RL model in each format its stage trained in,
 * set beside SFT in that format with a paired significance verdict (rl-comparison.ts); held-out losses
 * per stage. Writes runs/<run>/report.md with the format and number of problems behind each figure.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  baseModelAnswer, chatPromptIds, Engine, extractAnswer, directAnswer, evaluateTask, fewShotPrompt, GPT, isArithmeticCorrect, latestCheckpoint, loadCheckpoint,
  pickShots, questionText, Rng, sampleProblem, zeroShotPrompt, type ArithmeticOptions, type ArithmeticProblem, type ChatPromptStyle, type EvaluateTaskOptions, type StepRecord, type TaskResult,
} from "@forno/model";
import { loadTokenizer, ROLE_TOKENS, type Tokenizer } from "@forno/tokenizer";
import { runtime } from "@forno/gpu";
import { bestOfN, engineSampler, latestRewardCheckpoint, majorityVote, rewardModelFn, type RewardMetrics } from "@forno/rl";
import { existsSync } from "node:fs";
import { numberOption, UsageError, type Options } from "../args.ts";
import { runRewardModel } from "./ppo.ts";
import { generateIds } from "../generate.ts";
import { resolvePreset } from "../presets.ts";
import { resolveRl, trainedFormats } from "./rl-common.ts";
import { runPaths } from "../run-dir.ts";
import { comparisonLines } from "./rl-comparison.ts";

interface Row {
  model: string;
  prompting: string;
  result: TaskResult<unknown>;
  /** per problem, in order: answered right */
  right: boolean[];
}

const STYLE_LABEL: Record<ChatPromptStyle, string> = { direct: "direct", "step-by-step": "step by step" };

function loadModel(dir: string | null, what: string): { model: GPT; dir: string; tokenizerDir?: string; metadata?: Record<string, unknown> } {
  if (!dir) throw new UsageError(`eval: no ${what} checkpoint; run \`bun run train ${what}\` first`);
  const ck = loadCheckpoint(dir);
  return { model: new GPT(ck.config, new Map([...ck.params].map(([k, v]) => [k, v.data]))), dir, tokenizerDir: ck.tokenizerDir, metadata: ck.state?.metadata };
}

/**
 * `count` distinct held-out problems, drawn from seeds seed, seed + 1, … in order (so a shorter list is a
 * prefix of a longer one). Distinct, because the split is small (about 1,500 problems for 1–2 digits,
 * one-digit ones drawn often) and repeats would count one answer twice and shrink the standard errors.
 */
export function heldOutProblems(count: number, seed: number, task: ArithmeticOptions): ArithmeticProblem[] {
  const out = new Map<string, ArithmeticProblem>();
  for (let i = 0; out.size < count; i++) {
    if (i > 100 * count) throw new UsageError(`eval: the held-out split has fewer than ${count} distinct problems for this task; ask for fewer with --problems / --compareProblems`);
    const p = sampleProblem(Rng.fromSeed(seed + i), task, "eval");
    out.set(questionText(p), p);
  }
  return [...out.values()];
}

/** evaluateTask with arithmetic checking, keeping which problems were answered right. */
async function scored<Prompt>(model: string, prompting: string, o: Omit<EvaluateTaskOptions<ArithmeticProblem, Prompt>, "check">): Promise<Row> {
  const right: boolean[] = [];
  const check = (p: ArithmeticProblem, out: string) => {
    const ok = isArithmeticCorrect(p, out);
    right.push(ok);
    return ok;
  };
  return { model, prompting, result: await evaluateTask({ ...o, check }), right };
}

function lastVal(runDir: string): number {
  try {
    const lines: StepRecord[] = readFileSync(join(runDir, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    return lines.findLast((l) => l.valLoss !== undefined)?.valLoss ?? NaN;
  } catch {
    return NaN;
  }
}

async function baseEval(model: GPT, tok: Tokenizer, problems: ArithmeticProblem[], shots: number, seed: number, task: ArithmeticOptions): Promise<Row> {
  const pool = Array.from({ length: 200 }, (_, i) => sampleProblem(Rng.fromSeed(seed + 1000 + i), task, "train"));
  const rng = Rng.fromSeed(seed);
  const newline = tok.encodeOrdinary("\n\n");
  return scored("base", shots === 0 ? "zero-shot" : `${shots}-shot`, {
    problems,
    buildPrompt: (p) => (shots === 0 ? zeroShotPrompt(questionText(p)) : fewShotPrompt(pickShots(pool, shots, rng).map((s) => ({ question: questionText(s), answer: directAnswer(s) })), questionText(p))),
    generate: async (prompts) =>
      (await generateIds(model, prompts.map((p) => tok.encodeOrdinary(p).slice(-(model.config.contextLength - 12))), { maxTokens: 10, stopIds: newline.length === 1 ? newline : [] }))
        .map((ids) => baseModelAnswer(tok.decode(ids))),
  });
}

/** Greedy answers of a chat model asked in `style`, with room for a worked solution when step by step. */
async function chatEval(name: string, model: GPT, tok: Tokenizer, problems: ArithmeticProblem[], style: ChatPromptStyle): Promise<Row> {
  const end = tok.specialId(ROLE_TOKENS.assistant.end);
  return scored(name, STYLE_LABEL[style], {
    problems,
    buildPrompt: (p) => chatPromptIds(tok, questionText(p), style),
    generate: async (prompts) => (await generateIds(model, prompts, { maxTokens: style === "direct" ? 8 : 80, stopIds: [end] })).map((ids) => tok.decode(ids)),
  });
}

/** Sampling-based selection with the SFT model, and the RL-trained models in each format they trained in, where their stages have run. */
async function rlRows(opts: Options, tok: Tokenizer, problems: ArithmeticProblem[], wide: ArithmeticProblem[], sftModel: GPT, rows: Row[]): Promise<void> {
  const paths = runPaths(opts);
  const n = resolveRl(opts).bestOf;
  const end = tok.specialId(ROLE_TOKENS.assistant.end);
  const sample = { maxNewTokens: 8, temperature: 1, stopIds: [end] };
  const text = (ids: number[]) => tok.decode(ids.filter((id) => id !== end));
  const engine = new Engine(sftModel, { maxBatch: 16 });
  const sampler = engineSampler(engine, Rng.fromSeed(404));
  const direct = (p: ArithmeticProblem) => chatPromptIds(tok, questionText(p), "direct");
  try {
    if (latestRewardCheckpoint(join(paths.root, "reward"))) {
      const { rm } = runRewardModel(opts);
      const score = rewardModelFn(rm);
      rows.push(await scored("SFT", `best of ${n} by reward model (direct)`, {
        problems,
        buildPrompt: direct,
        generate: async (prompts) => Promise.all(prompts.map(async (pr) => text((await bestOfN(sampler, pr, n, sample, score)).best))),
      }));
    }
    rows.push(await scored("SFT", `majority of ${n} samples (direct)`, {
      problems,
      buildPrompt: direct,
      generate: async (prompts) => Promise.all(prompts.map(async (pr) => (await majorityVote(sampler, pr, n, sample, (ids) => extractAnswer(text(ids))?.toString() ?? null)).answer ?? "")),
    }));
  } finally {
    engine.dispose();
  }
  for (const stage of ["ppo", "grpo", "dpo"]) {
    const dir = join(paths.root, stage);
    const ckpt = existsSync(dir) ? latestCheckpoint(dir) : null;
    if (!ckpt) continue;
    const m = loadModel(ckpt, stage);
    for (const style of trainedFormats(m.metadata)) rows.push(await chatEval(stage.toUpperCase(), m.model, tok, wide, style));
  }
}

/** Report lines for the reward model's held-out pairwise accuracy per source, from reward/heldout.json. */
function rewardLines(rewardDir: string): string[] {
  const file = join(rewardDir, "heldout.json");
  if (!existsSync(file)) return [];
  const held: Record<string, RewardMetrics> = JSON.parse(readFileSync(file, "utf8"));
  const rows = Object.entries(held).filter(([, m]) => m.pairs > 0);
  if (rows.length === 0) return [];
  return [
    "## Reward model: held-out pairwise accuracy",
    "",
    "| pairs | held out | accuracy | verdict |",
    "|---|---:|---:|---|",
    ...rows.map(([name, m]) => `| ${name} | ${m.pairs} | ${(100 * m.accuracy).toFixed(1)}% ± ${(100 * m.stderr).toFixed(1)} | ${m.atChance ? "at chance" : m.accuracy > 0.5 ? "above chance" : "below chance"} |`),
    "",
    "Chance is 50%; within two standard errors of it is called chance. Details: [reward/report.md](reward/report.md).",
    "",
  ];
}

export async function evalStage(opts: Options): Promise<Row[]> {
  const preset = resolvePreset(opts);
  const paths = runPaths(opts);
  const n = numberOption(opts, "problems", preset.evalProblems, { min: 1, integer: true });
  const seed = 2024;
  // Greedy chat rows (SFT and RL, the like-for-like pairs) use more problems than the sampling-heavy rows: a smaller standard error at little cost.
  const wide = heldOutProblems(Math.max(n, resolveRl(opts).compareProblems), seed, preset.task);
  const problems = wide.slice(0, n);
  const digits = `${preset.task.minDigits ?? 2}–${preset.task.maxDigits ?? 3} digit`;
  const base = loadModel(latestCheckpoint(paths.pretrain), "pretrain");
  const tok = await loadTokenizer(base.tokenizerDir ?? paths.tokenizer);
  const t0 = performance.now();
  const rows: Row[] = [];
  const counts = wide.length > n ? `${n} for the base model and the sampling rows, ${wide.length} (those ${n} and more) for SFT and RL answering greedily` : `${n} per row`;
  console.log(`eval: held-out arithmetic problems (${digits} + and −), ${counts}`);
  rows.push(await baseEval(base.model, tok, problems, 0, seed, preset.task));
  rows.push(await baseEval(base.model, tok, problems, 3, seed, preset.task));
  const sft = loadModel(latestCheckpoint(paths.sft), "sft");
  rows.push(await chatEval("SFT", sft.model, tok, wide, "direct"));
  rows.push(await chatEval("SFT", sft.model, tok, wide, "step-by-step"));
  await rlRows(opts, tok, problems, wide, sft.model, rows);
  for (const r of rows) console.log(`  ${r.model.padEnd(5)} ${r.prompting.padEnd(13)} ${r.result.correct}/${r.result.n} = ${(100 * r.result.accuracy).toFixed(1)}%`);
  for (const line of comparisonLines(rows).filter((l) => /^\| (PPO|GRPO|DPO) /.test(l))) console.log(`  vs SFT ${line}`);

  const pct = (r: TaskResult<unknown>) => `${(100 * r.accuracy).toFixed(1)}% (${r.correct}/${r.n})`;
  const example = (r: Row) => r.result.examples[0] ? `- ${r.model}, ${r.prompting}: ${JSON.stringify(r.result.examples[0].output)} (${r.result.examples[0].ok ? "right" : "wrong"})` : "";
  const report = [
    "# forno pipeline report",
    "",
    `- run: \`${paths.root}\``,
    `- device: ${runtime().info.description} (${runtime().info.backend})`,
    `- base model: \`${base.dir}\`; SFT model: \`${sft.dir}\``,
    `- evaluation: distinct held-out arithmetic problems (a hash split keeps them out of all training data), ${counts}; greedy decoding except where a row samples; ${((performance.now() - t0) / 1000).toFixed(0)} s`,
    "",
    "## Held-out loss per stage",
    "",
    "| stage | held-out loss (nats/token) | details |",
    "|---|---:|---|",
    `| pretraining | ${lastVal(paths.pretrain).toFixed(4)} | [pretrain/report.md](pretrain/report.md) |`,
    `| SFT (assistant tokens) | ${lastVal(paths.sft).toFixed(4)} | ![sft loss](sft/loss.svg) |`,
    "",
    "## Accuracy on held-out arithmetic",
    "",
    "| model | prompting | accuracy (correct/problems) |",
    "|---|---|---:|",
    ...rows.map((r) => `| ${r.model} | ${r.prompting} | ${pct(r.result)} |`),
    "",
    "First answer of each row, for a human to read:",
    "",
    ...rows.map(example),
    "",
    ...comparisonLines(rows),
    ...rewardLines(join(paths.root, "reward")),
  ].join("\n");
  const path = join(paths.root, "report.md");
  writeFileSync(path, report);
  console.log(`eval: report ${path}`);
  return rows;
}
