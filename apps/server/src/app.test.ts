import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { CONTEXT, testApp, type TestServer } from "./testing/tiny-model.ts";

setDefaultTimeout(30_000);

let s: TestServer;
beforeAll(async () => {
  s = await testApp();
});
afterAll(() => s.app.close());

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  s.app.request(path, { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body), headers: { "Content-Type": "application/json", ...headers } });

/** Every error reply is `{ error: { message, type, param, code } }`. */
async function expectError(res: Response, status: number, code: string | null, param: string | null = null) {
  expect(res.status).toBe(status);
  const { error } = (await res.json()) as { error: Record<string, unknown> };
  expect(Object.keys(error).sort()).toEqual(["code", "message", "param", "type"]);
  expect(error.code).toBe(code);
  expect(error.param).toBe(param);
  expect(typeof error.message).toBe("string");
  return error;
}

test("GET /health reports the models and queue depths", async () => {
  const res = await s.app.request("/health");
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: "ok", models: ["forno-sft"], queue: { "forno-sft": 0 } });
});

test("GET /v1/models lists the served checkpoints", async () => {
  const res = await s.app.request("/v1/models");
  expect(res.status).toBe(200);
  const body = (await res.json()) as { object: string; data: Record<string, unknown>[] };
  expect(body.object).toBe("list");
  expect(body.data).toEqual([
    { id: "forno-sft", object: "model", created: expect.any(Number), owned_by: "forno", checkpoint: s.model.checkpoint, max_model_len: CONTEXT },
  ]);
});

test("POST /tokenize and /detokenize round-trip text and render chat prompts", async () => {
  const res = await post("/tokenize", { prompt: "hello world" });
  expect(res.status).toBe(200);
  const { tokens, count, max_model_len, model } = (await res.json()) as { tokens: number[]; count: number; max_model_len: number; model: string };
  expect(tokens).toEqual(s.model.tokenizer.encode("hello world"));
  expect([count, max_model_len, model]).toEqual([tokens.length, CONTEXT, "forno-sft"]);
  const back = await post("/detokenize", { tokens });
  expect(await back.json()).toEqual({ model: "forno-sft", prompt: "hello world" });
  const chat = (await (await post("/tokenize", { messages: [{ role: "user", content: "hi" }] })).json()) as { tokens: number[] };
  expect(s.model.tokenizer.decode(chat.tokens)).toBe("<|endoftext|><|user_start|>hi<|user_end|><|assistant_start|>");
  await expectError(await post("/detokenize", { tokens: [1e6] }), 400, "invalid_value", "tokens");
  await expectError(await post("/tokenize", {}), 400, "invalid_value");
});

describe("errors in the OpenAI shape", () => {
  const ok = { model: "forno-sft", prompt: "hello", max_tokens: 2 };

  test("bad JSON is a 400", async () => {
    const error = await expectError(await post("/v1/completions", "{nope"), 400, "invalid_json");
    expect(error.type).toBe("invalid_request_error");
  });

  test("a body that is not UTF-8 is a 400", async () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('{"model":"forno-sft","prompt":"'), 0xff, 0xfe, ...new TextEncoder().encode('"}')]);
    const res = await s.app.request("/v1/completions", { method: "POST", body: bytes, headers: { "Content-Type": "application/json" } });
    await expectError(res, 400, "invalid_utf8");
  });

  test("a body over the limit is a 413", async () => {
    const small = await testApp({ maxBodyBytes: 100 });
    const res = await small.app.request("/v1/completions", { method: "POST", body: JSON.stringify({ ...ok, prompt: "x".repeat(200) }) });
    await expectError(res, 413, "body_too_large");
    await small.app.close();
    // Closing the app closed its engine: its GPU memory is released and it takes no more calls.
    await expect(small.model.engine.scorePrompts([[1, 2]])).rejects.toThrow(/closed/);
  });

  test("an unknown model is a 404 naming the served ones", async () => {
    const error = await expectError(await post("/v1/completions", { ...ok, model: "gpt-9" }), 404, "model_not_found", "model");
    expect(error.message).toContain("forno-sft");
    await expectError(await post("/v1/chat/completions", { model: "gpt-9", messages: [{ role: "user", content: "hi" }] }), 404, "model_not_found", "model");
  });

  test("a prompt longer than the context is a 400", async () => {
    const error = await expectError(await post("/v1/completions", { ...ok, prompt: Array(CONTEXT).fill(5) }), 400, "context_length_exceeded", "prompt");
    expect(error.message).toContain(`${CONTEXT} tokens`);
  });

  test("max_tokens beyond what the context leaves is a 400", async () => {
    await expectError(await post("/v1/completions", { ...ok, prompt: [1, 2, 3], max_tokens: CONTEXT }), 400, "context_length_exceeded", "max_tokens");
    await expectError(await post("/v1/chat/completions", { model: "forno-sft", messages: [{ role: "user", content: "hi" }], max_tokens: CONTEXT }), 400, "context_length_exceeded", "max_tokens");
  });

  test("schema violations name the field", async () => {
    await expectError(await post("/v1/completions", { ...ok, temperature: -1 }), 400, "invalid_value", "temperature");
    await expectError(await post("/v1/completions", { model: "forno-sft" }), 400, "invalid_value", "prompt");
    await expectError(await post("/v1/chat/completions", { model: "forno-sft", messages: [] }), 400, "invalid_value", "messages");
  });

  test("features this server lacks are refused, not faked", async () => {
    const error = await expectError(await post("/v1/completions", { ...ok, suffix: "x" }), 400, "invalid_value", "suffix");
    expect(error.message).toContain("not supported");
    await expectError(await post("/v1/completions", { ...ok, logit_bias: { "5": 1 } }), 400, "invalid_value", "logit_bias");
  });

  test("OpenAI's rules: top_logprobs needs logprobs, best_of ≥ n and no stream past n, max_tokens 0 only with echo", async () => {
    const hi = { model: "forno-sft", messages: [{ role: "user", content: "hi" }] };
    expect((await expectError(await post("/v1/chat/completions", { ...hi, top_logprobs: 2 }), 400, "invalid_value", "top_logprobs")).message).toContain("logprobs: true");
    await expectError(await post("/v1/chat/completions", { ...hi, logprobs: true, top_logprobs: 21 }), 400, "invalid_value", "top_logprobs");
    await expectError(await post("/v1/completions", { ...ok, logprobs: 6 }), 400, "invalid_value", "logprobs");
    expect((await expectError(await post("/v1/completions", { ...ok, n: 3, best_of: 2 }), 400, "invalid_value", "best_of")).message).toContain("at least n");
    expect((await expectError(await post("/v1/completions", { ...ok, best_of: 2, stream: true }), 400, "invalid_value", "best_of")).message).toContain("stream");
    await expectError(await post("/v1/completions", { ...ok, max_tokens: 0 }), 400, "invalid_value", "max_tokens");
    await expectError(await post("/v1/completions", { ...ok, best_of: 2, rerank: "vibes" }), 400, "invalid_value", "rerank");
    // This app has no reward model.
    const error = await expectError(await post("/v1/completions", { ...ok, best_of: 2, rerank: "reward" }), 400, "reward_model_unavailable", "rerank");
    expect(error.message).toContain("bun run train reward");
    expect((await post("/v1/completions", { ...ok, n: 2, best_of: 2, stream: true })).status).toBe(200);
  });

  test("an unknown route is a 404", async () => {
    await expectError(await s.app.request("/v1/nothing"), 404, "not_found");
  });

  test("with an API key, a missing or wrong bearer key is a 401; /health and the playground page stay open", async () => {
    const keyed = await testApp({ apiKey: "sk-test" });
    await expectError(await keyed.app.request("/v1/models"), 401, "missing_api_key");
    const wrong = await keyed.app.request("/v1/models", { headers: { Authorization: "Bearer sk-nope" } });
    expect((await expectError(wrong, 401, "invalid_api_key")).type).toBe("authentication_error");
    expect((await keyed.app.request("/v1/models", { headers: { Authorization: "Bearer sk-test" } })).status).toBe(200);
    expect((await keyed.app.request("/health")).status).toBe(200);
    const page = await keyed.app.request("/"); // the playground asks for the key itself
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toContain("forno playground");
    await keyed.app.close();
  });

  test("a full queue is a 429 with Retry-After", async () => {
    const full = await testApp({ queueLimit: 0 });
    const res = await full.app.request("/v1/completions", { method: "POST", body: JSON.stringify(ok) });
    expect(res.headers.get("retry-after")).toBe("1");
    expect((await expectError(res, 429, "queue_full")).type).toBe("rate_limit_error");
    const streamed = await full.app.request("/v1/chat/completions", { method: "POST", body: JSON.stringify({ model: "forno-sft", messages: [{ role: "user", content: "hi" }], stream: true }) });
    await expectError(streamed, 429, "queue_full");
    await full.app.close();
  });
});
