/**
 * The store's tables for SQLite (the embedded default). This file and `pg.ts` are one schema written twice,
 * because Drizzle builds `sqliteTable` and `pgTable` separately: same tables, same snake_case columns, same
 * camelCase fields, same keys and indices. `schema.test.ts` fails if they drift. Row types come from here
 * (`types.ts`); drizzle-kit generates `drizzle/sqlite/` from this file.
 *
 * SQLite spellings: timestamps are integer milliseconds, JSON is text, booleans are 0/1 integers.
 */
import { foreignKey, index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { ChatMessage, Logprobs, SamplingParams } from "../json-types.ts";

const createdAt = () => integer("created_at", { mode: "timestamp_ms" }).notNull();

/** A prompt as it arrived: chat `messages` or completion `prompt` text (exactly one is set). */
export const conversations = sqliteTable(
  "conversations",
  {
    id: text("id").primaryKey(),
    createdAt: createdAt(),
    prompt: text("prompt"),
    messages: text("messages", { mode: "json" }).$type<ChatMessage[]>(),
    source: text("source").notNull(),
  },
  (t) => [index("conversations_created_at_idx").on(t.createdAt)],
);

/** One choice of one completion: the public id (`cmpl-…`, `chatcmpl-…`) plus the choice index. */
export const responses = sqliteTable(
  "responses",
  {
    id: text("id").notNull(),
    choiceIndex: integer("choice_index").notNull(),
    conversationId: text("conversation_id")
      .notNull()
      .references(() => conversations.id),
    model: text("model").notNull(),
    checkpoint: text("checkpoint"),
    sampling: text("sampling", { mode: "json" }).$type<SamplingParams>().notNull(),
    text: text("text").notNull(),
    tokenIds: text("token_ids", { mode: "json" }).$type<number[]>().notNull(),
    logprobs: text("logprobs", { mode: "json" }).$type<Logprobs>(),
    promptTokens: integer("prompt_tokens").notNull(),
    completionTokens: integer("completion_tokens").notNull(),
    latencyMs: real("latency_ms").notNull(),
    finishReason: text("finish_reason").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ name: "responses_pk", columns: [t.id, t.choiceIndex] }),
    index("responses_conversation_idx").on(t.conversationId),
  ],
);

/** A user's judgement of one response: a thumbs rating (-1 / +1), a score, or both. */
export const feedback = sqliteTable(
  "feedback",
  {
    id: text("id").primaryKey(),
    responseId: text("response_id").notNull(),
    choiceIndex: integer("choice_index").notNull(),
    rating: integer("rating"),
    score: real("score"),
    comment: text("comment"),
    userId: text("user_id"),
    source: text("source").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    foreignKey({
      name: "feedback_response_fk",
      columns: [t.responseId, t.choiceIndex],
      foreignColumns: [responses.id, responses.choiceIndex],
    }),
    index("feedback_response_idx").on(t.responseId, t.choiceIndex),
  ],
);

/** A pairwise judgement between two responses to the same conversation; `tie` pairs are kept but never exported. */
export const comparisons = sqliteTable(
  "comparisons",
  {
    id: text("id").primaryKey(),
    conversationId: text("conversation_id")
      .notNull()
      .references(() => conversations.id),
    chosenResponseId: text("chosen_response_id").notNull(),
    chosenChoiceIndex: integer("chosen_choice_index").notNull(),
    rejectedResponseId: text("rejected_response_id").notNull(),
    rejectedChoiceIndex: integer("rejected_choice_index").notNull(),
    tie: integer("tie", { mode: "boolean" }).notNull(),
    who: text("who"),
    createdAt: createdAt(),
  },
  (t) => [
    foreignKey({
      name: "comparisons_chosen_fk",
      columns: [t.chosenResponseId, t.chosenChoiceIndex],
      foreignColumns: [responses.id, responses.choiceIndex],
    }),
    foreignKey({
      name: "comparisons_rejected_fk",
      columns: [t.rejectedResponseId, t.rejectedChoiceIndex],
      foreignColumns: [responses.id, responses.choiceIndex],
    }),
    index("comparisons_conversation_idx").on(t.conversationId),
  ],
);

/** A reward model's score for one response. */
export const rewards = sqliteTable(
  "rewards",
  {
    id: text("id").primaryKey(),
    responseId: text("response_id").notNull(),
    choiceIndex: integer("choice_index").notNull(),
    rewardModel: text("reward_model").notNull(),
    checkpoint: text("checkpoint"),
    score: real("score").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    foreignKey({
      name: "rewards_response_fk",
      columns: [t.responseId, t.choiceIndex],
      foreignColumns: [responses.id, responses.choiceIndex],
    }),
    index("rewards_response_idx").on(t.responseId, t.choiceIndex),
  ],
);

/** A record of one export handed to training: what kind, how many rows, where, and the content's sha256. */
export const datasets = sqliteTable("datasets", {
  id: text("id").primaryKey(),
  kind: text("kind").notNull(),
  createdAt: createdAt(),
  rowCount: integer("row_count").notNull(),
  path: text("path"),
  contentHash: text("content_hash").notNull(),
});
