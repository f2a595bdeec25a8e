import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { renderPrompt } from "@forno/tokenizer";
import { testApp, type TestServer } from "./testing/tiny-model.ts";

setDefaultTimeout(30_000);

let s: TestServer;
beforeAll(async () => {
  s = await testApp();
});
afterAll(() => s.app.close());

const post = (path: string, body: unknown) => s.app.request(path, { method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });
const text = (id: number) => s.model.tokenizer.decode([id]);
/** Recomputed log-probabilities: the engine's teacher-forced forward over prompt + completion, top 20 per position. */
const rescore = async (ids: number[]) => (await s.model.engine.scorePromptsTop([ids], 20))[0]!;

/**
 * `got` (token text → logprob, best first) against the recomputed top 20 at that position: the same leading
 * logprobs, and each token's own recomputed logprob. Within 1e-4 (decode kernels vs the training forward sum
 * in other orders); near-ties may swap places, which this allows.
 */
function expectTop(got: [string, number][], ref: { id: number; logprob: number }[]) {
  got.forEach(([, lp], k) => expect(Math.abs(lp - ref[k]!.logprob)).toBeLessThan(1e-4));
  for (const [token, lp] of got) expect(ref.some((a) => text(a.id) === token && Math.abs(a.logprob - lp) < 1e-4)).toBe(true);
}

test("chat top_logprobs list the most likely tokens at each position, as a recomputation over the reply finds them", async () => {
  const messages = [{ role: "user" as const, content: "hello world" }];
  const res = await post("/v1/chat/completions", { model: "forno-sft", messages, max_tokens: 6, seed: 5, logprobs: true, top_logprobs: 3 });
  expect(res.status).toBe(200);
  const body = (await res.json()) as any;
  const content = body.choices[0].logprobs.content as { token: string; logprob: number; bytes: number[]; top_logprobs: { token: string; logprob: number; bytes: number[] }[] }[];
  const row = (await s.store.getResponse({ responseId: body.id, choiceIndex: 0 }))!;
  expect(content.length).toBe(row.tokenIds.length);
  const prompt = renderPrompt(s.model.tokenizer, { messages });
  const again = await rescore([...prompt, ...row.tokenIds]);
  content.forEach((c, i) => {
    expect(c.top_logprobs.length).toBe(3);
    expectTop(c.top_logprobs.map((a) => [a.token, a.logprob]), again.top[prompt.length - 1 + i]!);
    for (const a of c.top_logprobs) if (!a.token.includes("\uFFFD")) expect(a.bytes).toEqual(Array.from(new TextEncoder().encode(a.token)));
    expect(Math.abs(c.logprob - again.logprobs[prompt.length - 1 + i]!)).toBeLessThan(1e-4);
  });
  // The store keeps the alternatives by token text.
  expect(Object.keys(row.logprobs!.topLogprobs![0]!)).toEqual(expect.arrayContaining(content[0]!.top_logprobs.map((a) => a.token)));
});

test("completions logprobs: N gives text-keyed alternatives (plus the sampled token) in the stream and in full replies", async () => {
  const req = { model: "forno-sft", prompt: "the quick", max_tokens: 5, seed: 9, logprobs: 2 };
  const full = (await (await post("/v1/completions", req)).json()) as any;
  const lp = full.choices[0].logprobs;
  expect(lp.top_logprobs.length).toBe(lp.tokens.length);
  const row = (await s.store.getResponse({ responseId: full.id, choiceIndex: 0 }))!;
  const prompt = s.model.tokenizer.encode("the quick");
  const again = await rescore([...prompt, ...row.tokenIds]);
  lp.top_logprobs.forEach((top: Record<string, number>, i: number) => {
    // Two alternatives, and the sampled token when it is not one of them (object keys lose rank order).
    const entries = Object.entries(top).sort(([, a], [, b]) => b - a);
    expect(entries.length === 2 || entries.length === 3).toBe(true);
    expect(top[lp.tokens[i]]).toBe(lp.token_logprobs[i]);
    expectTop(entries.slice(0, 2), again.top[prompt.length - 1 + i]!);
  });

  const streamed = await (await post("/v1/completions", { ...req, stream: true })).text();
  const chunks = streamed.split("\n\n").filter((e) => e.startsWith("data: {")).map((e) => JSON.parse(e.slice(6)));
  const tops = chunks.flatMap((c) => c.choices[0].logprobs?.top_logprobs ?? []);
  expect(tops).toEqual(lp.top_logprobs);
});

test("echo returns the prompt first with its teacher-forced logprobs; max_tokens 0 only scores it", async () => {
  const prompt = "hello world, hello";
  const ids = s.model.tokenizer.encode(prompt);
  const [scored] = await s.model.engine.scorePrompts([ids]);
  const res = await post("/v1/completions", { model: "forno-sft", prompt, max_tokens: 0, echo: true, logprobs: 1 });
  expect(res.status).toBe(200);
  const body = (await res.json()) as any;
  const [choice] = body.choices;
  expect(choice.text).toBe(prompt);
  expect(choice.logprobs.tokens.join("")).toBe(prompt);
  expect(choice.logprobs.token_logprobs[0]).toBeNull();
  expect(choice.logprobs.top_logprobs[0]).toBeNull();
  expect(choice.logprobs.token_logprobs.slice(1)).toEqual(scored!.map((v) => Math.fround(v)));
  expect(choice.logprobs.text_offset[1]).toBe(choice.logprobs.tokens[0].length);
  expect(body.usage).toEqual({ prompt_tokens: ids.length, completion_tokens: 0, total_tokens: ids.length });

  const more = (await (await post("/v1/completions", { model: "forno-sft", prompt, max_tokens: 4, echo: true, logprobs: 0, seed: 1 })).json()) as any;
  const alone = (await (await post("/v1/completions", { model: "forno-sft", prompt, max_tokens: 4, logprobs: 0, seed: 1 })).json()) as any;
  expect(more.choices[0].text).toBe(prompt + alone.choices[0].text);
  expect(more.choices[0].logprobs.tokens.length).toBe(ids.length + alone.usage.completion_tokens);
  expect(more.choices[0].logprobs.top_logprobs).toBeNull();
  // The store keeps the completion only, as without echo.
  expect((await s.store.getResponse({ responseId: more.id, choiceIndex: 0 }))!.text).toBe(alone.choices[0].text);

  const streamed = await (await post("/v1/completions", { model: "forno-sft", prompt, max_tokens: 4, echo: true, seed: 1, stream: true })).text();
  const pieces = streamed.split("\n\n").filter((e) => e.startsWith("data: {")).map((e) => JSON.parse(e.slice(6)).choices[0].text);
  expect(pieces[0]).toBe(prompt);
  expect(pieces.join("")).toBe(prompt + alone.choices[0].text);
});
