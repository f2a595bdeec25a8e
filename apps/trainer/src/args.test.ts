import { expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs, UsageError } from "./args.ts";

test("stage, typed flag values, --k=v and bare flags", () => {
  expect(parseArgs(["pretrain", "--steps", "20", "--lr=3e-4", "--resume", "--out", "runs/x"])).toEqual({
    stage: "pretrain",
    options: { steps: 20, lr: 3e-4, resume: true, out: "runs/x" },
  });
  expect(parseArgs([])).toEqual({ stage: null, options: {} });
});

test("flags override the config file", () => {
  const dir = mkdtempSync(join(tmpdir(), "forno-args-"));
  const f = join(dir, "c.json");
  writeFileSync(f, JSON.stringify({ steps: 5, preset: "tiny" }));
  expect(parseArgs(["--config", f, "--steps", "9"]).options).toEqual({ steps: 9, preset: "tiny" });
});

test("bad input gives a usage error that names it", () => {
  expect(() => parseArgs(["a", "b"])).toThrow(UsageError);
  expect(() => parseArgs(["--config", "/nonexistent.json"])).toThrow(/nonexistent.json: file not found/);
  const dir = mkdtempSync(join(tmpdir(), "forno-args-"));
  writeFileSync(join(dir, "bad.json"), "{ nope");
  expect(() => parseArgs(["--config", join(dir, "bad.json")])).toThrow(/not valid JSON/);
});
