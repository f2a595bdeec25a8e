import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore, type Store } from "@forno/db";
import { createApp, type ServerApp } from "./app.ts";
import { serve, type RunningServer } from "./serve.ts";
import { pacedModel, type PacedEngine } from "./testing/paced-engine.ts";
import { tinyModel } from "./testing/tiny-model.ts";

setDefaultTimeout(30_000);

let app: ServerApp;
let store: Store;
let engine: PacedEngine;
let server: RunningServer;
beforeAll(async () => {
  const paced = pacedModel(await tinyModel(), 10);
  engine = paced.engine;
  store = await openStore({ dataDir: mkdtempSync(join(tmpdir(), "forno-cancel-db-")) });
  app = createApp({ models: [paced.model], store });
  server = serve(app, { port: 0 });
});
afterAll(() => server.stop());

const MAX = 40;
const chat = (stream: boolean, signal?: AbortSignal) =>
  fetch(new URL("/v1/chat/completions", server.url), {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ model: "forno-sft", messages: [{ role: "user", content: "hi" }], max_tokens: MAX, stream }),
    signal,
  });

/** Reads SSE events until `until` says stop (or the stream ends); returns them. */
async function readEvents(res: Response, until: (events: string[]) => boolean = () => false): Promise<string[]> {
  const reader = res.body!.getReader();
  const events: string[] = [];
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return events;
    buffer += new TextDecoder().decode(value);
    const parts = buffer.split("\n\n");
    buffer = parts.pop()!;
    events.push(...parts.filter((p) => p.startsWith("data: ")).map((p) => p.slice(6)));
    if (until(events)) {
      await reader.cancel();
      return events;
    }
  }
}

const idOf = (events: string[]) => JSON.parse(events[0]!).id as string;

test("a streaming client that disconnects cancels only its own sequence; the other one in the same batch runs to the end", async () => {
  const calls = engine.calls.length;
  const leaving = new AbortController();
  const [a, b] = await Promise.all([chat(true, leaving.signal), chat(true)]);
  const [gone, kept] = await Promise.all([
    readEvents(a, (ev) => ev.length >= 4).then((ev) => {
      leaving.abort();
      return ev;
    }),
    readEvents(b),
  ]);
  expect(kept.at(-1)).toBe("[DONE]");
  const text = kept.slice(0, -1).map((e) => JSON.parse(e).choices[0]?.delta.content ?? "").join("");
  expect((await store.getResponse({ responseId: idOf(kept), choiceIndex: 0 }))!.text).toBe(text);

  // Both requests ran in one engine call (the second joined the first), and only the first was cancelled.
  expect(engine.calls.length).toBe(calls + 1);
  const [cancelled, finished] = engine.calls.at(-1)!;
  expect(cancelled!.finishReason).toBe("cancelled");
  expect(cancelled!.tokens.length).toBeLessThan(MAX / 2);
  expect(finished!.finishReason).toBe("length");
  expect(finished!.tokens.length).toBe(MAX);
  // Nothing is stored for the client that left.
  expect(await store.getResponse({ responseId: idOf(gone), choiceIndex: 0 })).toBeUndefined();
});

test("a non-streaming client that disconnects cancels its generation too", async () => {
  const calls = engine.calls.length;
  const leaving = new AbortController();
  const pending = chat(false, leaving.signal).catch((err) => err);
  // Leave once the engine has started this request (polled, not timed: the machine may be loaded).
  const started = () => engine.calls.length > calls && engine.calls.at(-1)![0]!.tokens.length > 0;
  for (let i = 0; i < 1000 && !started(); i++) await Bun.sleep(5);
  expect(started()).toBe(true);
  leaving.abort();
  expect(await pending).toBeInstanceOf(Error);
  const [result] = engine.calls.at(-1)!;
  for (let i = 0; i < 1000 && result!.finishReason === "length" && result!.tokens.length < MAX; i++) await Bun.sleep(5);
  expect(result!.finishReason).toBe("cancelled");
  expect(result!.tokens.length).toBeLessThan(MAX);
});
