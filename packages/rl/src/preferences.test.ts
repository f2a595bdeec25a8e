import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChatMessage } from "@forno/tokenizer";
import { PreferenceDataError } from "./errors.ts";
import { loadPreferences, pairsFromRatings, parsePreferenceLine } from "./preferences.ts";

const dir = mkdtempSync(join(tmpdir(), "forno-prefs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(lines: unknown[]): string {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(path, lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l)) + "\n").join(""));
  return path;
}

test("chat-message prompts (the server's export) keep their turns; a trailing assistant turn is dropped as renderPrompt drops it", () => {
  const prompt = [{ role: "system", content: "be brief" }, { role: "user", content: "hi" }, { role: "assistant", content: "hello" }, { role: "user", content: "2+2?" }] satisfies ChatMessage[];
  expect(parsePreferenceLine(JSON.stringify({ prompt, chosen: "4", rejected: "5", source: "comparison" }))).toEqual({ prompt, chosen: "4", rejected: "5" });
  expect(parsePreferenceLine(JSON.stringify({ prompt: [...prompt, { role: "assistant", content: "it is" }], chosen: "4", rejected: "5" })).prompt).toEqual(prompt);
  expect(parsePreferenceLine(JSON.stringify({ prompt: "2+2=", chosen: "4", rejected: "5", source: "rating" })).prompt).toEqual([{ role: "user", content: "2+2=" }]);
});

test("malformed chat prompts are PreferenceDataErrors naming the line", () => {
  for (const prompt of [[{ role: "robot", content: "x" }], [{ role: "user" }], [{ role: "assistant", content: "only a reply" }], 7]) {
    expect(() => parsePreferenceLine(JSON.stringify({ prompt, chosen: "a", rejected: "b" }), "f.jsonl:3")).toThrow(PreferenceDataError);
  }
  expect(() => parsePreferenceLine(JSON.stringify({ prompt: 7, chosen: "a", rejected: "b" }), "f.jsonl:3")).toThrow(/f\.jsonl:3: expected "prompt" to be a string or/);
});

test("ratings pair per prompt: every liked response over every disliked one; one-sided prompts make none", () => {
  const hi = [{ role: "user" as const, content: "hi" }];
  expect(pairsFromRatings([
    { prompt: hi, response: "hello", rating: 1 },
    { prompt: [{ role: "user", content: "bye" }], response: "ciao", rating: 1 },
    { prompt: hi, response: "go away", rating: -1 },
    { prompt: hi, response: "hey", rating: 1 },
    { prompt: hi, response: "meh", rating: -1 },
  ])).toEqual([
    { prompt: hi, chosen: "hello", rejected: "go away" },
    { prompt: hi, chosen: "hello", rejected: "meh" },
    { prompt: hi, chosen: "hey", rejected: "go away" },
    { prompt: hi, chosen: "hey", rejected: "meh" },
  ]);
});

test("loadPreferences reads pairs and rating lines in one file and counts what it skips", () => {
  const hi = [{ role: "user" as const, content: "hi" }];
  const out = loadPreferences(file([
    { prompt: hi, chosen: "hello", rejected: "go away", source: "comparison" },
    { prompt: hi, response: "hello", rating: 1 },
    { prompt: hi, response: "hello", rating: -1 }, // the same text on both sides: no preference
    { prompt: hi, response: "shoo", rating: -1 },
    { prompt: hi, response: "x", rating: 0 },
    "not json",
  ]));
  expect(out.pairs).toEqual([
    { prompt: hi, chosen: "hello", rejected: "go away" },
    { prompt: hi, chosen: "hello", rejected: "shoo" },
  ]);
  expect(out.skipped).toBe(3);
  expect(out.firstError).toContain('expected "rating" to be 1 or -1, got 0');
});
