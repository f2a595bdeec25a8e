/**
 * Inference-time selection: sample N responses to a prompt and return the best by a score (the reward
 * model via `rewardModelFn`), or, for checkable tasks, the majority answer with answer extraction
 * injected (e.g. `extractAnswer` after decoding). Used by the eval report and the server.
 */
import type { RewardFn } from "./rollout.ts";
import type { SampleOptions, Sampler } from "./sampler.ts";

export interface BestOfN {
  best: number[];
  index: number;
  scores: number[];
  candidates: number[][];
}

/** The highest-scoring of N samples (the first on ties). */
export async function bestOfN(sampler: Sampler, prompt: number[], n: number, sample: SampleOptions, score: RewardFn): Promise<BestOfN> {
  const { tokens } = await sampler(Array<number[]>(n).fill(prompt), sample);
  const scores = await score(tokens.map((response) => ({ prompt, response })));
  const index = scores.reduce((best, s, i) => (s > scores[best]! ? i : best), 0);
  return { best: tokens[index]!, index, scores, candidates: tokens };
}

/** The most frequent non-null answer (the first to reach the top count on ties), or null when none. */
export function majority(answers: readonly (string | null)[]): { answer: string | null; votes: number } {
  const counts = new Map<string, number>();
  let answer: string | null = null;
  let votes = 0;
  for (const a of answers) {
    if (a === null) continue;
    const c = (counts.get(a) ?? 0) + 1;
    counts.set(a, c);
    if (c > votes) [answer, votes] = [a, c];
  }
  return { answer, votes };
}

/** Samples N responses and votes on their extracted answers. */
export async function majorityVote(
  sampler: Sampler,
  prompt: number[],
  n: number,
  sample: SampleOptions,
  extract: (response: number[]) => string | null,
): Promise<{ answer: string | null; votes: number; candidates: number[][] }> {
  const { tokens } = await sampler(Array<number[]>(n).fill(prompt), sample);
  return { ...majority(tokens.map(extract)), candidates: tokens };
}
