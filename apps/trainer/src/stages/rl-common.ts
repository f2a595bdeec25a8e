/**
 * What the reward and RL stages share: the SFT policy they start from, arithmetic prompts from the
 * training split with a verifiable reward, and arithmetic preference pairs (the right answer over a
 * wrong one). Stage directories and checkpoints are `stage-run.ts`'s job.
 */
import {
  directAnswer, isArithmeticCorrect, latestCheckpoint, loadCheckpoint, questionText, Rng, sampleProblem,
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
