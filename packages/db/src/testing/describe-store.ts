/**
 * The store test suite, written once and run against every backend (`store.test.ts` calls it for SQLite
 * and for PostgreSQL). A `FreshDatabase` hands each test its own empty database.
 */
import { describe, expect, test } from "bun:test";
import { ConflictError, NotFoundError, StoreClosedError, ValidationError } from "../errors.ts";
import { sha256Hex, toJsonl } from "../export.ts";
import type { Store } from "../store.ts";
import type { Response } from "../types.ts";

export interface TestDatabase {
  open(): Promise<Store>;
  /** Rows in drizzle's migration journal table. */
  appliedMigrations(): Promise<number>;
  tables(): Promise<string[]>;
  drop(): Promise<void>;
}
export type FreshDatabase = () => Promise<TestDatabase>;

const TABLES = ["comparisons", "conversations", "datasets", "feedback", "responses", "rewards"];

type FullResponse = Omit<Response, "conversationId" | "createdAt"> & { createdAt?: Date };

/** A response with every column set (overridable), so round trips compare every column. */
export function response(id: string, choiceIndex: number, text: string, extra: Partial<FullResponse> = {}): FullResponse {
  return {
    id,
    choiceIndex,
    model: "forno-124m",
    checkpoint: "runs/sft/step-1000",
    sampling: { temperature: 0.7, topP: 0.9, maxTokens: 16, seed: 42, stop: ["\n"] },
    text,
    tokenIds: [17, 18, 19],
    logprobs: { tokenLogprobs: [-0.5, -1.25, -0.125], topLogprobs: [{ "4": -0.5 }, { "\n": -1.25 }, { ".": -0.125 }] },
    promptTokens: 5,
    completionTokens: 3,
    latencyMs: 12.5,
    finishReason: "stop",
    ...extra,
  };
}

export function describeStore(name: string, fresh: FreshDatabase, journalEntries: number): void {
  /** Runs `body` on a store over a fresh database, then closes and drops it. */
  const withStore = (body: (store: Store, db: TestDatabase) => Promise<void>) => async () => {
    const db = await fresh();
    const store = await db.open();
    try {
      await body(store, db);
    } finally {
      await store.close();
      await db.drop();
    }
  };

  describe(`store on ${name}`, () => {
    test("applies migrations to a fresh database, and reopening applies nothing twice", withStore(async (store, db) => {
      expect(await db.tables()).toEqual(expect.arrayContaining(TABLES));
      expect(await db.appliedMigrations()).toBe(journalEntries);
      await store.close();
      const again = await db.open();
      expect(await db.appliedMigrations()).toBe(journalEntries);
      await again.close();
    }));

    test("conversations round-trip, with prompt text or messages", withStore(async (store) => {
      const text = await store.saveConversation({ prompt: "2+2=", source: "playground" });
      const chat = await store.saveConversation({ id: "conv-chat", messages: [{ role: "user", content: "hi" }] });
      expect(await store.getConversation(text.id)).toEqual(text);
      expect(await store.getConversation("conv-chat")).toEqual({ ...chat, prompt: null, source: "api" });
      expect(await store.getConversation("nope")).toBeUndefined();
      await expect(store.saveConversation({ id: "conv-chat", prompt: "x" })).rejects.toBeInstanceOf(ConflictError);
      await expect(store.saveConversation({ prompt: "x", messages: [] })).rejects.toBeInstanceOf(ValidationError);
      await expect(store.saveConversation({})).rejects.toBeInstanceOf(ValidationError);
    }));

    test("responses round-trip every column and share a transaction with their conversation", withStore(async (store) => {
      const createdAt = new Date("2026-11-27T10:00:00.123Z");
      const saved = await store.saveResponses({ id: "conv-1", prompt: "2+2=" }, [
        response("cmpl-1", 0, "4", { createdAt }),
        response("cmpl-1", 1, "5", { checkpoint: null, logprobs: null, createdAt }),
      ]);
      expect(saved.conversation.id).toBe("conv-1");
      expect(await store.getResponse({ responseId: "cmpl-1", choiceIndex: 0 })).toEqual({
        ...response("cmpl-1", 0, "4"),
        conversationId: "conv-1",
        createdAt,
      });
      expect(await store.listResponses("conv-1")).toEqual(saved.responses);
      expect((await store.getResponse({ responseId: "cmpl-1", choiceIndex: 1 }))!.logprobs).toBeNull();
      // A later completion in the same conversation reuses it.
      await store.saveResponses({ id: "conv-1", prompt: "ignored" }, [response("cmpl-2", 0, "four")]);
      expect((await store.getConversation("conv-1"))!.prompt).toBe("2+2=");
      expect(await store.listResponses("conv-1")).toHaveLength(3);
      // A duplicate response id rolls the whole call back, its new conversation included.
      await expect(store.saveResponses({ id: "conv-2", prompt: "3+3=" }, [response("cmpl-1", 0, "6")])).rejects.toBeInstanceOf(ConflictError);
      expect(await store.getConversation("conv-2")).toBeUndefined();
      await expect(store.saveResponses({ prompt: "x" }, [])).rejects.toBeInstanceOf(ValidationError);
    }));

    test("feedback round-trips; unknown responses and bad ratings are typed errors", withStore(async (store) => {
      await store.saveResponses({ prompt: "2+2=" }, [response("cmpl-1", 0, "4")]);
      const ref = { responseId: "cmpl-1", choiceIndex: 0 };
      const up = await store.addFeedback({ ...ref, rating: 1, comment: "right", userId: "ada", source: "playground" });
      const scored = await store.addFeedback({ ...ref, score: 0.75 });
      expect(await store.listFeedback(ref)).toEqual([up, { ...scored, rating: null, comment: null, userId: null, source: "api" }]);
      await expect(store.addFeedback({ responseId: "cmpl-404", choiceIndex: 0, rating: 1 })).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.addFeedback({ responseId: "cmpl-1", choiceIndex: 3, rating: 1 })).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.addFeedback({ ...ref, rating: 0 })).rejects.toBeInstanceOf(ValidationError);
      await expect(store.addFeedback({ ...ref, rating: 2 })).rejects.toBeInstanceOf(ValidationError);
      await expect(store.addFeedback({ ...ref })).rejects.toBeInstanceOf(ValidationError);
      await expect(store.addFeedback({ ...ref, score: Number.NaN })).rejects.toBeInstanceOf(ValidationError);
    }));

    test("comparisons need two existing responses to one conversation, different unless a tie", withStore(async (store) => {
      await store.saveResponses({ id: "conv-1", prompt: "2+2=" }, [response("cmpl-1", 0, "4"), response("cmpl-1", 1, "5")]);
      await store.saveResponses({ id: "conv-2", prompt: "3+3=" }, [response("cmpl-2", 0, "6")]);
      const a = { responseId: "cmpl-1", choiceIndex: 0 };
      const b = { responseId: "cmpl-1", choiceIndex: 1 };
      const c = await store.addComparison({ chosen: a, rejected: b, who: "ada" });
      const tie = await store.addComparison({ chosen: a, rejected: a, tie: true });
      expect(await store.listComparisons("conv-1")).toEqual([c, { ...tie, who: null }]);
      expect(c).toMatchObject({ conversationId: "conv-1", chosenChoiceIndex: 0, rejectedChoiceIndex: 1, tie: false });
      await expect(store.addComparison({ chosen: a, rejected: { responseId: "cmpl-404", choiceIndex: 0 } })).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.addComparison({ chosen: a, rejected: a })).rejects.toBeInstanceOf(ValidationError);
      await expect(store.addComparison({ chosen: a, rejected: { responseId: "cmpl-2", choiceIndex: 0 } })).rejects.toBeInstanceOf(ValidationError);
      await expect(store.addComparison({ chosen: a, rejected: { responseId: "", choiceIndex: -1 } })).rejects.toBeInstanceOf(ValidationError);
    }));

    test("rewards and datasets round-trip", withStore(async (store) => {
      await store.saveResponses({ prompt: "2+2=" }, [response("cmpl-1", 0, "4")]);
      const ref = { responseId: "cmpl-1", choiceIndex: 0 };
      const r = await store.addReward({ ...ref, rewardModel: "rm-124m", checkpoint: "runs/rm/step-500", score: 1.5 });
      expect(await store.listRewards(ref)).toEqual([r]);
      await expect(store.addReward({ responseId: "cmpl-404", choiceIndex: 0, rewardModel: "rm", score: 0 })).rejects.toBeInstanceOf(NotFoundError);
      const jsonl = toJsonl([{ a: 1 }]);
      const d = await store.recordDataset({ kind: "preferences", rowCount: 1, path: "runs/rm/pairs.jsonl", contentHash: sha256Hex(jsonl) });
      expect(await store.listDatasets()).toEqual([d]);
      expect(d.contentHash).toBe(new Bun.CryptoHasher("sha256").update('{"a":1}\n').digest("hex"));
      await expect(store.recordDataset({ kind: "x", rowCount: -1, contentHash: d.contentHash })).rejects.toBeInstanceOf(ValidationError);
    }));

    test("export: pairs from comparisons (ties excluded) and from ratings of both signs, exact JSONL", withStore(async (store) => {
      await store.saveResponses({ id: "conv-a", prompt: "2+2=" }, [
        response("cmpl-a", 0, "4"), response("cmpl-a", 1, "5"), response("cmpl-a", 2, "22"), response("cmpl-a", 3, "four"),
      ]);
      await store.saveResponses({ id: "conv-b", messages: [{ role: "user", content: "hi" }] }, [
        response("chatcmpl-b", 0, "hello"), response("chatcmpl-b", 1, "yo"),
      ]);
      await store.saveResponses({ id: "conv-c", prompt: "3+3=" }, [response("cmpl-c", 0, "6")]);
      const a = (i: number) => ({ responseId: "cmpl-a", choiceIndex: i });
      const b = (i: number) => ({ responseId: "chatcmpl-b", choiceIndex: i });
      for (const [ref, rating] of [[a(0), 1], [a(0), 1], [a(1), -1], [a(2), 1], [a(2), -1], [a(3), -1]] as const) {
        await store.addFeedback({ ...ref, rating });
      }
      await store.addFeedback({ ...b(0), score: 0.9 }); // scores make no pairs
      await store.addFeedback({ responseId: "cmpl-c", choiceIndex: 0, rating: 1 }); // one sign only: no pair
      await store.addComparison({ chosen: b(0), rejected: b(1), who: "ada" });
      await store.addComparison({ chosen: b(1), rejected: b(0), tie: true });

      const out = await store.exportFeedback();
      expect(toJsonl(out.pairs)).toBe(
        '{"prompt":[{"role":"user","content":"hi"}],"chosen":"hello","rejected":"yo","source":"comparison"}\n' +
          '{"prompt":"2+2=","chosen":"4","rejected":"5","source":"rating"}\n' +
          '{"prompt":"2+2=","chosen":"4","rejected":"four","source":"rating"}\n',
      );
      expect(toJsonl(out.ratings)).toBe(
        '{"prompt":"2+2=","response":"4","rating":1}\n' +
          '{"prompt":"2+2=","response":"5","rating":-1}\n' +
          '{"prompt":"2+2=","response":"four","rating":-1}\n' +
          '{"prompt":"3+3=","response":"6","rating":1}\n',
      );
    }));

    test("an empty store exports nothing", withStore(async (store) => {
      expect(await store.exportFeedback()).toEqual({ pairs: [], ratings: [] });
      expect(toJsonl([])).toBe("");
    }));

    test("50 parallel addFeedback calls lose nothing", withStore(async (store) => {
      await store.saveResponses({ prompt: "2+2=" }, [response("cmpl-1", 0, "4")]);
      const ref = { responseId: "cmpl-1", choiceIndex: 0 };
      const rows = await Promise.all(Array.from({ length: 50 }, (_, i) => store.addFeedback({ ...ref, rating: i % 2 ? 1 : -1, userId: `u${i}` })));
      const stored = await store.listFeedback(ref);
      expect(stored).toHaveLength(50);
      expect(new Set(stored.map((f) => f.userId)).size).toBe(50);
      expect(new Set(rows.map((f) => f.id)).size).toBe(50);
    }));

    test("close waits for in-flight writes; a reopened store sees them; a closed store refuses calls", withStore(async (store, db) => {
      await store.saveResponses({ id: "conv-1", prompt: "2+2=" }, [response("cmpl-1", 0, "4")]);
      const ref = { responseId: "cmpl-1", choiceIndex: 0 };
      const writes = Array.from({ length: 20 }, () => store.addFeedback({ ...ref, rating: 1 }));
      await store.close();
      await Promise.all(writes);
      await expect(store.getConversation("conv-1")).rejects.toBeInstanceOf(StoreClosedError);
      const reopened = await db.open();
      try {
        expect((await reopened.getConversation("conv-1"))!.prompt).toBe("2+2=");
        expect(await reopened.listFeedback(ref)).toHaveLength(20);
      } finally {
        await reopened.close();
      }
    }));
  });
}
