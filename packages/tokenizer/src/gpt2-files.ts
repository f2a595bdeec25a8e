/**
 * Loader for OpenAI's original GPT-2 release files: `encoder.json` (token spelled in the byte↔unicode
 * alphabet → id) and `vocab.bpe` (the merges, in rank order). Ranks come from encoder.json; every
 * merge line is checked against it, so a mismatched or truncated pair of files fails with the line.
 */

import { gpt2StringToBytes } from "./byte-unicode.ts";
import { VocabularyFileError } from "./errors.ts";
import { jsonErrorLine } from "./json-error-line.ts";
import type { VocabularySpec } from "./tokenizer.ts";

const GPT2_SPECIALS = ["<|endoftext|>"];

export async function loadGpt2Files(encoderJsonPath: string, vocabBpePath: string): Promise<VocabularySpec> {
  const encoderText = await Bun.file(encoderJsonPath).text();
  let encoder: Record<string, number>;
  try {
    encoder = JSON.parse(encoderText);
  } catch (e) {
    throw new VocabularyFileError(encoderJsonPath, jsonErrorLine(encoderText), `expected valid JSON, got a syntax error (${(e as Error).message}); re-download encoder.json`);
  }
  const tokens: Uint8Array[] = [];
  const specials: Record<string, number> = {};
  for (const [spelling, id] of Object.entries(encoder)) {
    if (GPT2_SPECIALS.includes(spelling)) {
      specials[spelling] = id;
      continue;
    }
    const bytes = gpt2StringToBytes(spelling);
    if (!bytes || !Number.isInteger(id)) {
      throw new VocabularyFileError(encoderJsonPath, 1, `expected GPT-2 byte-alphabet tokens with integer ids, got ${JSON.stringify(spelling)} → ${id}; this is not a GPT-2 encoder.json`);
    }
    tokens[id] = bytes;
  }
  const ids = new Map(Object.entries(encoder));
  const lines = (await Bun.file(vocabBpePath).text()).split("\n");
  let rank = 256;
  lines.forEach((line, i) => {
    if (line === "" || (i === 0 && line.startsWith("#version"))) return;
    const parts = line.split(" ");
    const merged = parts.length === 2 ? ids.get(parts[0] + parts[1]) : undefined;
    if (parts.length !== 2 || !ids.has(parts[0]) || !ids.has(parts[1]) || merged !== rank) {
      throw new VocabularyFileError(vocabBpePath, i + 1, `expected merge "<left> <right>" producing token ${rank} of encoder.json, got ${JSON.stringify(line.slice(0, 60))}; the two files do not belong together or one is corrupt`);
    }
    rank++;
  });
  if (rank !== tokens.length) {
    throw new VocabularyFileError(vocabBpePath, lines.length, `expected ${tokens.length - 256} merges to match encoder.json, got ${rank - 256}; the file is truncated`);
  }
  return { tokens, specials, pattern: "gpt2" };
}
