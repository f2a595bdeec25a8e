import { expect, test } from "bun:test";
import { expectClose } from "@forno/gpu/testing";
import { bestOfN, majority, majorityVote } from "./best-of-n.ts";
import { dpoRewards } from "./dpo.ts";
import { assertFinite, NonFiniteError, PreferenceDataError } from "./errors.ts";
import { groupAdvantages, k3, mixedGroupIndices } from "./grpo.ts";
import { AdaptiveKlController, gae, whiten } from "./ppo.ts";
import { parsePreferenceLine } from "./preferences.ts";
import type { Sampler } from "./sampler.ts";
import { packSequences } from "./sequences.ts";

test("GAE matches a hand computation", () => {
  // γ = 1, λ = 0.9, rewards [0, 0, 1], values [0.5, 0.4, 0.3]:
  // δ2 = 1 − 0.3 = 0.7, A2 = 0.7; δ1 = 0.3 − 0.4 = −0.1, A1 = −0.1 + 0.9·0.7 = 0.53;
  // δ0 = 0.4 − 0.5 = −0.1, A0 = −0.1 + 0.9·0.53 = 0.377; returns = A + V.
  const { advantages, returns } = gae([0, 0, 1], [0.5, 0.4, 0.3], 1, 0.9);
  expectClose(advantages, [0.377, 0.53, 0.7], 1e-12, 1e-12, "advantages");
  expectClose(returns, [0.877, 0.93, 1.0], 1e-12, 1e-12, "returns");
  // γ = 0.5, λ = 1: A1 = 2 − 1 = 1; A0 = (0 + 0.5·1 − 0) + 0.5·1 = 1.
  expectClose(gae([0, 2], [0, 1], 0.5, 1).advantages, [1, 1], 1e-12, 1e-12, "discounted");
});

test("whitening gives mean 0 and std 1", () => {
  const w = whiten([1, 2, 3, 4]);
  expect(Math.abs(w.reduce((a, b) => a + b, 0))).toBeLessThan(1e-12);
  expectClose([Math.sqrt(w.reduce((a, x) => a + x * x, 0) / 4)], [1], 1e-6, 0, "std");
});

test("GRPO group advantages and the k3 estimator", () => {
  // Group [1, 0, 0, 1]: mean 0.5, std 0.5 → ±1; a group of equal rewards → 0.
  expectClose(groupAdvantages([1, 0, 0, 1, 3, 3], 4).slice(0, 4), [1, -1, -1, 1], 1e-5, 0, "group 1");
  expectClose(groupAdvantages([1, 0, 0, 1, 3, 3], 4).slice(4), [0, 0], 0, 0, "group 2");
  expect(k3(-1.3, -1.3)).toBe(0);
  expectClose([k3(0, Math.log(0.5))], [0.5 - Math.log(0.5) - 1], 1e-12, 0, "k3");
  expect(k3(-2, -1)).toBeGreaterThan(0);
});

test("GRPO's mixed groups are those whose rewards differ", () => {
  expect(mixedGroupIndices([1, 0, 0, 0, 1, 1, 0, 0, 0, 0.5, 0.5, 0.5], 3)).toEqual([0, 1]);
  expect(mixedGroupIndices([1, 1, 0, 0, 0.2, 0.2], 2)).toEqual([]);
});

test("the adaptive KL controller raises β above target KL and lowers it below", () => {
  const c = new AdaptiveKlController(0.1, 6, 10000);
  c.update(12, 100); // error clipped to 0.2 → β·(1 + 0.2·100/10000)
  expectClose([c.value], [0.1 * 1.002], 1e-12, 0, "up");
  c.update(3, 100); // error −0.5 clipped to −0.2
  expectClose([c.value], [0.1 * 1.002 * 0.998], 1e-12, 0, "down");
});

test("DPO implicit rewards: a hand-computed pair", () => {
  // β = 0.5; chosen: π −10, ref −12 → reward 1; rejected: π −9, ref −8 → reward −0.5.
  const r = dpoRewards([-10, -9], [-12, -8], 0.5);
  expect(r).toEqual({ rewardAccuracy: 1, rewardMargin: 1.5, chosenReward: 1, rejectedReward: -0.5 });
});

test("packing marks response positions and last tokens", () => {
  const b = packSequences([{ prompt: [1, 2], response: [3] }, { prompt: [4], response: [5, 6, 7] }]);
  expect([b.B, b.T]).toEqual([2, 4]);
  expect(Array.from(b.idx)).toEqual([1, 2, 3, 0, 4, 5, 6, 7]);
  expect(Array.from(b.targets)).toEqual([-1, 3, -1, -1, 5, 6, 7, -1]);
  expect(Array.from(b.mask)).toEqual([0, 1, 0, 0, 1, 1, 1, 0]);
  expect(Array.from(b.lastRows)).toEqual([2, 7]);
});

test("preference formats: prompt/chosen/rejected, HH-RLHF dialogues, rasbt instructions", () => {
  expect(parsePreferenceLine(JSON.stringify({ prompt: "Hi", chosen: "a", rejected: "b" }))).toEqual({ prompt: [{ role: "user", content: "Hi" }], chosen: "a", rejected: "b" });
  const hh = parsePreferenceLine(JSON.stringify({
    chosen: "\n\nHuman: What is 2+2?\n\nAssistant: 4\n\nHuman: And 3+3?\n\nAssistant: It is 6.",
    rejected: "\n\nHuman: What is 2+2?\n\nAssistant: 4\n\nHuman: And 3+3?\n\nAssistant: No idea.",
  }));
  expect(hh).toEqual({
    prompt: [{ role: "user", content: "What is 2+2?" }, { role: "assistant", content: "4" }, { role: "user", content: "And 3+3?" }],
    chosen: "It is 6.",
    rejected: "No idea.",
  });
  const rasbt = parsePreferenceLine(JSON.stringify({ instruction: "Fix:", input: "He go.", output: "x", chosen: "He goes.", rejected: "He went." }));
  expect(rasbt.prompt).toEqual([{ role: "user", content: "Fix:\n\nHe go." }]);
  expect(() => parsePreferenceLine("{nope", "f:3")).toThrow(PreferenceDataError);
  expect(() => parsePreferenceLine(JSON.stringify({ chosen: "x", rejected: "y" }), "f:4")).toThrow(/f:4/);
});

test("guard rail: a non-finite value names what and the step", () => {
  expect(() => assertFinite("reward", 7, [1, NaN])).toThrow(NonFiniteError);
  expect(() => assertFinite("reward", 7, [Infinity])).toThrow(/reward is Infinity at step 7/);
});

test("best-of-N picks the highest score; voting picks the majority answer", async () => {
  const candidates = [[1], [5], [3], [5], [2]];
  const sampler: Sampler = async (prompts) => ({ tokens: prompts.map((_, i) => candidates[i]!), logprobs: prompts.map(() => [0]) });
  const best = await bestOfN(sampler, [0], 5, { maxNewTokens: 1 }, async (seqs) => seqs.map((s) => -Math.abs(s.response[0]! - 3)));
  expect(best.best).toEqual([3]);
  expect(best.index).toBe(2);
  const vote = await majorityVote(sampler, [0], 5, { maxNewTokens: 1 }, (r) => (r[0] === 2 ? null : String(r[0])));
  expect([vote.answer, vote.votes]).toEqual(["5", 2]);
  expect(majority([null, null])).toEqual({ answer: null, votes: 0 });
});
