import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { checkOptions, numberOption, parseArgs, UsageError } from "./args.ts";
import { CHAT_FLAGS, TRAINER_FLAGS, trainerOptions } from "./options.ts";

/** Option names a source file reads by name: `opts.x`, `options.x`, `opts["x-y"]`, `numberOption(opts, "x"`. */
function readNames(src: string): Set<string> {
  const names = new Set<string>();
  // Not file names such as ./options.ts or options.test.ts.
  for (const m of src.matchAll(/(?<![\w./])(?:opts|options)(?:\.([A-Za-z_]\w*)(?![\w.])|\[["']([\w-]+)["']\])/g)) names.add(m[1] ?? m[2]!);
  for (const m of src.matchAll(/numberOption\((?:opts|options), "([\w-]+)"/g)) names.add(m[1]!);
  return names;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && !f.startsWith("experiments"))
    .map((f) => join(dir, f));
}

test("the option lists hold exactly the options the trainer's and the chat's sources read", () => {
  const all = sources(import.meta.dir);
  const chat = join(import.meta.dir, "chat.ts");
  const trainerRead = new Set(all.filter((f) => f !== chat).flatMap((f) => [...readNames(readFileSync(f, "utf8"))]));
  // The trainer reads every preset setting through one loop (opts[key]), so those are in by construction.
  const known = trainerOptions();
  expect([...trainerRead].filter((n) => !known.has(n))).toEqual([]);
  expect(TRAINER_FLAGS.filter((n) => !trainerRead.has(n))).toEqual([]);
  // The chat reads its own options, and --run through the run's paths.
  const chatRead = new Set([...readNames(readFileSync(chat, "utf8")), "run"]);
  expect([...chatRead].sort()).toEqual([...CHAT_FLAGS].sort());
});

test("an unknown option, from the command line or a config file, is a usage error naming it and the nearest known one", () => {
  const known = trainerOptions();
  expect(() => checkOptions(parseArgs(["pretrain", "--steps", "5", "--lr", "0.001"]).options, known, "see help")).not.toThrow();
  expect(() => checkOptions(parseArgs(["pretrain", "--step", "5"]).options, known, "see help")).toThrow(new UsageError("unknown option --step (did you mean --steps?); see help"));
  expect(() => checkOptions(parseArgs(["--data", "x.txt", "--Corpus", "y.txt"]).options, known, "see help")).toThrow("unknown options --data, --Corpus (did you mean --corpus?); see help");
  expect(() => checkOptions({ grpoKL: 0.1 }, known, "see help")).toThrow("unknown option --grpoKL (did you mean --grpoKl?)");
  expect(() => checkOptions({ checkpointEv: 5 }, known, "see help")).toThrow("unknown option --checkpointEv (did you mean --checkpointEvery?)");
  expect(() => checkOptions({ grpo: 5 }, known, "see help")).toThrow(new UsageError("unknown option --grpo; see help")); // abbreviates several
});

test("numberOption gives the fallback when the option is absent and a usage error when it is not a fitting number", () => {
  const opts = parseArgs(["eval", "--problems", "50", "--lr", "3e-4", "--steps", "abc", "--vocab", "2.5"]).options;
  expect(numberOption(opts, "problems", 400, { min: 1, integer: true })).toBe(50);
  expect(numberOption(opts, "lr", 1)).toBe(3e-4);
  expect(numberOption(opts, "hidden", 64)).toBe(64);
  expect(() => numberOption(opts, "steps", 10, { integer: true })).toThrow(new UsageError("--steps must be an integer ≥ 0, got 'abc'"));
  expect(() => numberOption(opts, "vocab", 512, { min: 1, integer: true })).toThrow("--vocab must be an integer ≥ 1, got '2.5'");
  expect(() => numberOption({ problems: 0 }, "problems", 400, { min: 1, integer: true })).toThrow("--problems must be an integer ≥ 1, got '0'");
});
