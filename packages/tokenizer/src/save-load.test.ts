import { expect, test } from "bun:test";
import { HEAVY_TEST_MS } from "./testing/timeouts.ts";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VocabularyFileError } from "./errors.ts";
import { jsonErrorLine } from "./json-error-line.ts";
import { CONFIG_FILE, RANKS_FILE, loadTokenizer, saveTokenizer } from "./save-load.ts";
import { oracleVocabulary, sharedDataPath } from "./testing/oracle.ts";
import { formatTiktokenRanks, parseTiktokenRanks } from "./tiktoken-file.ts";
import { Tokenizer } from "./tokenizer.ts";
import { trainTokenizer } from "./trainer.ts";

const alice = await Bun.file(sharedDataPath("alice/alice.txt")).text();
const trained = trainTokenizer([alice], { vocabSize: 700, progress: false }).tokenizer;

async function savedDir(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "forno-tok-"));
  await saveTokenizer(trained, dir);
  return dir;
}

async function loadError(dir: string): Promise<VocabularyFileError> {
  try {
    await loadTokenizer(dir);
  } catch (e) {
    expect(e).toBeInstanceOf(VocabularyFileError);
    return e as VocabularyFileError;
  }
  throw new Error("expected loading to fail");
}

test("save then load gives the same encodings and specials", async () => {
  const loaded = await loadTokenizer(await savedDir());
  expect(loaded.encode(alice)).toEqual(trained.encode(alice));
  expect([...loaded.specialTokens]).toEqual([...trained.specialTokens]);
  expect(loaded.pattern).toBe("cl100k");
});

test("a corrupt rank line names the file and line", async () => {
  const dir = await savedDir();
  const path = join(dir, RANKS_FILE);
  const lines = readFileSync(path, "utf8").split("\n");
  lines[41] = "not*base64 41";
  writeFileSync(path, lines.join("\n"));
  const e = await loadError(dir);
  expect(e.file).toBe(path);
  expect(e.line).toBe(42);
  expect(e.message).toContain(`${path}:42`);
});

test("a rank file cut mid-line or at a line boundary is reported", async () => {
  const dir = await savedDir();
  const path = join(dir, RANKS_FILE);
  const text = readFileSync(path, "utf8");
  writeFileSync(path, text.slice(0, text.length - 5));
  expect((await loadError(dir)).line).toBe(text.trimEnd().split("\n").length);
  writeFileSync(path, text.split("\n").slice(0, 600).join("\n") + "\n");
  const e = await loadError(dir);
  expect(e.line).toBe(600);
  expect(e.message).toContain("truncated");
});

test("a truncated or invalid tokenizer.json names its line", async () => {
  const dir = await savedDir();
  const path = join(dir, CONFIG_FILE);
  const text = readFileSync(path, "utf8");
  writeFileSync(path, text.slice(0, text.indexOf("<|user_start|>")));
  const e = await loadError(dir);
  expect(e.file).toBe(path);
  expect(e.line).toBe(text.slice(0, text.indexOf("<|user_start|>")).split("\n").length);
  writeFileSync(path, text.replace('"version": 1', '"version": 9'));
  expect((await loadError(dir)).line).toBe(2);
});

test("tiktoken files written from the cl100k ranks load back identically", () => {
  const spec = oracleVocabulary("cl100k_base");
  const text = formatTiktokenRanks(spec.tokens);
  const tokens = parseTiktokenRanks(text, "cl100k_base.tiktoken");
  expect(tokens.length).toBe(spec.tokens.length);
  const a = new Tokenizer(spec);
  const b = new Tokenizer({ ...spec, tokens });
  expect(b.encodeOrdinary(alice)).toEqual(a.encodeOrdinary(alice));
  expect(() => parseTiktokenRanks("IQ== 0\nIg== 5\n", "x.tiktoken")).toThrow("x.tiktoken:2");
}, HEAVY_TEST_MS);

test("jsonErrorLine points at the first syntax error", () => {
  expect(jsonErrorLine('{\n  "a": 1,\n  "b": x\n}')).toBe(3);
  expect(jsonErrorLine('{\n  "a": [1,\n')).toBe(3);
});
