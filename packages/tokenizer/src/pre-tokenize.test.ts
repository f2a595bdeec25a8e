import { describe, expect, test } from "bun:test";
import { HEAVY_TEST_MS } from "./testing/timeouts.ts";
import { PATTERN_SOURCES, type PatternName } from "./patterns.ts";
import { preTokenize, scannerFor } from "./pre-tokenize.ts";
import { sharedDataFiles } from "./testing/corpus.ts";
import { edgeCaseStrings } from "./testing/edge-cases.ts";

function regexChunks(text: string, name: PatternName): string[] {
  return [...text.matchAll(new RegExp(PATTERN_SOURCES[name], "gu"))].map((m) => m[0]);
}

/** Index of the first differing chunk, with neighbours, so a failure shows where the scanner strays. */
function firstDifference(a: string[], b: string[]): string | undefined {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return JSON.stringify({ at: i, scanner: a.slice(i - 2, i + 3), regex: b.slice(i - 2, i + 3) });
  }
  return undefined;
}

const files = await sharedDataFiles();

for (const name of ["gpt2", "cl100k", "o200k"] as const) {
  describe(`${name} scanner matches the regex`, () => {
    test("has a hand-written scanner", () => {
      expect(scannerFor(name)).toBeDefined();
    });
    for (const file of files) {
      test(file.name, () => {
        expect(firstDifference(preTokenize(file.text, name), regexChunks(file.text, name))).toBeUndefined();
      }, HEAVY_TEST_MS);
    }
    test("generated edge cases", () => {
      for (const text of edgeCaseStrings(2000)) {
        expect(firstDifference(preTokenize(text, name), regexChunks(text, name))).toBeUndefined();
      }
    }, HEAVY_TEST_MS);
  });
}

test("o200k splits cased words, marks and slashes as its regex does", () => {
  const text = "Hello WORLDwide HTMLParser 'S the cat's CAT'S 12345 /path//\n\n  x e\u0301 \u0301x";
  expect(preTokenize(text, "o200k")).toEqual(regexChunks(text, "o200k"));
});

test("custom patterns run the regex", () => {
  expect(preTokenize("ab12cd", { source: "\\d+" })).toEqual(["12"]);
});

test("chunks concatenate back to the input", () => {
  for (const text of edgeCaseStrings(200)) expect(preTokenize(text, "cl100k").join("")).toBe(text);
});
