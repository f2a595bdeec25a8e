import { expect, test } from "bun:test";
import { HEAVY_TEST_MS } from "./testing/timeouts.ts";
import { StreamDecoder } from "./stream-decoder.ts";
import { edgeCaseStrings, isWellFormed } from "./testing/edge-cases.ts";
import { oracleVocabulary } from "./testing/oracle.ts";
import { Tokenizer } from "./tokenizer.ts";

const tok = new Tokenizer(oracleVocabulary("r50k_base"));

test("yields only complete characters as tokens arrive one by one", () => {
  for (const text of edgeCaseStrings(200).filter((t) => isWellFormed(t))) {
    const stream = new StreamDecoder(tok);
    let out = "";
    for (const id of tok.encode(text, { disallowedSpecial: [] })) {
      const piece = stream.push(id);
      expect(piece.includes("\ufffd") && !text.includes("\ufffd")).toBe(false);
      out += piece;
    }
    expect(out + stream.flush()).toBe(text);
  }
}, HEAVY_TEST_MS);

test("an emoji split across tokens appears only when complete; flush renders a cut tail as U+FFFD", () => {
  const ids = tok.encode("😀");
  expect(ids.length).toBeGreaterThan(1);
  const stream = new StreamDecoder(tok);
  expect(stream.push(ids.slice(0, -1))).toBe("");
  expect(stream.push(ids.at(-1)!)).toBe("😀");
  expect(stream.push(ids[0])).toBe("");
  expect(stream.flush()).toBe("\ufffd");
});
