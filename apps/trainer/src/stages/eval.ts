/**
 * The `eval` stage: measures, on held-out arithmetic problems the training never saw, what the seed's
 * prompting claims say: a base model zero-shot vs few-shot, and the SFT assistant answering directly vs
 * step by step; with held-out losses per stage. Writes runs/<run>/report.md with the number of problems
 * behind each figure.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  baseModelAnswer, chatPromptIds, Engine, extractAnswer, directAnswer, evaluateTask, fewShotPrompt, GPT, isArithmeticCorrect, latestCheckpoint, loadCheckpoint,
  pickShots, questionText, Rng, sampleProblem, zeroShotPrompt, type ArithmeticOptions, type ArithmeticProblem, type ChatPromptStyle, type StepRecord, type TaskResult,
} from "@forno/model";
import { loadTokenizer, ROLE_TOKENS, type Tokenizer } from "@forno/tokenizer";
import { runtime } from "@forno/gpu";
import { bestOfN, engineSampler, latestRewardCheckpoint, majorityVote, rewardModelFn, type RewardMetrics } from "@forno/rl";
import { existsSync } from "node:fs";
import { UsageError, type Options } from "../args.ts";
import { runRewardModel } from "./ppo.ts";
import { generateIds } from "../generate.ts";
import { resolvePreset } from "../presets.ts";
import { runPaths } from "../run-dir.ts";

interface Row {
  model: string;
  prompting: string;
  result: TaskResult<unknown>;
}

function loadModel(dir: string | null, what: string): { model: GPT; dir: string; tokenizerDir?: string } {
  if (!dir) throw new UsageError(`eval: no ${what} checkpoint; run \`bun run train ${what}\` first`);
  const ck = loadCheckpoint(dir);
  return { model: new GPT(ck.config, new Map([...ck.params].map(([k, v]) => [k, v.data]))), dir, tokenizerDir: ck.tokenizerDir };
}

function lastVal(runDir: string): number {
  try {
    const lines: StepRecord[] = readFileSync(join(runDir, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    return lines.findLast((l) => l.valLoss !== undefined)?.valLoss ?? NaN;
  } catch {
    return NaN;
  }
}

async function baseEval(model: GPT, tok: Tokenizer, problems: ArithmeticProblem[], shots: number, seed: number, task: ArithmeticOptions): Promise<TaskResult<unknown>> {
  const pool = Array.from({ length: 200 }, (_, i) => sampleProblem(Rng.fromSeed(seed + 1000 + i), task, "train"));
  const rng = Rng.fromSeed(seed);
  const newline = tok.encodeOrdinary("\n\n");
  return evaluateTask({
    problems,
    buildPrompt: (p) => (shots === 0 ? zeroShotPrompt(questionText(p)) : fewShotPrompt(pickShots(pool, shots, rng).map((s) => ({ question: questionText(s), answer: directAnswer(s) })), questionText(p))),
    generate: async (prompts) =>
      (await generateIds(model, prompts.map((p) => tok.encodeOrdinary(p).slice(-(model.config.contextLength - 12))), { maxTokens: 10, stopIds: newline.length === 1 ? newline : [] }))
        .map((ids) => baseModelAnswer(tok.decode(ids))),
    check: isArithmeticCorrect,
  });
}

async function chatEval(model: GPT, tok: Tokenizer, problems: ArithmeticProblem[], style: ChatPromptStyle): Promise<TaskResult<unknown>> {
  const end = tok.specialId(ROLE_TOKENS.assistant.end);
  return evaluateTask({
    problems,
    buildPrompt: (p) => chatPromptIds(tok, questionText(p), style),
    generate: async (prompts) => (await generateIds(model, prompts, { maxTokens: style === "direct" ? 8 : 80, stopIds: [end] })).map((ids) => tok.decode(ids)),
    check: isArithmeticCorrect,
  });
}

/** Sampling-based selection with the SFT model, and the RL-trained models, where their stages have run. */
async function rlRows(opts: Options, tok: Tokenizer, problems: ArithmeticProblem[], sftModel: GPT, rows: Row[]): Promise<void> {
  const paths = runPaths(opts);
  const n = resolvePreset(opts).rl.bestOf;
  const end = tok.specialId(ROLE_TOKENS.assistant.end);
  const sample = { maxNewTokens: 8, temperature: 1, stopIds: [end] };
  const text = (ids: number[]) => tok.decode(ids.filter((id) => id !== end));
  const engine = new Engine(sftModel, { maxBatch: 16 });
  const sampler = engineSampler(engine, Rng.fromSeed(404));
  try {
    if (latestRewardCheckpoint(join(paths.root, "reward"))) {
      const { rm } = runRewardModel(opts);
      const score = rewardModelFn(rm);
      rows.push({
        model: "SFT",
        prompting: `best of ${n} by reward model`,
        result: await evaluateTask({
          problems,
          buildPrompt: (p) => chatPromptIds(tok, questionText(p), "direct"),
          generate: async (prompts) => Promise.all(prompts.map(async (pr) => text((await bestOfN(sampler, pr, n, sample, score)).best))),
          check: isArithmeticCorrect,
        }),
      });
    }
    rows.push({
      model: "SFT",
      prompting: `majority of ${n} samples`,
      result: await evaluateTask({
        problems,
        buildPrompt: (p) => chatPromptIds(tok, questionText(p), "direct"),
        generate: async (prompts) => Promise.all(prompts.map(async (pr) => (await majorityVote(sampler, pr, n, sample, (ids) => extractAnswer(text(ids))?.toString() ?? null)).answer ?? "")),
        check: isArithmeticCorrect,
      }),
    });
  } finally {
    engine.dispose();
  }
  for (const stage of ["ppo", "grpo", "dpo"]) {
    const dir = join(paths.root, stage);
    if (!existsSync(dir) || !latestCheckpoint(dir)) continue;
    const m = loadModel(latestCheckpoint(dir), stage);
    rows.push({ model: stage.toUpperCase(), prompting: "direct", result: await chatEval(m.model, tok, problems, "direct") });
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
  const n = Number(opts.problems ?? preset.evalProblems);
  const seed = 2024;
  const problems = Array.from({ length: n }, (_, i) => sampleProblem(Rng.fromSeed(seed + i), preset.task, "eval"));
  const digits = `${preset.task.minDigits ?? 2}–${preset.task.maxDigits ?? 3} digit`;
  const base = loadModel(latestCheckpoint(paths.pretrain), "pretrain");
  const tok = await loadTokenizer(base.tokenizerDir ?? paths.tokenizer);
  const t0 = performance.now();
  const rows: Row[] = [];
  console.log(`eval: ${n} held-out arithmetic problems (${digits} + and −) per figure, greedy decoding`);
  rows.push({ model: "base", prompting: "zero-shot", result: await baseEval(base.model, tok, problems, 0, seed, preset.task) });
  rows.push({ model: "base", prompting: "3-shot", result: await baseEval(base.model, tok, problems, 3, seed, preset.task) });
  const sft = loadModel(latestCheckpoint(paths.sft), "sft");
  rows.push({ model: "SFT", prompting: "direct", result: await chatEval(sft.model, tok, problems, "direct") });
  rows.push({ model: "SFT", prompting: "step by step", result: await chatEval(sft.model, tok, problems, "step-by-step") });
  await rlRows(opts, tok, problems, sft.model, rows);
  for (const r of rows) console.log(`  ${r.model.padEnd(5)} ${r.prompting.padEnd(13)} ${r.result.correct}/${r.result.n} = ${(100 * r.result.accuracy).toFixed(1)}%`);

  const pct = (r: TaskResult<unknown>) => `${(100 * r.accuracy).toFixed(1)}% (${r.correct}/${r.n})`;
  const example = (r: Row) => r.result.examples[0] ? `- ${r.model}, ${r.prompting}: ${JSON.stringify(r.result.examples[0].output)} (${r.result.examples[0].ok ? "right" : "wrong"})` : "";
  const report = [
    "# forno pipeline report",
    "",
    `- run: \`${paths.root}\``,
    `- device: ${runtime().info.description} (${runtime().info.backend})`,
    `- base model: \`${base.dir}\`; SFT model: \`${sft.dir}\``,
    `- evaluation: ${n} held-out arithmetic problems per row (a hash split keeps them out of all training data), greedy decoding; ${((performance.now() - t0) / 1000).toFixed(0)} s`,
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
    ...rewardLines(join(paths.root, "reward")),
  ].join("\n");
  const path = join(paths.root, "report.md");
  writeFileSync(path, report);
  console.log(`eval: report ${path}`);
  return rows;
}
