import { expect, test } from "bun:test";
import { join } from "node:path";
import { renderConversation, trainTokenizer, type Conversation } from "@forno/tokenizer";
import { Rng } from "../rng.ts";
import { splitOf, type ArithmeticOp } from "../tasks/arithmetic.ts";
import { buildDefaultMix } from "./default-mix.ts";
import { loadConversations } from "./formats.ts";

const data = join(import.meta.dir, "../../../../apps/trainer/data");
const instructions = loadConversations([join(data, "sft-rasbt-instruct.jsonl"), join(data, "sft-self-instruct-seed.jsonl")]);
const tok = trainTokenizer(
  [instructions.slice(0, 300).flatMap((c) => c.messages.map((m) => m.content)).join("\n"), "What is 47 + 85? Think step by step. 7+5=12, write 2 carry 1; Answer: 132"],
  { vocabSize: 512, progress: false },
).tokenizer;

test("the shipped instruction files load as the README says", () => {
  expect(instructions).toHaveLength(938 + 41);
  expect(instructions.every((c) => c.messages.length === 2 && c.messages[1].role === "assistant")).toBe(true);
});

test("the mix follows the ratios, fits the context and never uses an eval problem", () => {
  const mix = buildDefaultMix({ tokenizer: tok, T: 128, instructions, rng: Rng.fromSeed(1), size: 2000, ratios: { direct: 1, stepByStep: 1, instructions: 2 } });
  const { counts, tooLong } = mix;
  expect(counts.direct + tooLong.direct).toBe(500);
  expect(counts.stepByStep + tooLong.stepByStep).toBe(500);
  expect(counts.instructions + tooLong.instructions).toBe(1000);
  expect(tooLong.direct).toBe(0);
  expect(mix.conversations).toHaveLength(counts.direct + counts.stepByStep + counts.instructions);
  for (const c of mix.conversations) expect(renderConversation(tok, c).ids.length).toBeLessThanOrEqual(129);
  let steps = 0;
  for (const c of mix.conversations) {
    const m = /^What is (\d+) ([+-]) (\d+)\?( Think step by step\.)?$/.exec(c.messages[0].content);
    if (!m) continue;
    expect(splitOf({ a: Number(m[1]), op: m[2] as ArithmeticOp, b: Number(m[3]) })).toBe("train");
    if (m[4]) {
      steps++;
      expect(c.messages[1].content).toMatch(/\. Answer: \d+$/);
    } else expect(c.messages[1].content).toMatch(/^\d+$/);
  }
  expect(steps).toBe(counts.stepByStep);
});

test("the mix is deterministic, drops what does not fit a short context, and checks its options", () => {
  const build = (T: number, instr: readonly Conversation[] = instructions) =>
    buildDefaultMix({ tokenizer: tok, T, instructions: instr, rng: Rng.fromSeed(9), size: 300, stepHint: false });
  expect(build(128)).toEqual(build(128));
  const short = build(24);
  expect(short.tooLong.stepByStep).toBeGreaterThan(0);
  expect(short.conversations.every((c) => renderConversation(tok, c).ids.length <= 25)).toBe(true);
  expect(short.conversations.some((c) => c.messages[0].content.includes("step by step"))).toBe(false);
  expect(() => build(128, [])).toThrow("set ratios.instructions to 0");
  expect(() => buildDefaultMix({ tokenizer: tok, T: 128, instructions, rng: Rng.fromSeed(1), ratios: { direct: -1, stepByStep: 1, instructions: 1 } })).toThrow("mix ratios");
});
