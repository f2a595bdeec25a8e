import { expect, test } from "bun:test";
import { HEAVY_TEST_MS } from "./testing/timeouts.ts";
import { bytesPerToken } from "./compression.ts";
import { TrainingError } from "./errors.ts";
import { CHAT_SPECIAL_TOKENS } from "./special-tokens.ts";
import { sharedDataPath } from "./testing/oracle.ts";
import { countChunks, trainTokenizer } from "./trainer.ts";

/**
 * The slow, obviously-correct trainer: recount every pair before every merge, take the highest
 * count (lowest (left, right) on ties), merge left to right in every word. Same byte-reuse rule.
 */
function referenceMerges(texts: string[], vocabSize: number, minFrequency: number): Array<[number, number]> {
  const encoder = new TextEncoder();
  const entries = [...countChunks(texts, "cl100k")];
  const words = entries.map(([chunk]) => [...encoder.encode(chunk)]);
  const freqs = entries.map(([, count]) => count);
  const tokens: number[][] = Array.from({ length: 256 }, (_, b) => [b]);
  const merges: Array<[number, number]> = [];
  while (tokens.length < vocabSize - CHAT_SPECIAL_TOKENS.length) {
    const counts = new Map<string, number>();
    words.forEach((w, i) => {
      for (let k = 0; k + 1 < w.length; k++) counts.set(`${w[k]},${w[k + 1]}`, (counts.get(`${w[k]},${w[k + 1]}`) ?? 0) + freqs[i]);
    });
    let best: [number, number] | undefined;
    let bestCount = 0;
    for (const [key, count] of counts) {
      const [a, b] = key.split(",").map(Number);
      if (count > bestCount || (count === bestCount && best && (a < best[0] || (a === best[0] && b < best[1])))) {
        best = [a, b];
        bestCount = count;
      }
    }
    if (!best || bestCount < minFrequency) break;
    const bytes = [...tokens[best[0]], ...tokens[best[1]]];
    let z = tokens.findIndex((t) => t.join() === bytes.join());
    if (z < 0) z = tokens.push(bytes) - 1;
    merges.push(best);
    for (const w of words) {
      for (let k = 0; k + 1 < w.length; k++) if (w[k] === best[0] && w[k + 1] === best[1]) w.splice(k, 2, z);
    }
  }
  return merges;
}

const shakespeare = await Bun.file(sharedDataPath("tinyshakespeare/input.txt")).text();
const alice = await Bun.file(sharedDataPath("alice/alice.txt")).text();

test("makes the same merges as the slow reference trainer", () => {
  const corpus = [shakespeare.slice(0, 25_000), alice.slice(0, 10_000), "aaaa aaa abab ababab 1234 1212 \r\n\r\n"];
  for (const minFrequency of [1, 3]) {
    const { merges } = trainTokenizer(corpus, { vocabSize: 256 + 7 + 300, minFrequency, progress: false });
    expect(merges).toEqual(referenceMerges(corpus, 256 + 7 + 300, minFrequency));
  }
}, HEAVY_TEST_MS);

test("is deterministic across runs", () => {
  const a = trainTokenizer([shakespeare], { vocabSize: 2048, progress: false });
  const b = trainTokenizer([shakespeare], { vocabSize: 2048, progress: false });
  expect(a.merges).toEqual(b.merges);
}, HEAVY_TEST_MS);

test("reserves specials at the top and compresses held-out text", () => {
  const split = Math.floor(shakespeare.length * 0.9);
  const { tokenizer } = trainTokenizer([shakespeare.slice(0, split)], { vocabSize: 4096, progress: false });
  expect(tokenizer.vocabSize).toBe(4096);
  CHAT_SPECIAL_TOKENS.forEach((s, i) => expect(tokenizer.specialId(s)).toBe(4096 - CHAT_SPECIAL_TOKENS.length + i));
  const heldOut = shakespeare.slice(split);
  const ratio = bytesPerToken(tokenizer, heldOut);
  console.log(`vocab 4096 on 90% of tinyshakespeare: ${ratio.toFixed(2)} bytes/token on the held-out 10%`);
  expect(ratio).toBeGreaterThan(3);
  expect(tokenizer.decode(tokenizer.encode(heldOut))).toBe(heldOut);
}, HEAVY_TEST_MS);

test("stops early when no pair reaches minFrequency", () => {
  const { tokenizer, merges } = trainTokenizer(["abc abd"], { vocabSize: 1000, minFrequency: 2, specialTokens: ["<|endoftext|>"], progress: false });
  expect(merges.length).toBe(1); // only "ab" occurs twice
  expect(tokenizer.specialId("<|endoftext|>")).toBe(257);
});

test("rejects a vocab too small for bytes and specials", () => {
  expect(() => trainTokenizer(["x"], { vocabSize: 260, progress: false })).toThrow(TrainingError);
});
