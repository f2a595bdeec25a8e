/**
 * The eval report's like-for-like section: each RL model's held-out accuracy beside the SFT model's in
 * the same prompting format on the same problems, with the paired difference, its standard error and a
 * verdict (`compareAccuracy`: clear only beyond two standard errors). Scoring the rows is eval's job.
 */
import { compareAccuracy } from "@forno/rl";

export interface ScoredRow {
  model: string;
  prompting: string;
  /** per problem, in order: answered right */
  right: boolean[];
}

const RL_MODELS = ["PPO", "GRPO", "DPO"];

const pct = (right: readonly boolean[]) => `${((100 * right.filter(Boolean).length) / right.length).toFixed(1)}%`;

/** Report lines comparing each RL row with the SFT row of the same prompting; none when there is no such pair. */
export function comparisonLines(rows: readonly ScoredRow[]): string[] {
  const sft = new Map(rows.filter((r) => r.model === "SFT").map((r) => [r.prompting, r]));
  const pairs = rows.filter((r) => RL_MODELS.includes(r.model) && sft.has(r.prompting)).map((r) => [r, sft.get(r.prompting)!] as const);
  if (pairs.length === 0) return [];
  return [
    "## RL against SFT, same format and problems",
    "",
    "| model | prompting | problems | RL | SFT | difference (points) | verdict |",
    "|---|---|---:|---:|---:|---:|---|",
    ...pairs.map(([rl, base]) => {
      const c = compareAccuracy(rl.right, base.right);
      const sign = c.difference >= 0 ? "+" : "−";
      return `| ${rl.model} | ${rl.prompting} | ${c.n} | ${pct(rl.right)} | ${pct(base.right)} | ${sign}${Math.abs(100 * c.difference).toFixed(1)} ± ${(100 * c.stderr).toFixed(1)} | ${c.verdict} |`;
    }),
    "",
    "± is one standard error of the paired difference (both models answer the same problems); a difference within two of them is called no clear difference.",
    "",
  ];
}
