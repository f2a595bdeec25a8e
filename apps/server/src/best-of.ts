/**
 * best_of: the n best of the candidates a request generated, most preferred first and renumbered 0..n−1.
 * "logprob" (the default, OpenAI's rule) ranks by mean token logprob under the model; "reward" by the run's
 * reward model on prompt + response. Generating the candidates is generation.ts's job; the reward model is
 * loaded by reward.ts.
 */
import type { Sequence } from "@forno/rl";
import { ApiError } from "./errors.ts";
import type { ChoiceResult } from "./generation.ts";
import type { RewardScorer } from "./reward.ts";

export type Rerank = "logprob" | "reward";

/** Mean logprob per token; an empty choice (the model ended at once) has none and ranks last. */
const meanLogprob = (ch: ChoiceResult) => (ch.logprobs.length === 0 ? -Infinity : ch.logprobs.reduce((a, v) => a + v, 0) / ch.logprobs.length);

export interface RerankInput {
  candidates: readonly ChoiceResult[];
  n: number;
  rerank: Rerank;
  reward?: RewardScorer;
  /** Prompt + response tokens of a candidate as the reward model reads them (chat appends its end token). */
  sequence(ch: ChoiceResult): Sequence;
}

export interface Ranked {
  choices: ChoiceResult[];
  /** The score each returned choice was ranked by, in the same order. */
  scores: number[];
}

export async function pickBest(input: RerankInput): Promise<Ranked> {
  const { candidates, n } = input;
  let scores: number[];
  if (input.rerank === "reward") {
    if (!input.reward) throw noRewardModel();
    scores = await input.reward.score(candidates.map((ch) => input.sequence(ch)));
  } else {
    scores = candidates.map(meanLogprob);
  }
  // Stable: equal scores keep the candidates' order.
  const order = candidates.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
  const top = order.slice(0, n);
  return { choices: top.map((i, rank) => ({ ...candidates[i]!, index: rank })), scores: top.map((i) => scores[i]!) };
}

export function noRewardModel(): ApiError {
  return new ApiError(400, 'rerank "reward" needs a reward model, and this server has none; train one (bun run train reward) and restart, or use rerank "logprob"', {
    param: "rerank",
    code: "reward_model_unavailable",
  });
}
