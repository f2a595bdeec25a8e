import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "@forno/db";
import { createApp } from "./app.ts";
import { pacedModel } from "./testing/paced-engine.ts";
import { testApp, type TestServer } from "./testing/tiny-model.ts";

setDefaultTimeout(30_000);

let s: TestServer;
beforeAll(async () => {
  s = await testApp({ apiKey: "sk-m" });
});
afterAll(() => s.app.close());

const auth = { Authorization: "Bearer sk-m", "Content-Type": "application/json" };
const post = (path: string, body: unknown) => s.app.request(path, { method: "POST", body: JSON.stringify(body), headers: auth });

/** Samples of the exposition text as { "name{labels}": value }. */
async function scrape(): Promise<Record<string, number>> {
  const res = await s.app.request("/metrics", { headers: auth });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain; version=0.0.4");
  const lines = (await res.text()).split("\n").filter((l) => l && !l.startsWith("#"));
  return Object.fromEntries(lines.map((l) => [l.slice(0, l.lastIndexOf(" ")), Number(l.slice(l.lastIndexOf(" ") + 1))]));
}

test("GET /metrics counts requests, tokens, latencies and reads the queue and batch gauges", async () => {
  expect((await s.app.request("/metrics")).status).toBe(401); // behind the key like the API
  const done = (await (await post("/v1/completions", { model: "forno-sft", prompt: "hello", max_tokens: 4, n: 2 })).json()) as any;
  const streamed = await (await post("/v1/chat/completions", { model: "forno-sft", messages: [{ role: "user", content: "hi" }], max_tokens: 3, stream: true, stream_options: { include_usage: true } })).text();
  const usage = JSON.parse(streamed.split("\n\n").filter((e) => e.startsWith("data: {")).at(-1)!.slice(6)).usage;
  await s.app.request("/v1/nothing", { headers: auth });
  await post("/v1/completions", { model: "gpt-9", prompt: "x" });

  const m = await scrape();
  expect(m['forno_http_requests_total{method="POST",route="/v1/completions",status="200"}']).toBe(1);
  expect(m['forno_http_requests_total{method="POST",route="/v1/completions",status="404"}']).toBe(1);
  expect(m['forno_http_requests_total{method="POST",route="/v1/chat/completions",status="200"}']).toBe(1);
  expect(m['forno_http_requests_total{method="GET",route="unmatched",status="404"}']).toBe(1);
  expect(m['forno_http_requests_total{method="GET",route="/metrics",status="401"}']).toBe(1);
  // The stream's duration is observed when its body has been read to the end.
  expect(m['forno_http_request_duration_seconds_count{route="/v1/chat/completions"}']).toBe(1);
  expect(m['forno_http_request_duration_seconds_bucket{le="+Inf",route="/v1/completions"}']).toBe(2);
  expect(m['forno_prompt_tokens_total{model="forno-sft"}']).toBe(done.usage.prompt_tokens + usage.prompt_tokens);
  expect(m['forno_generation_tokens_total{model="forno-sft"}']).toBe(done.usage.completion_tokens + usage.completion_tokens);
  expect(m['forno_time_to_first_token_seconds_count{model="forno-sft"}']).toBe(2);
  expect(m['forno_time_to_first_token_seconds_sum{model="forno-sft"}']).toBeGreaterThan(0);
  const finishes = Object.entries(m).filter(([k]) => k.startsWith("forno_generation_finishes_total")).reduce((a, [, v]) => a + v, 0);
  expect(finishes).toBe(3);
  expect(m['forno_queue_depth{model="forno-sft"}']).toBe(0);
  expect(m['forno_running_batch_size{model="forno-sft"}']).toBe(0);
});

test("the gauges show a running request, and a stream the client closes counts as cancelled", async () => {
  const paced = pacedModel(s.model, 10);
  const store = await openStore({ dataDir: mkdtempSync(join(tmpdir(), "forno-metrics-db-")) });
  const app = createApp({ models: [paced.model], store });
  const gauge = async (name: string) => {
    const text = await (await app.request("/metrics")).text();
    return Number(new RegExp(`^${name}\\{model="forno-sft"\\} (\\S+)$`, "m").exec(text)![1]);
  };
  const body = { model: "forno-sft", prompt: "the", max_tokens: 40, stream: true };
  const res = await app.request("/v1/completions", { method: "POST", body: JSON.stringify(body) });
  const reader = res.body!.getReader();
  await reader.read(); // the first chunk: the request is in the engine
  expect(await gauge("forno_running_batch_size")).toBe(1);
  await reader.cancel();
  for (let i = 0; i < 100 && (await gauge("forno_running_batch_size")) !== 0; i++) await Bun.sleep(10);
  expect(await gauge("forno_running_batch_size")).toBe(0);
  expect(await gauge("forno_queue_depth")).toBe(0);
  // The engine drops the sequence at its next step.
  const result = paced.engine.calls[0]![0]!;
  for (let i = 0; i < 100 && result.finishReason !== "cancelled"; i++) await Bun.sleep(10);
  expect(result.finishReason).toBe("cancelled");
  expect(result.tokens.length).toBeLessThan(40);
  const text = await (await app.request("/metrics")).text();
  expect(text).toContain('forno_generation_finishes_total{finish_reason="cancelled",model="forno-sft"} 1');
  await app.close();
});
