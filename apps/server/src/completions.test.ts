import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { testApp, type TestServer } from "./testing/tiny-model.ts";

setDefaultTimeout(30_000);

let s: TestServer;
beforeAll(async () => {
  s = await testApp();
});
afterAll(() => s.app.close());

const post = (path: string, body: unknown, init: RequestInit = {}) =>
  s.app.request(path, { method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "application/json" }, ...init });
const chat = { model: "forno-sft", messages: [{ role: "user", content: "hello" }] };

/** The `data:` payloads of an SSE body, [DONE] included. */
async function events(res: Response): Promise<string[]> {
  expect(res.headers.get("content-type")).toContain("text/event-stream");
  const text = await res.text();
  return text.split("\n\n").filter((e) => e.startsWith("data: ")).map((e) => e.slice("data: ".length));
}

test("POST /v1/completions returns a text_completion with usage and stores the choice", async () => {
  const res = await post("/v1/completions", { model: "forno-sft", prompt: "hello", max_tokens: 5, temperature: 0, logprobs: 0 });
  expect(res.status).toBe(200);
  const body = (await res.json()) as any;
  expect(body).toMatchObject({ object: "text_completion", model: "forno-sft", created: expect.any(Number) });
  expect(body.id).toMatch(/^cmpl-[0-9a-f]{32}$/);
  const [choice] = body.choices;
  expect(choice.index).toBe(0);
  expect(["stop", "length"]).toContain(choice.finish_reason);
  const n = body.usage.completion_tokens;
  expect(body.usage).toEqual({ prompt_tokens: s.model.tokenizer.encode("hello").length, completion_tokens: n, total_tokens: body.usage.prompt_tokens + n });
  expect(choice.logprobs.tokens.length).toBe(n);
  expect(choice.logprobs.token_logprobs.every((lp: number) => lp <= 0)).toBe(true);
  expect(choice.logprobs.tokens.join("")).toBe(choice.text);

  const row = await s.store.getResponse({ responseId: body.id, choiceIndex: 0 });
  expect(row).toMatchObject({ model: "forno-sft", checkpoint: s.model.checkpoint, text: choice.text, completionTokens: n, finishReason: choice.finish_reason });
  expect(row!.sampling).toMatchObject({ temperature: 0, maxTokens: 5 });
  expect(row!.tokenIds.length).toBe(n);
  expect(row!.logprobs!.tokenLogprobs).toEqual(choice.logprobs.token_logprobs.map((x: number) => expect.closeTo(x, 5)));
  expect(row!.latencyMs).toBeGreaterThan(0);
  expect((await s.store.getConversation(row!.conversationId))!.prompt).toBe("hello");
});

test("the same seed gives the same text; n choices get their own seeds and rows", async () => {
  const req = { model: "forno-sft", prompt: "the", max_tokens: 6, seed: 42, n: 2 };
  const a = (await (await post("/v1/completions", req)).json()) as any;
  const b = (await (await post("/v1/completions", req)).json()) as any;
  expect(a.choices.map((c: any) => c.text)).toEqual(b.choices.map((c: any) => c.text));
  expect(a.choices.map((c: any) => c.index)).toEqual([0, 1]);
  expect(a.choices[0].text).not.toBe(a.choices[1].text);
  for (const i of [0, 1]) expect((await s.store.getResponse({ responseId: a.id, choiceIndex: i }))!.text).toBe(a.choices[i].text);
});

test("stop strings cut the text and end with finish_reason stop", async () => {
  const greedy = { model: "forno-sft", prompt: "hello", max_tokens: 8, temperature: 0 };
  const full = ((await (await post("/v1/completions", greedy)).json()) as any).choices[0].text as string;
  const stop = full.slice(Math.floor(full.length / 2), Math.floor(full.length / 2) + 1);
  const cut = ((await (await post("/v1/completions", { ...greedy, stop })).json()) as any).choices[0];
  expect(cut.text).toBe(full.slice(0, full.indexOf(stop)));
  expect(cut.finish_reason).toBe("stop");
});

test("POST /v1/chat/completions returns an assistant message and stores the messages", async () => {
  const res = await post("/v1/chat/completions", { ...chat, max_tokens: 6, logprobs: true });
  expect(res.status).toBe(200);
  const body = (await res.json()) as any;
  expect(body.id).toMatch(/^chatcmpl-/);
  expect(body.object).toBe("chat.completion");
  const [choice] = body.choices;
  expect(choice.message).toEqual({ role: "assistant", content: expect.any(String), refusal: null });
  expect(choice.logprobs.content.length).toBe(body.usage.completion_tokens);
  expect(choice.logprobs.content[0]).toEqual({ token: expect.any(String), logprob: expect.any(Number), bytes: expect.any(Array), top_logprobs: [] });
  const row = await s.store.getResponse({ responseId: body.id, choiceIndex: 0 });
  expect(row!.text).toBe(choice.message.content);
  expect((await s.store.getConversation(row!.conversationId))!.messages).toEqual([{ role: "user", content: "hello" }]);
});

test("streamed chat sends OpenAI chunks, a usage chunk when asked, then [DONE]", async () => {
  const res = await post("/v1/chat/completions", { ...chat, max_tokens: 6, stream: true, stream_options: { include_usage: true } });
  expect(res.status).toBe(200);
  const data = await events(res);
  expect(data.at(-1)).toBe("[DONE]");
  const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
  expect(chunks.every((c) => c.object === "chat.completion.chunk" && c.id === chunks[0].id)).toBe(true);
  expect(chunks[0].choices[0]).toEqual({ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null });
  const usage = chunks.at(-1);
  expect(usage.choices).toEqual([]);
  expect(usage.usage.completion_tokens).toBeGreaterThan(0);
  const last = chunks.at(-2).choices[0];
  expect(["stop", "length"]).toContain(last.finish_reason);
  const text = chunks.slice(1, -2).map((c) => c.choices[0].delta.content).join("");
  expect((await s.store.getResponse({ responseId: chunks[0].id, choiceIndex: 0 }))!.text).toBe(text);
});

test("streamed completions with n = 2 interleave choices and carry no usage unless asked", async () => {
  const res = await post("/v1/completions", { model: "forno-sft", prompt: "the", max_tokens: 4, n: 2, stream: true });
  const data = await events(res);
  expect(data.at(-1)).toBe("[DONE]");
  const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
  expect(chunks.every((c) => c.object === "text_completion" && !("usage" in c))).toBe(true);
  const finals = chunks.filter((c) => c.choices[0].finish_reason !== null).map((c) => c.choices[0].index);
  expect(finals.sort()).toEqual([0, 1]);
  for (const i of [0, 1]) {
    const text = chunks.filter((c) => c.choices[0].index === i).map((c) => c.choices[0].text).join("");
    expect((await s.store.getResponse({ responseId: chunks[0].id, choiceIndex: i }))!.text).toBe(text);
  }
});

test("a client that has disconnected gets nothing generated and leaves the queue empty", async () => {
  const abort = new AbortController();
  abort.abort();
  const res = await post("/v1/completions", { model: "forno-sft", prompt: "the", max_tokens: 8 }, { signal: abort.signal });
  expect(res.status).toBe(204);
  const health = (await (await s.app.request("/health")).json()) as any;
  expect(health.queue["forno-sft"]).toBe(0);
});

test("a stream sends the tokens of one engine burst as one chunk per choice, their logprobs together", async () => {
  const res = await post("/v1/completions", { model: "forno-sft", prompt: "the", max_tokens: 17, temperature: 0, logprobs: 0, stream: true, stream_options: { include_usage: true } });
  const chunks = (await events(res)).slice(0, -1).map((d) => JSON.parse(d));
  const pieces = chunks.filter((c) => c.choices[0]?.finish_reason === null);
  const usage = chunks.at(-1).usage;
  expect(usage.completion_tokens).toBe(17);
  // The prefill's token, then bursts of several decode steps: far fewer chunks than tokens.
  expect(pieces.length).toBeLessThan(usage.completion_tokens / 2);
  expect(pieces.flatMap((c) => c.choices[0].logprobs.tokens).length).toBe(17);
  const full = (await (await post("/v1/completions", { model: "forno-sft", prompt: "the", max_tokens: 17, temperature: 0 })).json()) as any;
  expect(pieces.map((c) => c.choices[0].text).join("")).toBe(full.choices[0].text);
});
