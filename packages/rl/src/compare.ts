/**
 * Whether one model answers a checkable task better than another on the same problems: the difference
 * in accuracy with the standard error of a paired difference (each problem scored 1/0 for both models,
 * d_i = a_i − b_i, se = sd(d) / √n), called clear only beyond two standard errors, as the reward model's
 * "above chance" verdict is. Pairing removes the problems' own difficulty from the noise, so it needs
 * fewer problems than comparing two independent accuracies. Scoring the models is the caller's job.
 */
import { RlError } from "./errors.ts";

export interface AccuracyComparison {
  n: number;
  /** accuracy of a minus accuracy of b, in [−1, 1] */
  difference: number;
  /** standard error of the difference */
  stderr: number;
  /** "better" or "worse" beyond two standard errors, else "no clear difference" */
  verdict: "better" | "worse" | "no clear difference";
}

/** a's per-problem correctness against b's on the same problems, in the same order. */
export function compareAccuracy(a: readonly boolean[], b: readonly boolean[]): AccuracyComparison {
  if (a.length !== b.length || a.length < 2) throw new RlError(`compareAccuracy: expected two equal-length lists of at least 2 problems, got ${a.length} and ${b.length}; score both models on the same problems`);
  const n = a.length;
  const d = a.map((x, i) => Number(x) - Number(b[i]));
  const difference = d.reduce((s, x) => s + x, 0) / n;
  const stderr = Math.sqrt(d.reduce((s, x) => s + (x - difference) ** 2, 0) / (n - 1) / n);
  const verdict = difference > 2 * stderr ? "better" : difference < -2 * stderr ? "worse" : "no clear difference";
  return { n, difference, stderr, verdict };
}
