/**
 * The tiktoken rank file format: one token per line, `<base64 bytes> <rank>`, ranks dense from 0.
 * Parsing validates every line, so a corrupt or truncated file fails with its name and line number
 * instead of producing a vocabulary that encodes wrongly. Reading the file itself is the caller's.
 */

import { VocabularyFileError } from "./errors.ts";

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function formatTiktokenRanks(tokens: readonly Uint8Array[]): string {
  return tokens.map((bytes, rank) => `${bytes.toBase64()} ${rank}\n`).join("");
}

/** Token bytes indexed by rank; `file` only labels errors. */
export function parseTiktokenRanks(text: string, file: string): Uint8Array[] {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const tokens: Uint8Array[] = [];
  lines.forEach((line, i) => {
    const fail = (detail: string) => new VocabularyFileError(file, i + 1, detail);
    const parts = line.split(" ");
    if (parts.length !== 2 || parts[0] === "") {
      throw fail(`expected "<base64 token bytes> <rank>", got ${JSON.stringify(line.slice(0, 60))}; the file is corrupt or truncated, re-save or re-download it`);
    }
    const [b64, rankText] = parts;
    if (!BASE64.test(b64)) throw fail(`expected base64 token bytes, got ${JSON.stringify(b64.slice(0, 60))}; the line is corrupt or cut short`);
    const rank = Number(rankText);
    if (!/^\d+$/.test(rankText) || rank !== i) {
      throw fail(`expected rank ${i} (ranks are dense and in order), got ${JSON.stringify(rankText)}; the file is corrupt or was edited by hand`);
    }
    tokens.push(Uint8Array.fromBase64(b64));
  });
  return tokens;
}
