import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { testApp, type TestServer } from "./testing/tiny-model.ts";

setDefaultTimeout(30_000);

let s: TestServer;
beforeAll(async () => {
  s = await testApp();
});
afterAll(() => s.app.close());

const post = (path: string, body: unknown) => s.app.request(path, { method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });

test("ratings and comparisons posted over HTTP come back in the training export", async () => {
  const res = await post("/v1/chat/completions", { model: "forno-sft", messages: [{ role: "user", content: "hello" }], max_tokens: 4, n: 2, seed: 1 });
  const { id, choices } = (await res.json()) as { id: string; choices: { message: { content: string } }[] };
  const [first, second] = choices.map((c) => c.message.content);

  const up = await post("/v1/feedback", { response_id: id, choice_index: 0, rating: 1, comment: "nice", user: "ada" });
  expect(up.status).toBe(201);
  expect(await up.json()).toMatchObject({ object: "feedback", response_id: id, choice_index: 0, rating: 1, comment: "nice" });
  expect((await post("/v1/feedback", { response_id: id, choice_index: 1, rating: -1 })).status).toBe(201);
  expect((await post("/v1/feedback", { response_id: id, score: 0.5 })).status).toBe(201);

  const cmp = await post("/v1/comparisons", { a: { response_id: id, choice_index: 0 }, b: { response_id: id, choice_index: 1 }, winner: "b", user: "ada" });
  expect(cmp.status).toBe(201);
  expect(await cmp.json()).toMatchObject({ object: "comparison", chosen: { response_id: id, choice_index: 1 }, tie: false });

  const pairs = await s.app.request("/v1/feedback/export");
  expect(pairs.status).toBe(200);
  expect(pairs.headers.get("content-type")).toContain("application/jsonl");
  const lines = (await pairs.text()).trim().split("\n").map((l) => JSON.parse(l));
  const prompt = [{ role: "user", content: "hello" }];
  expect(lines).toEqual([
    { prompt, chosen: second, rejected: first, source: "comparison" },
    { prompt, chosen: first, rejected: second, source: "rating" },
  ]);
  const ratings = (await (await s.app.request("/v1/feedback/export?kind=ratings")).text()).trim().split("\n").map((l) => JSON.parse(l));
  expect(ratings).toEqual([
    { prompt, response: first, rating: 1 },
    { prompt, response: second, rating: -1 },
  ]);
  expect((await s.store.listDatasets()).map((d) => [d.kind, d.rowCount])).toEqual([
    ["preferences", 2],
    ["ratings", 2],
  ]);
});

test("feedback errors: unknown response 404, bad rating 400, self-comparison 400, bad export kind 400", async () => {
  const missing = await post("/v1/feedback", { response_id: "chatcmpl-nope", rating: 1 });
  expect(missing.status).toBe(404);
  expect(((await missing.json()) as any).error.code).toBe("not_found");
  const bad = await post("/v1/feedback", { response_id: "x", rating: 5 });
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as any).error.param).toBe("rating");
  const none = await post("/v1/feedback", { response_id: "x" });
  expect(((await none.json()) as any).error.message).toContain("rating");
  const { id } = (await (await post("/v1/completions", { model: "forno-sft", prompt: "a", max_tokens: 1 })).json()) as { id: string };
  const same = await post("/v1/comparisons", { a: { response_id: id }, b: { response_id: id }, winner: "a" });
  expect(same.status).toBe(400);
  expect((await s.app.request("/v1/feedback/export?kind=nope")).status).toBe(400);
});
