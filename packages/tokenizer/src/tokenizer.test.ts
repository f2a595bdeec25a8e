import { describe, expect, test } from "bun:test";
import { HEAVY_TEST_MS } from "./testing/timeouts.ts";
import { DisallowedSpecialTokenError, InvalidVocabularyError, UnknownTokenIdError } from "./errors.ts";
import { sharedDataFiles } from "./testing/corpus.ts";
import { edgeCaseStrings, isWellFormed } from "./testing/edge-cases.ts";
import { type OracleName, oracleEncoder, oracleVocabulary } from "./testing/oracle.ts";
import { Tokenizer } from "./tokenizer.ts";

const files = await sharedDataFiles();

// Each vocabulary (o200k's 200k ranks take seconds) is built once per describe block.
for (const name of ["r50k_base", "cl100k_base", "o200k_base"] as OracleName[]) {
  describe(`${name} matches js-tiktoken id for id`, () => {
    const ours = new Tokenizer(oracleVocabulary(name));
    const oracle = oracleEncoder(name);
    const agree = (text: string) => {
      const want = oracle.encode(text, [], []);
      const got = ours.encodeOrdinary(text);
      if (got.length !== want.length || got.some((id, i) => id !== want[i])) {
        throw new Error(`mismatch on ${JSON.stringify(text.slice(0, 200))}: got ${got.slice(0, 20)} want ${want.slice(0, 20)}`);
      }
      return got;
    };
    for (const file of files) {
      test(`every line of ${file.name}, and decode round-trips`, () => {
        for (const line of file.text.split("\n")) expect(ours.decode(agree(line))).toBe(line);
      }, HEAVY_TEST_MS);
    }
    test("generated strings; round trip for well-formed ones", () => {
      for (const text of edgeCaseStrings(1000)) {
        const ids = agree(text);
        if (isWellFormed(text)) expect(ours.decode(ids)).toBe(text);
      }
    }, HEAVY_TEST_MS);
    test("whole files at once (long-range chunking, cache reuse)", () => {
      const text = files.find((f) => f.name.startsWith("alice"))!.text;
      expect(ours.decode(agree(text))).toBe(text);
      expect(ours.decode(agree(text))).toBe(text);
    }, HEAVY_TEST_MS);
    test("special tokens follow tiktoken's allowed / disallowed rules", () => {
      const text = "hi <|endoftext|> there";
      expect(() => ours.encode(text)).toThrow(DisallowedSpecialTokenError);
      expect(ours.encode(text, { allowedSpecial: ["<|endoftext|>"] })).toEqual(oracle.encode(text, ["<|endoftext|>"]));
      expect(ours.encode(text, { allowedSpecial: "all" })).toEqual(oracle.encode(text, "all"));
      expect(ours.encode(text, { disallowedSpecial: [] })).toEqual(oracle.encode(text, [], []));
      expect(ours.decode(ours.encode(text, { allowedSpecial: "all" }))).toBe(text);
    });
  });
}

describe("Tokenizer behaviour", () => {
  const tok = new Tokenizer(oracleVocabulary("r50k_base"));

  test("lone surrogates encode as U+FFFD, like TextEncoder", () => {
    expect(tok.encode("a\ud800b")).toEqual(tok.encode("a\ufffdb"));
    expect(tok.decode(tok.encode("\udc00"))).toBe("\ufffd");
  });

  test("the disallowed-special error names the token, its position and the fix", () => {
    try {
      tok.encode("abc<|endoftext|>");
      throw new Error("expected a throw");
    } catch (e) {
      expect(e).toBeInstanceOf(DisallowedSpecialTokenError);
      expect((e as Error).message).toContain("<|endoftext|>");
      expect((e as Error).message).toContain("character 3");
      expect((e as Error).message).toContain("allowedSpecial");
    }
  });

  test("encodeBatch is encode per text", () => {
    const texts = ["one", "two three", ""];
    expect(tok.encodeBatch(texts)).toEqual(texts.map((t) => tok.encode(t)));
  });

  test("decode rejects ids outside the vocabulary", () => {
    expect(() => tok.decode([1, 50257])).toThrow(UnknownTokenIdError);
    expect(() => tok.decode([-1])).toThrow(UnknownTokenIdError);
    expect(() => tok.decode([1.5])).toThrow(UnknownTokenIdError);
    const cl = new Tokenizer(oracleVocabulary("cl100k_base"));
    expect(() => cl.decode([100256])).toThrow(UnknownTokenIdError); // the gap before the specials
  }, HEAVY_TEST_MS);

  test("vocabSize counts specials", () => {
    expect(tok.vocabSize).toBe(50257);
    expect(tok.specialId("<|endoftext|>")).toBe(50256);
  });

  test("rejects vocabularies that cannot encode every byte or repeat bytes", () => {
    const bytes = Array.from({ length: 256 }, (_, b) => Uint8Array.of(b));
    expect(() => new Tokenizer({ tokens: bytes.slice(1), pattern: "gpt2" })).toThrow(InvalidVocabularyError);
    expect(() => new Tokenizer({ tokens: [...bytes, Uint8Array.of(7)], pattern: "gpt2" })).toThrow(InvalidVocabularyError);
    expect(() => new Tokenizer({ tokens: bytes, specials: { "<|x|>": 3 }, pattern: "gpt2" })).toThrow(InvalidVocabularyError);
  });

  test("custom patterns run through the regex", () => {
    const bytes = Array.from({ length: 256 }, (_, b) => Uint8Array.of(b));
    const custom = new Tokenizer({ tokens: bytes, pattern: { source: "\\S+|\\s+" } });
    expect(custom.decode(custom.encode("a b  c"))).toBe("a b  c");
  });
});
