import { expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { useTempDirs } from "../test-dir.ts";
import { TaskError } from "./errors.ts";
import { extractNumber, gsm8kFinalAnswer, isWordProblemCorrect, loadGsm8k, loadSvamp } from "./word-problems.ts";

const tempDir = useTempDirs();
// shared/ sits beside the repository (see the root README); these tests read the real files.
const shared = join(import.meta.dir, "../../../../../shared/data");
const haveShared = existsSync(join(shared, "svamp/svamp.jsonl"));

test.skipIf(!haveShared)("SVAMP loads the 784 records its README lists", () => {
  const svamp = loadSvamp(join(shared, "svamp/svamp.jsonl"));
  expect(svamp).toHaveLength(784);
  expect(svamp[0]).toEqual({
    id: "chal-1",
    question: "Each pack of dvds costs 76 dollars. If there is a discount of 25 dollars on each pack. How much do you have to pay to buy each pack?",
    answer: 51,
  });
  expect(svamp.every((p) => Number.isInteger(p.answer))).toBe(true);
  expect(new Set(svamp.map((p) => p.id)).size).toBe(784);
});

test.skipIf(!haveShared)("GSM8K loads 7,473 records with integer answers (79 with commas, 3 negative)", () => {
  const gsm = loadGsm8k(join(shared, "gsm8k/train.jsonl"));
  expect(gsm).toHaveLength(7473);
  expect(gsm[0].answer).toBe(72);
  expect(gsm.every((p) => Number.isInteger(p.answer))).toBe(true);
  expect(gsm.filter((p) => /^####.*\d,\d/m.test(p.solution!))).toHaveLength(79);
  expect(gsm.filter((p) => p.answer < 0)).toHaveLength(3);
  // The reference solution passes its own check.
  expect(gsm.every((p) => isWordProblemCorrect(p, p.solution!))).toBe(true);
});

test("GSM8K final answers and malformed files", () => {
  expect(gsm8kFinalAnswer("48/2 = <<48/2=24>>24\n#### 1,080")).toBe(1080);
  expect(gsm8kFinalAnswer("so\n#### -3")).toBe(-3);
  expect(() => gsm8kFinalAnswer("no marker 5")).toThrow('expected a GSM8K solution ending in a line "#### <number>"');
  const dir = tempDir();
  const path = join(dir, "g.jsonl");
  writeFileSync(path, '{"question":"q","answer":"#### 4"}\n{"question":"q","answer":"four"}\n');
  expect(() => loadGsm8k(path)).toThrow(`${path}:2: expected a GSM8K solution`);
  writeFileSync(path, '{"ID":"x","Body":"b"}\n');
  expect(() => loadSvamp(path)).toThrow(TaskError);
  expect(() => loadSvamp(path)).toThrow(`${path}:1: expected SVAMP fields`);
});

test("extractNumber reads the answer from tricky outputs", () => {
  const cases: [string, number | null][] = [
    ["The answer is 42.", 42],
    ["She has 1,080 apples", 1080],
    ["It costs $1,234.50 in total", 1234.5],
    ["The temperature fell to -7 degrees", -7],
    ["12-5 = 7", 7],
    ["x-3", 3],
    ["0.5 of 10 is 5.", 5],
    ["#### 18\nI think 20 is wrong", 18],
    ["3 + 4 = 7\n#### 7", 7],
    ["2,5 or 3", 3],
    ["no numbers here", null],
    ["", null],
  ];
  for (const [text, want] of cases) expect([text, extractNumber(text)]).toEqual([text, want]);
});

test("isWordProblemCorrect uses a tolerance", () => {
  const p = { id: "t", question: "q", answer: 51 };
  expect(isWordProblemCorrect(p, "You pay 51.0 dollars")).toBe(true);
  expect(isWordProblemCorrect(p, "You pay 51.0000001")).toBe(true);
  expect(isWordProblemCorrect(p, "You pay 51.01")).toBe(false);
  expect(isWordProblemCorrect(p, "You pay 51.01", 1e-3)).toBe(true);
  expect(isWordProblemCorrect(p, "I do not know")).toBe(false);
  expect(isWordProblemCorrect({ ...p, answer: 0.5 }, "0.5")).toBe(true);
});
