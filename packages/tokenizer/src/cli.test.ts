import { expect, test } from "bun:test";
import { HEAVY_TEST_MS } from "./testing/timeouts.ts";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sharedDataPath } from "./testing/oracle.ts";

const CLI = join(import.meta.dir, "cli.ts");

function run(args: string[], stdin?: string) {
  const proc = Bun.spawnSync(["bun", CLI, ...args], { stdin: stdin === undefined ? undefined : new TextEncoder().encode(stdin) });
  return { code: proc.exitCode, out: proc.stdout.toString(), err: proc.stderr.toString() };
}

test("train on tinyshakespeare, then encode and decode through the saved directory", () => {
  const dir = join(mkdtempSync(join(tmpdir(), "forno-cli-")), "vocab");
  const trained = run(["train", "--vocab", "1024", "--out", dir, "--no-progress", sharedDataPath("tinyshakespeare/input.txt")]);
  expect(trained.err).toBe("");
  expect(trained.code).toBe(0);
  expect(trained.out).toMatch(/bytes\/token on held-out text/);
  const encoded = run(["encode", "--dir", dir, "First Citizen: speak!"]);
  expect(encoded.code).toBe(0);
  const decoded = run(["decode", "--dir", dir], encoded.out);
  expect(decoded.out).toBe("First Citizen: speak!");
  const special = run(["encode", "--dir", dir, "<|endoftext|>"]);
  expect(special.code).toBe(1);
  expect(special.err).toContain("allowedSpecial");
}, HEAVY_TEST_MS);

test("usage errors exit 2 with the usage text", () => {
  const r = run(["train", "--out", "x"]);
  expect(r.code).toBe(2);
  expect(r.err).toContain("--vocab");
}, HEAVY_TEST_MS);
