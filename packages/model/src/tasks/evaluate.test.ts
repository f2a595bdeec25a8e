import { expect, test } from "bun:test";
import { isArithmeticCorrect, questionText, type ArithmeticProblem } from "./arithmetic.ts";
import { TaskError } from "./errors.ts";
import { evaluateTask } from "./evaluate.ts";
import { zeroShotPrompt } from "./few-shot.ts";

const problems: ArithmeticProblem[] = Array.from({ length: 7 }, (_, i) => ({ a: 10 + i, b: 20, op: "+" }));

test("evaluateTask scores a fake generator and keeps the first examples", async () => {
  const calls: number[] = [];
  // Right on even a, wrong on odd a.
  const generate = async (prompts: string[]) => {
    calls.push(prompts.length);
    return prompts.map((p) => {
      const a = Number(/What is (\d+)/.exec(p)![1]);
      return ` ${a % 2 === 0 ? a + 20 : a + 21}`;
    });
  };
  const result = await evaluateTask({
    problems,
    buildPrompt: (p) => zeroShotPrompt(questionText(p)),
    generate,
    check: isArithmeticCorrect,
    batchSize: 3,
    keepExamples: 2,
  });
  expect(calls).toEqual([3, 3, 1]);
  expect(result).toEqual({
    n: 7,
    correct: 4,
    accuracy: 4 / 7,
    examples: [
      { prompt: "Q: What is 10 + 20?\nA:", output: " 30", ok: true },
      { prompt: "Q: What is 11 + 20?\nA:", output: " 32", ok: false },
    ],
  });
});

test("evaluateTask handles no problems and refuses a generator that drops outputs", async () => {
  const none = await evaluateTask({ problems: [], buildPrompt: questionText, generate: async () => [], check: isArithmeticCorrect });
  expect(none).toEqual({ n: 0, correct: 0, accuracy: 0, examples: [] });
  const short = evaluateTask({ problems, buildPrompt: questionText, generate: async (p) => p.slice(1), check: isArithmeticCorrect });
  await expect(short).rejects.toThrow(TaskError);
  await expect(short).rejects.toThrow("generate: expected 7 outputs (one per prompt), got 6");
});
