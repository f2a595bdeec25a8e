/**
 * What the reward and RL stages share: the SFT policy they start from, arithmetic prompts from the
 * training split with a verifiable reward, arithmetic preference pairs (the right answer over a wrong
 * one), stage directories with metrics and checkpoints, and resuming a policy from its newest one.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  checkpointName, directAnswer, GPT, isArithmeticCorrect, latestCheckpoint, loadCheckpoint, questionText, Rng, sampleProblem, saveCheckpoint,
  type ArithmeticOptions, type ArithmeticProblem, type GPTConfig,
} from "@forno/model";
import type { PreferencePair, Sequence } from "@forno/rl";
import { loadTokenizer, renderPrompt, ROLE_TOKENS, type Tokenizer } from "@forno/tokenizer";
import { UsageError, type Options } from "../args.ts";
import { runPaths } from "../run-dir.ts";

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
  const from = opts.from ? String(opts.from) : latestCheckpoint(paths.sft);
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

export function problemPrompt(tok: Tokenizer, p: ArithmeticProblem): number[] {
  return renderPrompt(tok, { messages: [{ role: "user", content: questionText(p) }] });
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

/** A stage's directory, its metrics log (restarted unless resuming) and its checkpoints. */
export class StageRun {
  readonly dir: string;
  readonly metrics: string;

  constructor(opts: Options, readonly name: string) {
    this.dir = join(runPaths(opts).root, name);
    mkdirSync(this.dir, { recursive: true });
    this.metrics = join(this.dir, "metrics.jsonl");
    if (!opts.resume || !existsSync(this.metrics)) writeFileSync(this.metrics, "");
  }

  /** The step and weights to continue from when --resume finds a checkpoint; metrics past it are dropped. */
  resumeFrom(opts: Options): { step: number; weights: Map<string, Float32Array> } | null {
    const dir = opts.resume ? latestCheckpoint(this.dir) : null;
    if (!dir) return null;
    const ck = loadCheckpoint(dir);
    const step = ck.state?.step ?? 0;
    const kept = readFileSync(this.metrics, "utf8").split("\n").filter((l) => l && JSON.parse(l).step <= step);
    writeFileSync(this.metrics, kept.map((l) => l + "\n").join(""));
    return { step, weights: new Map([...ck.params].map(([k, v]) => [k, v.data])) };
  }

  log(record: Record<string, number | string | boolean>): void {
    appendFileSync(this.metrics, JSON.stringify(record) + "\n");
  }

  async save(step: number, model: GPT, tokenizerDir: string, metadata: Record<string, unknown> = {}): Promise<string> {
    const dir = join(this.dir, checkpointName(step));
    await saveCheckpoint(dir, { config: model.config, params: await model.toHost(), tokenizerDir, state: { step, metadata } });
    return dir;
  }

  records(): Record<string, number>[] {
    return readFileSync(this.metrics, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
  }
}
