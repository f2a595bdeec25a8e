#!/usr/bin/env bun
/**
 * Command line entry: `train` learns and saves a vocabulary and reports compression on held-out
 * text; `encode` / `decode` use a saved one. Wiring only: the work is in the package modules.
 */

import { parseArgs } from "node:util";
import { bytesPerToken } from "./compression.ts";
import { TokenizerError } from "./errors.ts";
import { isPatternName } from "./patterns.ts";
import { loadTokenizer, saveTokenizer } from "./save-load.ts";
import { trainTokenizer } from "./trainer.ts";

const USAGE = `usage:
  tokenizer train --vocab N --out DIR [--min-frequency 2] [--pattern cl100k|gpt2|o200k] [--held-out 0.1] [--no-progress] FILE...
  tokenizer encode --dir DIR [--allow-special] [TEXT]     (TEXT defaults to stdin; prints ids)
  tokenizer decode --dir DIR [ID...]                      (IDs default to stdin; prints text)`;

class UsageError extends Error {}

function option(value: string | boolean | undefined, name: string): string {
  if (typeof value !== "string") throw new UsageError(`expected --${name} <value>, got none`);
  return value;
}

async function train(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      vocab: { type: "string" },
      out: { type: "string" },
      "min-frequency": { type: "string", default: "2" },
      pattern: { type: "string", default: "cl100k" },
      "held-out": { type: "string", default: "0.1" },
      "no-progress": { type: "boolean", default: false },
    },
  });
  const vocabSize = Number(option(values.vocab, "vocab"));
  const out = option(values.out, "out");
  const heldOutFraction = Number(values["held-out"]);
  if (!isPatternName(values.pattern)) throw new UsageError(`expected --pattern gpt2, cl100k or o200k, got ${values.pattern}`);
  if (!(heldOutFraction >= 0 && heldOutFraction < 1)) throw new UsageError(`expected --held-out in [0, 1), got ${values["held-out"]}`);
  if (positionals.length === 0) throw new UsageError("expected at least one corpus file");
  const train: string[] = [];
  const heldOut: string[] = [];
  for (const path of positionals) {
    const file = Bun.file(path);
    if (!(await file.exists())) throw new UsageError(`expected a corpus file at ${path}, found none`);
    const text = await file.text();
    // Cut at a line start so the held-out slice is whole lines the trainer never saw.
    const cut = heldOutFraction === 0 ? text.length : text.indexOf("\n", Math.floor(text.length * (1 - heldOutFraction))) + 1 || text.length;
    train.push(text.slice(0, cut));
    heldOut.push(text.slice(cut));
  }
  const started = performance.now();
  const { tokenizer, merges } = trainTokenizer(train, {
    vocabSize,
    minFrequency: Number(values["min-frequency"]),
    pattern: values.pattern,
    progress: values["no-progress"] ? false : "auto",
  });
  const seconds = (performance.now() - started) / 1000;
  await saveTokenizer(tokenizer, out);
  const held = heldOut.join("");
  console.log(`trained ${merges.length} merges (vocab ${tokenizer.vocabSize}) in ${seconds.toFixed(2)} s; saved to ${out}`);
  console.log(`compression: ${bytesPerToken(tokenizer, train.join("")).toFixed(3)} bytes/token on training text`);
  if (held.length > 0) console.log(`compression: ${bytesPerToken(tokenizer, held).toFixed(3)} bytes/token on held-out text (${held.length} chars)`);
}

async function encode(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { dir: { type: "string" }, "allow-special": { type: "boolean", default: false } },
  });
  const tokenizer = await loadTokenizer(option(values.dir, "dir"));
  const text = positionals.length > 0 ? positionals.join(" ") : await Bun.stdin.text();
  console.log(tokenizer.encode(text, { allowedSpecial: values["allow-special"] ? "all" : [] }).join(" "));
}

async function decode(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { dir: { type: "string" } } });
  const tokenizer = await loadTokenizer(option(values.dir, "dir"));
  const raw = positionals.length > 0 ? positionals.join(" ") : await Bun.stdin.text();
  const ids = raw.split(/[\s,]+/).filter(Boolean).map(Number);
  if (ids.some((id) => !Number.isInteger(id))) throw new UsageError(`expected integer token ids, got ${JSON.stringify(raw.slice(0, 60))}`);
  process.stdout.write(tokenizer.decode(ids));
}

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = { train, encode, decode };

const [command, ...rest] = Bun.argv.slice(2);
try {
  const run = COMMANDS[command ?? ""];
  if (!run) throw new UsageError(command ? `unknown command "${command}"` : "expected a command");
  await run(rest);
} catch (e) {
  if (e instanceof UsageError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (e instanceof TokenizerError) {
    console.error(`error: ${e.message}`);
    process.exit(1);
  }
  throw e;
}
