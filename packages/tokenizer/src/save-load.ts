/**
 * Saving and loading a tokenizer directory: `tokenizer.tiktoken` holds the ranks in tiktoken's
 * format (so other tools can read them) and `tokenizer.json` the rest: format version, pattern,
 * special tokens and the token count (which catches a rank file truncated at a line boundary).
 */

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { VocabularyFileError } from "./errors.ts";
import { jsonErrorLine } from "./json-error-line.ts";
import { type Pattern, isPatternName } from "./patterns.ts";
import { formatTiktokenRanks, parseTiktokenRanks } from "./tiktoken-file.ts";
import { Tokenizer } from "./tokenizer.ts";

export const RANKS_FILE = "tokenizer.tiktoken";
export const CONFIG_FILE = "tokenizer.json";
const FORMAT_VERSION = 1;

interface ConfigFile {
  version: number;
  /** A named pattern; absent when `patternSource` holds a custom regex. */
  pattern?: string;
  patternSource?: string;
  tokenCount: number;
  specials: Record<string, number>;
}

export async function saveTokenizer(tokenizer: Tokenizer, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const p = tokenizer.pattern;
  const config: ConfigFile = {
    version: FORMAT_VERSION,
    ...(typeof p === "string" ? { pattern: p } : { patternSource: p.source }),
    tokenCount: tokenizer.ordinaryTokens.length,
    specials: Object.fromEntries(tokenizer.specialTokens),
  };
  await Bun.write(join(dir, RANKS_FILE), formatTiktokenRanks(tokenizer.ordinaryTokens));
  await Bun.write(join(dir, CONFIG_FILE), JSON.stringify(config, null, 2) + "\n");
}

/** Line (1-based) of the first line containing `needle`, to point errors at a JSON field. */
function lineOf(text: string, needle: string): number {
  const at = text.indexOf(needle);
  return at < 0 ? 1 : text.slice(0, at).split("\n").length;
}

function parseConfig(text: string, file: string): { pattern: Pattern; tokenCount: number; specials: Record<string, number> } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new VocabularyFileError(file, jsonErrorLine(text), `expected valid JSON, got a syntax error (${(e as Error).message}); the file is corrupt or truncated, re-save it`);
  }
  const c = raw as Partial<ConfigFile>;
  const fail = (field: string, expected: string) =>
    new VocabularyFileError(file, lineOf(text, `"${field}"`), `expected ${field} to be ${expected}, got ${JSON.stringify(c[field as keyof ConfigFile])}; re-save the tokenizer with this version of @forno/tokenizer`);
  if (c.version !== FORMAT_VERSION) throw fail("version", String(FORMAT_VERSION));
  if (!Number.isInteger(c.tokenCount) || c.tokenCount! < 256) throw fail("tokenCount", "an integer ≥ 256");
  if (typeof c.specials !== "object" || c.specials === null || Object.values(c.specials).some((id) => !Number.isInteger(id))) {
    throw fail("specials", "an object of special token text → integer id");
  }
  let pattern: Pattern;
  if (isPatternName(c.pattern)) pattern = c.pattern;
  else if (c.pattern === undefined && typeof c.patternSource === "string") pattern = { source: c.patternSource };
  else throw fail("pattern", `"gpt2", "cl100k" or "o200k" (or a patternSource string)`);
  return { pattern, tokenCount: c.tokenCount!, specials: c.specials };
}

export async function loadTokenizer(dir: string): Promise<Tokenizer> {
  const configPath = join(dir, CONFIG_FILE);
  const ranksPath = join(dir, RANKS_FILE);
  for (const path of [configPath, ranksPath]) {
    if (!(await Bun.file(path).exists())) throw new VocabularyFileError(path, 0, `expected a file here, found none; save a tokenizer into ${dir} first (bun run tokenizer train --out ${dir} ...)`);
  }
  const config = parseConfig(await Bun.file(configPath).text(), configPath);
  const ranksText = await Bun.file(ranksPath).text();
  const tokens = parseTiktokenRanks(ranksText, ranksPath);
  if (tokens.length !== config.tokenCount) {
    throw new VocabularyFileError(ranksPath, tokens.length, `expected ${config.tokenCount} tokens (tokenCount in ${CONFIG_FILE}), the file ends after ${tokens.length}; it was truncated, re-save it`);
  }
  return new Tokenizer({ tokens, specials: config.specials, pattern: config.pattern });
}
