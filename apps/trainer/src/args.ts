/**
 * Command-line parsing for `bun run train <stage> [--config file.json] [--key value ...]`: a stage name,
 * then options from an optional JSON config file, overridden by `--key value` flags. Values are parsed
 * as JSON where they parse (numbers, booleans) and kept as strings otherwise; `--flag` alone means true.
 */
import { readFileSync } from "node:fs";
import { CheckpointError, ConfigError, ShardError } from "@forno/model";
import { ChatFormatError, InvalidVocabularyError, TrainingError, VocabularyFileError } from "@forno/tokenizer";

export type Options = Record<string, string | number | boolean>;

export interface Command {
  stage: string | null;
  options: Options;
}

export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * Bad input rather than a bug: options, a checkpoint path or a damaged checkpoint, a foreign or truncated
 * data file, a corpus or vocabulary that cannot be used. Its message says what and where, so the commands
 * print it without a stack trace and exit 2.
 */
export function isInputError(e: unknown): e is Error {
  return [UsageError, CheckpointError, ShardError, ConfigError, TrainingError, VocabularyFileError, InvalidVocabularyError, ChatFormatError].some((c) => e instanceof c);
}

function parseValue(raw: string): string | number | boolean {
  try {
    const v: unknown = JSON.parse(raw);
    if (typeof v === "number" || typeof v === "boolean") return v;
  } catch {}
  return raw;
}

function readConfig(path: string): Options {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new UsageError(`--config ${path}: file not found`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--config ${path}: not valid JSON (${(e as Error).message})`);
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new UsageError(`--config ${path}: expected a JSON object of options`);
  return v as Options;
}

export function parseArgs(argv: readonly string[]): Command {
  let stage: string | null = null;
  const flags: Options = {};
  let config: Options = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) {
      if (stage !== null) throw new UsageError(`unexpected argument '${a}' after stage '${stage}'`);
      stage = a;
      continue;
    }
    const eq = a.indexOf("=");
    const key = eq > 0 ? a.slice(2, eq) : a.slice(2);
    const next = argv[i + 1];
    const value = eq > 0 ? a.slice(eq + 1) : next !== undefined && !next.startsWith("--") ? (i++, next) : "true";
    if (key === "config") config = readConfig(value);
    else flags[key] = parseValue(value);
  }
  return { stage, options: { ...config, ...flags } };
}

/** Edit distance between two option names (insertions, deletions, substitutions). */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next.push(Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    row = next;
  }
  return row[b.length]!;
}

/**
 * Throws a UsageError naming every option (flag or --config key) that is not in `known`, with a known
 * name it may have meant (the only one it abbreviates, else the nearest with a third of the letters or
 * fewer different), then `hint`.
 */
export function checkOptions(options: Options, known: ReadonlySet<string>, hint: string): void {
  const unknown = Object.keys(options).filter((k) => !known.has(k));
  if (unknown.length === 0) return;
  const named = unknown.map((k) => {
    const key = k.toLowerCase();
    let best: { name: string; d: number } | null = null;
    for (const name of known) {
      const d = distance(key, name.toLowerCase());
      if (d <= Math.max(1, Math.floor(k.length / 3)) && (!best || d < best.d)) best = { name, d };
    }
    // A name it abbreviates (--temp for --temperature) comes first, when only one does.
    const longer = [...known].filter((name) => key.length >= 3 && name.toLowerCase().startsWith(key));
    const near = longer.length === 1 ? longer[0] : best?.name;
    return near ? `--${k} (did you mean --${near}?)` : `--${k}`;
  });
  throw new UsageError(`unknown option${unknown.length > 1 ? "s" : ""} ${named.join(", ")}; ${hint}`);
}

/**
 * A numeric option: `fallback` when it is absent, else its value, which must be a number ≥ `min` (and a
 * whole one with `integer`); anything else is a UsageError naming the option.
 */
export function numberOption(opts: Options, name: string, fallback: number, { min = 0, integer = false } = {}): number {
  const raw = opts[name];
  if (raw === undefined) return fallback;
  const v = typeof raw === "number" ? raw : Number.NaN;
  if (!Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) {
    throw new UsageError(`--${name} must be ${integer ? "an integer" : "a number"} ≥ ${min}, got '${raw}'`);
  }
  return v;
}
