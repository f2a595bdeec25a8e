import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import OpenAI from "openai";
import { serve, type RunningServer } from "./serve.ts";
import { testApp, type TestServer } from "./testing/tiny-model.ts";

setDefaultTimeout(30_000);

let s: TestServer;
let server: RunningServer;
let client: OpenAI;
beforeAll(async () => {
  s = await testApp({ apiKey: "sk-forno-test" });
  server = serve(s.app, { port: 0 });
  client = new OpenAI({ baseURL: new URL("/v1", server.url).href, apiKey: "sk-forno-test", maxRetries: 0 });
});
afterAll(() => server.stop());

test("the official openai client lists models and gets a completion", async () => {
  const models = await client.models.list();
  expect(models.data.map((m) => m.id)).toEqual(["forno-sft"]);
  const completion = await client.completions.create({ model: "forno-sft", prompt: "hello", max_tokens: 4, temperature: 0.8, top_p: 0.9 });
  expect(completion.choices[0]!.text).toEqual(expect.any(String));
  expect(completion.usage!.completion_tokens).toBeGreaterThan(0);
  expect(await s.store.getResponse({ responseId: completion.id, choiceIndex: 0 })).toMatchObject({ text: completion.choices[0]!.text });
});

test("the official openai client: chat, n = 2, and a streamed chat", async () => {
  const chat = await client.chat.completions.create({ model: "forno-sft", messages: [{ role: "user", content: "hi" }], max_tokens: 4, n: 2, seed: 3 });
  expect(chat.choices.map((c) => c.index)).toEqual([0, 1]);
  for (const c of chat.choices) {
    expect(c.message.role).toBe("assistant");
    expect((await s.store.getResponse({ responseId: chat.id, choiceIndex: c.index }))!.text).toBe(c.message.content!);
  }

  const stream = await client.chat.completions.create({ model: "forno-sft", messages: [{ role: "user", content: "hi" }], max_tokens: 6, stream: true, stream_options: { include_usage: true } });
  let text = "";
  let id = "";
  let usage: OpenAI.CompletionUsage | null | undefined;
  for await (const chunk of stream) {
    id = chunk.id;
    text += chunk.choices[0]?.delta.content ?? "";
    usage = chunk.usage ?? usage;
  }
  expect(usage!.completion_tokens).toBeGreaterThan(0);
  expect((await s.store.getResponse({ responseId: id, choiceIndex: 0 }))!.text).toBe(text);
});

test("the openai client surfaces server errors as typed API errors", async () => {
  const err = await client.chat.completions.create({ model: "nope", messages: [{ role: "user", content: "hi" }] }).catch((e) => e);
  expect(err).toBeInstanceOf(OpenAI.NotFoundError);
  expect(err.code).toBe("model_not_found");
  const bad = new OpenAI({ baseURL: client.baseURL, apiKey: "wrong", maxRetries: 0 });
  expect(await bad.models.list().catch((e) => e)).toBeInstanceOf(OpenAI.AuthenticationError);
});
