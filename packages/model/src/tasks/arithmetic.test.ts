import { expect, test } from "bun:test";
import { Rng } from "../rng.ts";
import {
  answerOf,
  directAnswer,
  enumerateProblems,
  extractAnswer,
  isArithmeticCorrect,
  questionText,
  sampleProblem,
  splitOf,
  stepByStepAnswer,
  type ArithmeticProblem,
} from "./arithmetic.ts";
import { TaskError } from "./errors.ts";

test("question and both answer formats", () => {
  const p: ArithmeticProblem = { a: 47, b: 85, op: "+" };
  expect(questionText(p)).toBe("What is 47 + 85?");
  expect(directAnswer(p)).toBe("132");
  expect(stepByStepAnswer(p)).toBe("7+5=12, write 2 carry 1; 4+8+1=13, write 3 carry 1; write 1. Answer: 132");
  expect(stepByStepAnswer({ a: 347, b: 21, op: "+" })).toBe("7+1=8, write 8; 4+2=6, write 6; write 3. Answer: 368");
  expect(stepByStepAnswer({ a: 395, b: 7, op: "+" })).toBe("5+7=12, write 2 carry 1; 9+1=10, write 0 carry 1; 3+1=4, write 4. Answer: 402");
  expect(stepByStepAnswer({ a: 432, b: 85, op: "-" })).toBe("12-5=7, write 7 borrow 1; 13-8-1=4, write 4 borrow 1; 4-1=3, write 3. Answer: 347");
  expect(stepByStepAnswer({ a: 105, b: 98, op: "-" })).toBe("15-8=7, write 7 borrow 1; 10-9-1=0, write 0 borrow 1; 1-1=0, write 0. Answer: 7");
  expect(stepByStepAnswer({ a: 58, b: 58, op: "-" })).toBe("8-8=0, write 0; 5-5=0, write 0. Answer: 0");
});

test("every step-by-step answer in 1–3 digits checks out and stays short", () => {
  let longest = 0;
  for (const p of enumerateProblems({ minDigits: 1, maxDigits: 3 })) {
    if ((p.a * 7 + p.b) % 13 !== 0) continue; // a spread-out sample of ~75k problems keeps the test fast
    const text = stepByStepAnswer(p);
    expect(isArithmeticCorrect(p, text)).toBe(true);
    longest = Math.max(longest, questionText(p).length + text.length);
  }
  expect(longest).toBeLessThanOrEqual(130); // characters of user + assistant text
});

test("the held-out split is about evalFraction, symmetric for addition, and training never sees it", () => {
  const options = { minDigits: 2, maxDigits: 3, evalFraction: 0.1 };
  let all = 0;
  let held = 0;
  for (const p of enumerateProblems(options)) {
    all++;
    const s = splitOf(p, 0.1);
    if (s === "eval") held++;
    if (p.op === "+") expect(splitOf({ a: p.b, b: p.a, op: "+" })).toBe(s);
  }
  expect(held / all).toBeGreaterThan(0.095);
  expect(held / all).toBeLessThan(0.105);
  let n = 0;
  for (const p of enumerateProblems(options, "train")) if (++n % 97 === 0) expect(splitOf(p)).toBe("train");
  expect(n).toBe(all - held);
  const rng = Rng.fromSeed(7);
  for (let i = 0; i < 100_000; i++) {
    const p = sampleProblem(rng, options, "train");
    if (splitOf(p) !== "train") throw new Error(`eval problem leaked into training: ${JSON.stringify(p)}`);
    expect(p.a).toBeGreaterThanOrEqual(10);
    if (p.op === "-") expect(p.a).toBeGreaterThanOrEqual(p.b);
  }
  for (let i = 0; i < 1000; i++) expect(splitOf(sampleProblem(rng, options, "eval"))).toBe("eval");
});

test("sampling is deterministic and covers both digit counts and both ops", () => {
  const draw = (seed: number) => {
    const rng = Rng.fromSeed(seed);
    return Array.from({ length: 200 }, () => sampleProblem(rng, {}, "train"));
  };
  const a = draw(3);
  expect(draw(3)).toEqual(a);
  expect(new Set(a.map((p) => p.op))).toEqual(new Set(["+", "-"]));
  expect(a.some((p) => p.a < 100) && a.some((p) => p.a >= 100)).toBe(true);
  expect(() => sampleProblem(Rng.fromSeed(1), { minDigits: 3, maxDigits: 2 }, "train")).toThrow(TaskError);
  expect(() => sampleProblem(Rng.fromSeed(1), { evalFraction: 0 }, "eval")).toThrow("evalFraction > 0");
});

test("extractAnswer prefers 'Answer:' and falls back to the last number", () => {
  expect(extractAnswer("7+5=12, write 2 carry 1; write 1. Answer: 132")).toBe(132);
  expect(extractAnswer("Answer: 12 and then 99")).toBe(12);
  expect(extractAnswer("Answer: 1 ... Answer: 1,032.")).toBe(1032);
  expect(extractAnswer("The sum is 132.")).toBe(132);
  expect(extractAnswer("10-3 gives 7")).toBe(7);
  expect(extractAnswer("it is -3")).toBe(-3);
  expect(extractAnswer("Answer: none, sorry; maybe 5")).toBe(5);
  expect(extractAnswer("no idea")).toBeNull();
  expect(isArithmeticCorrect({ a: 47, b: 85, op: "+" }, "132")).toBe(true);
  expect(isArithmeticCorrect({ a: 47, b: 85, op: "+" }, "Answer: 131")).toBe(false);
  expect(answerOf({ a: 9, b: 90, op: "-" })).toBe(-81);
});
