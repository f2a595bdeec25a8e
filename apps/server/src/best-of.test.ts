import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initRuntime } from "@forno/gpu";
import { renderPrompt, ROLE_TOKENS } from "@forno/tokenizer";
import { loadRunRewardModel, type RewardScorer } from "./reward.ts";
import { testApp, writeTinyRewardCheckpoint, type TestServer } from "./testing/tiny-model.ts";

setDefaultTimeout(30_000);

let s: TestServer;
let reward: RewardScorer;
beforeAll(async () => {
  await initRuntime();
  const run = mkdtempSync(join(tmpdir(), "forno-reward-run-"));
  await writeTinyRewardCheckpoint(join(run, "reward", "ckpt-000003"));
  reward = loadRunRewardModel(run)!;
  s = await testApp({ reward });
});
afterAll(() => s.app.close());

const post = async (path: string, body: unknown) => {
  const res = await s.app.request(path, { method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });
  expect(res.status).toBe(200);
  return (await res.json()) as any;
};
const mean = (xs: number[]) => xs.reduce((a, v) => a + v, 0) / xs.length;

test("loadRunRewardModel finds the newest reward checkpoint, and none in a run without one", () => {
  expect(reward.checkpoint).toEndWith(join("reward", "ckpt-000003"));
  expect(loadRunRewardModel(mkdtempSync(join(tmpdir(), "forno-no-reward-")))).toBeNull();
});

test("best_of ranks candidates by mean token logprob: the n best of the same seeded candidates, best first", async () => {
  const req = { model: "forno-sft", prompt: "hello", max_tokens: 6, temperature: 1.5, seed: 11, logprobs: 0 };
  // With a seed, candidate i is what choice i of n = best_of would be.
  const all = await post("/v1/completions", { ...req, n: 5 });
  const best = await post("/v1/completions", { ...req, n: 2, best_of: 5 });
  const ranked = all.choices
    .map((ch: any) => ({ text: ch.text, score: mean(ch.logprobs.token_logprobs) }))
    .sort((a: any, b: any) => b.score - a.score);
  expect(best.choices.map((ch: any) => ch.index)).toEqual([0, 1]);
  expect(best.choices.map((ch: any) => ch.text)).toEqual(ranked.slice(0, 2).map((r: any) => r.text));
  // Usage counts every candidate; the store keeps the returned two.
  expect(best.usage.completion_tokens).toBe(all.usage.completion_tokens);
  expect((await s.store.getResponse({ responseId: best.id, choiceIndex: 1 }))!.text).toBe(ranked[1].text);
  expect(await s.store.getResponse({ responseId: best.id, choiceIndex: 2 })).toBeUndefined();
});

test('best_of with rerank "reward" returns the candidate the reward model scores highest (chat: whole assistant turns)', async () => {
  const messages = [{ role: "user", content: "2+2=" }];
  const req = { model: "forno-sft", messages, max_tokens: 5, temperature: 1.5, seed: 21 };
  const all = await post("/v1/chat/completions", { ...req, n: 4 });
  const best = await post("/v1/chat/completions", { ...req, best_of: 4, rerank: "reward" });
  const tok = s.model.tokenizer;
  const prompt = renderPrompt(tok, { messages: messages as never });
  const end = tok.specialId(ROLE_TOKENS.assistant.end);
  const rows = await Promise.all(all.choices.map((ch: any) => s.store.getResponse({ responseId: all.id, choiceIndex: ch.index })));
  const scores = await reward.score(rows.map((r) => ({ prompt, response: [...r!.tokenIds, end] })));
  expect(new Set(scores).size).toBeGreaterThan(1); // the head tells the candidates apart
  const top = scores.indexOf(Math.max(...scores));
  expect(best.choices.length).toBe(1);
  expect(best.choices[0].message.content).toBe(all.choices[top].message.content);
  const stored = await s.store.getResponse({ responseId: best.id, choiceIndex: 0 });
  expect(stored!.sampling).toMatchObject({ bestOf: 4, rerank: "reward", n: 1 });
});
