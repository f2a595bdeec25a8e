import { expect, test } from "bun:test";
import { HEAVY_TEST_MS } from "./testing/timeouts.ts";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bytesToGpt2String, gpt2StringToBytes } from "./byte-unicode.ts";
import { VocabularyFileError } from "./errors.ts";
import { loadGpt2Files } from "./gpt2-files.ts";
import { oracleEncoder, oracleVocabulary, sharedDataPath } from "./testing/oracle.ts";
import { Tokenizer } from "./tokenizer.ts";

/** Writes encoder.json + vocab.bpe the way OpenAI's release spells them, from the r50k ranks. */
function writeGpt2Files(dir: string, lastMergeLine?: string): [string, string] {
  const { tokens, specials } = oracleVocabulary("r50k_base");
  const spell = tokens.map(bytesToGpt2String);
  const ids = new Map(spell.map((s, id) => [s, id]));
  const encoder: Record<string, number> = Object.fromEntries(ids);
  Object.assign(encoder, specials);
  const merges = ["#version: 0.2"];
  for (let id = 256; id < tokens.length; id++) {
    const s = spell[id];
    let k = 1;
    while (!(ids.has(s.slice(0, k)) && ids.has(s.slice(k)))) k++;
    merges.push(`${s.slice(0, k)} ${s.slice(k)}`);
  }
  if (lastMergeLine !== undefined) merges[merges.length - 1] = lastMergeLine;
  const encoderPath = join(dir, "encoder.json");
  const bpePath = join(dir, "vocab.bpe");
  writeFileSync(encoderPath, JSON.stringify(encoder));
  writeFileSync(bpePath, merges.join("\n") + "\n");
  return [encoderPath, bpePath];
}

test("byte ↔ unicode mapping is a bijection over all 256 bytes", () => {
  const all = Uint8Array.from({ length: 256 }, (_, b) => b);
  const spelled = bytesToGpt2String(all);
  expect(new Set(spelled).size).toBe(256);
  expect(gpt2StringToBytes(spelled)).toEqual(all);
  expect(bytesToGpt2String(new TextEncoder().encode(" the"))).toBe("Ġthe");
});

test("encoder.json + vocab.bpe load and encode like the oracle", async () => {
  const dir = mkdtempSync(join(tmpdir(), "forno-gpt2-"));
  const spec = await loadGpt2Files(...writeGpt2Files(dir));
  expect(spec.specials).toEqual({ "<|endoftext|>": 50256 });
  const tok = new Tokenizer(spec);
  const text = await Bun.file(sharedDataPath("alice/alice.txt")).text();
  expect(tok.encodeOrdinary(text)).toEqual(oracleEncoder("r50k_base").encode(text, [], []));
}, HEAVY_TEST_MS);

test("a vocab.bpe merge that disagrees with encoder.json names its line", async () => {
  const dir = mkdtempSync(join(tmpdir(), "forno-gpt2-"));
  try {
    await loadGpt2Files(...writeGpt2Files(dir, "Ġt he"));
    throw new Error("expected a throw");
  } catch (e) {
    expect(e).toBeInstanceOf(VocabularyFileError);
    expect((e as VocabularyFileError).line).toBe(50001);
  }
}, HEAVY_TEST_MS);
