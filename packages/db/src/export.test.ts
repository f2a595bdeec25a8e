import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildFeedbackExport, toJsonl, type ExportResponse } from "./export.ts";
import { openSqliteStore } from "./store.ts";
import { response } from "./testing/describe-store.ts";
import type { Conversation } from "./types.ts";

const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms);

test("ratings pair up across conversations with the same prompt (a regenerated answer is a new request)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "forno-export-"));
  const store = await openSqliteStore(dir);
  try {
    const hello = [{ role: "user" as const, content: "hello" }];
    await store.saveResponses({ id: "conv-1", messages: hello, createdAt: at(0) }, [response("chatcmpl-1", 0, "hi there", { createdAt: at(0) })]);
    await store.saveResponses({ id: "conv-2", prompt: "hello", createdAt: at(1) }, [response("cmpl-2", 0, "text prompt", { createdAt: at(1) })]);
    await store.saveResponses({ id: "conv-3", messages: hello, createdAt: at(2) }, [response("chatcmpl-3", 0, "go away", { createdAt: at(2) })]);
    await store.addFeedback({ responseId: "chatcmpl-1", choiceIndex: 0, rating: 1 });
    await store.addFeedback({ responseId: "cmpl-2", choiceIndex: 0, rating: -1 }); // a completion prompt is another prompt
    await store.addFeedback({ responseId: "chatcmpl-3", choiceIndex: 0, rating: -1 });
    const out = await store.exportFeedback();
    expect(toJsonl(out.pairs)).toBe('{"prompt":[{"role":"user","content":"hello"}],"chosen":"hi there","rejected":"go away","source":"rating"}\n');
    expect(out.ratings.map((r) => [r.response, r.rating])).toEqual([["hi there", 1], ["go away", -1], ["text prompt", -1]]);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("chat prompts are the same prompt whatever the key order of their messages (PostgreSQL jsonb reorders keys)", () => {
  const conv = (id: string, ms: number, messages: unknown): Conversation => ({ id, createdAt: at(ms), prompt: null, messages: messages as Conversation["messages"], source: "api" });
  const resp = (id: string, ms: number, text: string): ExportResponse => ({ id, choiceIndex: 0, conversationId: id, text, createdAt: at(ms) });
  const out = buildFeedbackExport({
    conversations: [conv("a", 0, [{ role: "user", content: "2+2?" }]), conv("b", 1, [{ content: "2+2?", role: "user" }]), conv("c", 2, [{ role: "user", content: "3+3?" }])],
    responses: [resp("a", 0, "4"), resp("b", 1, "5"), resp("c", 2, "7")],
    ratings: [{ responseId: "a", choiceIndex: 0, rating: 1 }, { responseId: "b", choiceIndex: 0, rating: -1 }, { responseId: "c", choiceIndex: 0, rating: -1 }],
    comparisons: [],
  });
  expect(out.pairs).toEqual([{ prompt: [{ role: "user", content: "2+2?" }], chosen: "4", rejected: "5", source: "rating" }]);
  expect(out.ratings.map((r) => r.response)).toEqual(["4", "5", "7"]);
});
