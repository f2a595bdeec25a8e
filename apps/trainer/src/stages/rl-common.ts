/**
 * What the reward and RL stages share: the SFT policy they start from, arithmetic prompts from the
 * training split with a verifiable reward, and arithmetic preference pairs (the right answer over a
 * wrong one). Stage directories and checkpoints are `stage-run.ts`'s job.
 */
import {
  chatPromptIds, directAnswer, isArithmeticCorrect, latestCheckpoint, loadCheckpoint, questionText, resolveCheckpoint, Rng, sampleProblem,
  type ArithmeticOptions, type ArithmeticProblem, type ChatPromptStyle, type GPTConfig,
} from "@forno/model";
import type { PreferencePair, Sequence } from "@forno/rl";
import { loadTokenizer, ROLE_TOKENS, type Tokenizer } from "@forno/tokenizer";
import { UsageError, type Options } from "../args.ts";
import { resolvePreset, type RlSettings } from "../presets.ts";
import { runPaths } from "../run-dir.ts";

const STYLES: readonly ChatPromptStyle[] = ["direct", "step-by-step"];

/** RL settings that count something: a flag must give a positive integer (grpoWarmup may be 0). */
const COUNTS = new Set<keyof RlSettings>(["rewardSteps", "rewardBatch", "dpoSteps", "dpoBatch", "grpoSteps", "grpoPrompts", "groupSize", "grpoMinDigits", "ppoSteps", "ppoPrompts", "ppoKlHorizon", "bestOf", "compareProblems", "checkpointEvery", "grpoWarmup"]);

/**
 * The preset's RL settings with any `--<setting>` flag applied (e.g. `--grpoPrompts 16`,
 * `--grpoFormats step-by-step,direct`), so experiments need no preset edits.
 */
export function resolveRl(opts: Options): RlSettings {
  const rl = { ...resolvePreset(opts).rl };
  for (const key of Object.keys(rl) as (keyof RlSettings)[]) {
    const raw = opts[key];
    if (raw === undefined) continue;
    if (key === "grpoFormats" || key === "ppoFormats") {
      const styles = String(raw).split(",").map((s) => s.trim());
      const bad = styles.find((s) => !STYLES.includes(s as ChatPromptStyle));
      if (bad !== undefined) throw new UsageError(`--${key}: unknown format '${bad}'; expected a comma-separated list of ${STYLES.join(", ")}`);
      rl[key] = styles as ChatPromptStyle[];
      continue;
    }
    if (key === "grpoDropUniform") {
      if (typeof raw !== "boolean") throw new UsageError(`--${key} must be true or false, got '${raw}'`);
      rl[key] = raw;
      continue;
    }
    // A bare `--grpoKl` parses as true, which Number() would quietly turn into 1.
    const v = typeof raw === "boolean" ? NaN : Number(raw);
    if (!Number.isFinite(v) || v < 0) throw new UsageError(`--${key} must be a non-negative number, got '${raw}'`);
    const least = key === "grpoWarmup" ? 0 : 1;
    if (COUNTS.has(key) && (!Number.isInteger(v) || v < least)) throw new UsageError(`--${key} must be an integer of at least ${least}, got '${raw}'`);
    (rl as Record<string, unknown>)[key] = v;
  }
  return rl;
}

/**
 * The formats an RL checkpoint was trained in, from its state metadata (`extra.formats`, written by the
 * grpo and ppo stages); checkpoints without them (DPO's, older runs') trained on direct answers only.
 */
export function trainedFormats(metadata: Record<string, unknown> | undefined): ChatPromptStyle[] {
  const formats = (metadata?.extra as { formats?: unknown } | undefined)?.formats;
  return Array.isArray(formats) && formats.length > 0 && formats.every((f) => STYLES.includes(f)) ? (formats as ChatPromptStyle[]) : ["direct"];
}

/** The format problem i is asked in: formats[i % length]. */
export function formatOf(formats: readonly ChatPromptStyle[], i: number): ChatPromptStyle {
  return formats[i % formats.length]!;
}

export interface Policy {
  config: GPTConfig;
  weights: Map<string, Float32Array>;
  tokenizer: Tokenizer;
  tokenizerDir: string;
  from: string;
}

/** The SFT checkpoint (or --from DIR) that reward modeling and RL start from. */
export async function loadSftPolicy(opts: Options, stage: string): Promise<Policy> {
  const paths = runPaths(opts);
  const from = opts.from ? resolveCheckpoint(String(opts.from)) : latestCheckpoint(paths.sft);
  if (!from) throw new UsageError(`${stage}: no SFT checkpoint in ${paths.sft}; run \`bun run train sft\` first or pass --from DIR`);
  const ck = loadCheckpoint(from);
  const tokenizerDir = ck.tokenizerDir ?? paths.tokenizer;
  return { config: ck.config, weights: new Map([...ck.params].map(([k, v]) => [k, v.data])), tokenizer: await loadTokenizer(tokenizerDir), tokenizerDir, from };
}

/** n training-split arithmetic problems drawn from `seed` (held-out problems never appear). */
export function trainProblems(n: number, seed: number, task: ArithmeticOptions): ArithmeticProblem[] {
  const rng = Rng.fromSeed(seed);
  return Array.from({ length: n }, () => sampleProblem(rng, task, "train"));
}

/**
 * Response tokens an answer needs at most in each style: a number and the end token, or the worked
 * columns of a 1–3 digit sum and "Answer: N" (about 20–45 tokens with the tiny tokenizer).
 */
const ANSWER_TOKENS: Record<ChatPromptStyle, number> = { direct: 8, "step-by-step": 64 };

/** Response tokens to sample for prompts asked in `formats`: what the answers need, within the model's context. */
export function responseBudget(formats: readonly ChatPromptStyle[], prompts: readonly number[][], contextLength: number): number {
  return Math.min(Math.max(...formats.map((f) => ANSWER_TOKENS[f])), contextLength - Math.max(...prompts.map((p) => p.length)));
}

/** The chat prompt for a problem, asked directly or with the step-by-step hint (as SFT and eval ask). */
export function problemPrompt(tok: Tokenizer, p: ArithmeticProblem, style: ChatPromptStyle = "direct"): number[] {
  return chatPromptIds(tok, questionText(p), style);
}

/** Reward 1 for a correct answer, 0 otherwise, read from the response text up to <|assistant_end|>. */
export function correctnessReward(tok: Tokenizer, problems: Map<string, ArithmeticProblem>): (seqs: readonly Sequence[]) => Promise<number[]> {
  const end = tok.specialId(ROLE_TOKENS.assistant.end);
  return async (seqs) =>
    seqs.map((s) => {
      const p = problems.get(s.prompt.join(","));
      const stop = s.response.indexOf(end);
      return p && isArithmeticCorrect(p, tok.decode(stop >= 0 ? s.response.slice(0, stop) : s.response)) ? 1 : 0;
    });
}

/** "What is 47 + 85?": the right answer chosen over a near miss (one digit changed). */
export function arithmeticPairs(n: number, seed: number, task: ArithmeticOptions): PreferencePair[] {
  const rng = Rng.fromSeed(seed);
  return trainProblems(n, seed + 1, task).map((p) => {
    const right = directAnswer(p);
    const digits = right.split("");
    const k = rng.int(digits.length);
    const d = digits[k] === "-" ? "-" : String((Number(digits[k]) + 1 + rng.int(9)) % 10);
    digits[k] = d;
    const wrong = digits.join("") === right ? String(Number(right) + 1) : digits.join("");
    return { prompt: [{ role: "user", content: questionText(p) }], chosen: right, rejected: wrong };
  });
}
