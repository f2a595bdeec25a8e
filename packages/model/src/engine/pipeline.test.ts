import { beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { initRuntime, runtime } from "@forno/gpu";
import { makeConfig } from "../config.ts";
import { ConfigError } from "../errors.ts";
import { GPT } from "../gpt.ts";
import { initParams } from "../init.ts";
import type { DecodeVariant } from "./forward.ts";
import { Engine, type GenerateRequest, type GenerateResult } from "./index.ts";
import { chunkSteps } from "./pipeline.ts";

const config = makeConfig("tiny", { vocabSize: 37, contextLength: 24, nLayer: 2, nHead: 2, nEmbd: 16 });
let model: GPT;

// llvmpipe shares two cores with other test runs: allow slow steps.
setDefaultTimeout(60_000);

beforeAll(async () => {
  await initRuntime();
  runtime().poison = true;
  const host = initParams(config, 9);
  for (const [name, v] of host) if (!name.includes("ln_")) v.forEach((x, i) => (v[i] = x * 8));
  model = new GPT(config, host);
});

test("chunkSteps: up to the longest remaining row, never past a row's last cache position; the shortest when slots are awaited", () => {
  const rows = [
    { tokensLeft: 3, positionsLeft: 20 },
    { tokensLeft: 12, positionsLeft: 15 },
  ];
  expect(chunkSteps(rows, 8, false)).toBe(8);
  expect(chunkSteps(rows, 16, false)).toBe(12);
  expect(chunkSteps(rows, 16, true)).toBe(3);
  expect(chunkSteps([...rows, { tokensLeft: 9, positionsLeft: 2 }], 16, false)).toBe(2);
  expect(chunkSteps([{ tokensLeft: 0, positionsLeft: 0 }], 8, false)).toBe(1);
});

/**
 * Everything a caller sees: results and each sequence's streamed (token, logprob) pairs in order (the
 * interleaving of sequences may differ: a slot freed by a stop mid-chunk is refilled after the chunk).
 * The decode kernels are fixed: "auto" could pick "block" for a step of few sequences in one mode and
 * "ops" in the other, and the two round differently.
 */
async function run(stepsPerSync: number, reqs: GenerateRequest[], maxBatch: number, maxSeqLen?: number, decodeVariant: DecodeVariant = "ops"): Promise<{ results: GenerateResult[]; streams: number[][][] }> {
  const engine = new Engine(model, { maxBatch, maxSeqLen, stepsPerSync, eosId: 36, decodeVariant });
  const streams: number[][][] = reqs.map(() => []);
  const results = await engine.generate(reqs, { onToken: (i, t, lp) => streams[i]!.push([t, lp]) });
  engine.dispose();
  return { results, streams };
}

test.each(["ops", "rows", "rowblock", "block"] as const)("pipelined steps give exactly the one-step-per-readback results (%s kernels): sampling, penalties, stops, end-of-text, admissions", async (variant) => {
  const reqs: GenerateRequest[] = Array.from({ length: 7 }, (_, i) => ({
    prompt: Array.from({ length: 1 + ((i * 3) % 5) }, (_, t) => (i * 11 + t * 5) % 36),
    maxTokens: 4 + ((i * 5) % 13),
    temperature: i % 3 === 0 ? 0 : 1.2,
    topK: i === 2 ? 6 : 0,
    topP: i === 4 ? 0.8 : 1,
    presencePenalty: i === 5 ? 0.7 : 0,
    frequencyPenalty: i === 1 ? 0.4 : 0,
    stop: i % 2 === 1 ? [[(i * 7) % 36], [3, 4]] : undefined,
    seed: 100 + i,
    logprobs: true,
  }));
  const one = await run(1, reqs, 3, undefined, variant);
  // Sanity of the fixture: it exercises more than plain length limits.
  expect(new Set(one.results.map((r) => r.finishReason)).size).toBeGreaterThan(1);
  for (const K of [3, 8]) expect(await run(K, reqs, 3, undefined, variant)).toEqual(one);
});

test("chunks stop at the end of the cache: sequences reaching maxSeqLen end as one-step decoding does, others unharmed", async () => {
  const reqs: GenerateRequest[] = [
    { prompt: [1, 2, 3, 4, 5, 6, 7], maxTokens: 50, temperature: 1, seed: 1 },
    { prompt: [8], maxTokens: 50, temperature: 1, seed: 2 },
    { prompt: [9, 10], maxTokens: 5, temperature: 0 },
  ];
  const one = await run(1, reqs, 3, 12);
  expect(one.results.map((r) => [r.finishReason, r.tokens.length])).toEqual([
    ["length", 5],
    ["length", 11],
    ["length", 5],
  ]);
  expect(await run(16, reqs, 3, 12)).toEqual(one);
});

test("stepsPerSync must be an integer ≥ 1", () => {
  expect(() => new Engine(model, { stepsPerSync: 0 })).toThrow(ConfigError);
  expect(() => new Engine(model, { stepsPerSync: 2.5 })).toThrow(ConfigError);
});
