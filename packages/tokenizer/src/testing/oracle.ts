/**
 * Test and benchmark support: paths to the shared datasets and the GPT-2 / cl100k / o200k vocabularies
 * converted from js-tiktoken (a devDependency used as the oracle) into this package's form.
 * Not exported from index.ts.
 */

import { existsSync } from "node:fs";
import { join } from "node:path";
import { Tiktoken } from "js-tiktoken/lite";
import cl100k from "js-tiktoken/ranks/cl100k_base";
import gpt2 from "js-tiktoken/ranks/gpt2";
import o200k from "js-tiktoken/ranks/o200k_base";
import type { VocabularySpec } from "../tokenizer.ts";

/** The repo's sibling `shared/data` folder; throws (never skips) when it is missing. */
export function sharedDataPath(...parts: string[]): string {
  const dataRoot = join(import.meta.dir, "..", "..", "..", "..", "..", "shared", "data");
  const path = join(dataRoot, ...parts);
  if (!existsSync(path)) throw new Error(`expected shared data at ${path}; place a copy of shared/ beside the repo clone`);
  return path;
}

export type OracleName = "r50k_base" | "cl100k_base" | "o200k_base";

const RANK_DATA = { r50k_base: gpt2, cl100k_base: cl100k, o200k_base: o200k } as const;
const PATTERNS = { r50k_base: "gpt2", cl100k_base: "cl100k", o200k_base: "o200k" } as const;

/** Decodes js-tiktoken's packed rank lines ("<tag> <first rank> <base64>...") into token bytes. */
export function oracleVocabulary(name: OracleName): VocabularySpec {
  const data = RANK_DATA[name];
  const tokens: Uint8Array[] = [];
  for (const line of data.bpe_ranks.split("\n")) {
    if (!line) continue;
    const [, first, ...b64] = line.split(" ");
    b64.forEach((t, i) => (tokens[Number(first) + i] = Uint8Array.fromBase64(t)));
  }
  return { tokens, specials: data.special_tokens, pattern: PATTERNS[name] };
}

export function oracleEncoder(name: OracleName): Tiktoken {
  return new Tiktoken(RANK_DATA[name]);
}
