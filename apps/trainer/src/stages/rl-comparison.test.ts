import { expect, test } from "bun:test";
import { comparisonLines } from "./rl-comparison.ts";

const right = (ones: number, n: number) => Array.from({ length: n }, (_, i) => i < ones);

test("each RL row is set beside the SFT row of its own format, with the paired verdict", () => {
  const rows = [
    { model: "SFT", prompting: "direct", right: right(10, 200) },
    { model: "SFT", prompting: "step by step", right: right(60, 200) },
    { model: "SFT", prompting: "majority of 8 samples (direct)", right: right(15, 200) },
    { model: "GRPO", prompting: "step by step", right: right(90, 200) },
    { model: "DPO", prompting: "direct", right: right(12, 200) },
  ];
  const lines = comparisonLines(rows);
  expect(lines).toContain("| GRPO | step by step | 200 | 45.0% | 30.0% | +15.0 ± 2.5 | better |");
  expect(lines).toContain("| DPO | direct | 200 | 6.0% | 5.0% | +1.0 ± 0.7 | no clear difference |");
  expect(lines.filter((l) => l.startsWith("| GRPO") || l.startsWith("| DPO"))).toHaveLength(2);
});

test("a worse RL model is called worse, and no RL rows means no section", () => {
  const sft = { model: "SFT", prompting: "direct", right: right(40, 100) };
  expect(comparisonLines([sft, { model: "PPO", prompting: "direct", right: right(10, 100) }]).some((l) => l.includes("| −30.0 ± 4.6 | worse |"))).toBe(true);
  expect(comparisonLines([sft])).toEqual([]);
  expect(comparisonLines([sft, { model: "GRPO", prompting: "step by step", right: right(10, 100) }])).toEqual([]);
});
