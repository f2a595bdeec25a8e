import { expect, test } from "bun:test";
import { compareAccuracy } from "./compare.ts";
import { RlError } from "./errors.ts";

const list = (ones: number, n: number) => Array.from({ length: n }, (_, i) => i < ones);

test("the paired standard error matches a hand computation", () => {
  // 10 problems: a right on 0–5, b right on 0–2 and 6 → d = 0,0,0,1,1,1,−1,0,0,0; mean 0.2
  const a = list(6, 10);
  const b = [...list(3, 10).slice(0, 6), true, false, false, false];
  const r = compareAccuracy(a, b);
  const variance = (6 * 0.2 ** 2 + 3 * 0.8 ** 2 + 1.2 ** 2) / 9;
  expect(r.difference).toBeCloseTo(0.2, 12);
  expect(r.stderr).toBeCloseTo(Math.sqrt(variance / 10), 12);
  expect(r.verdict).toBe("no clear difference"); // 0.2 < 2 × 0.133
});

test("a gap beyond two standard errors is better (or worse the other way round); identical answers are no difference", () => {
  const a = list(90, 200);
  const b = list(60, 200); // a right on every problem b gets right, and 30 more: d has 30 ones
  expect(compareAccuracy(a, b).verdict).toBe("better");
  expect(compareAccuracy(b, a).verdict).toBe("worse");
  expect(compareAccuracy(b, a).difference).toBeCloseTo(-0.15, 12);
  expect(compareAccuracy(a, a)).toEqual({ n: 200, difference: 0, stderr: 0, verdict: "no clear difference" });
});

test("lists of different lengths are an RlError", () => {
  expect(() => compareAccuracy([true, false], [true])).toThrow(RlError);
});
