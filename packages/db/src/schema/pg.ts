/**
 * The store's tables for PostgreSQL (shared deployments). The twin of `sqlite.ts`: same tables, same
 * snake_case columns, same camelCase fields, same keys and indices, checked by `schema.test.ts`.
 * drizzle-kit generates `drizzle/pg/` from this file.
 *
 * PostgreSQL spellings: timestamps are `timestamptz`, JSON is `jsonb`, booleans are `boolean`.
 */
import {
  boolean,
  doublePrecision,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from "drizzle-orm/pg-core";
import type { ChatMessage, Logprobs, SamplingParams } from "../json-types.ts";

const createdAt = () => timestamp("created_at", { withTimezone: true, mode: "date", precision: 3 }).notNull();

/** A prompt as it arrived: chat `messages` or completion `prompt` text (exactly one is set). */
export const conversations = pgTable(
  "conversations",
  {
    id: text("id").primaryKey(),
    createdAt: createdAt(),
    prompt: text("prompt"),
    messages: jsonb("messages").$type<ChatMessage[]>(),
    source: text("source").notNull(),
  },
  (t) => [index("conversations_created_at_idx").on(t.createdAt)],
);

/** One choice of one completion: the public id (`cmpl-…`, `chatcmpl-…`) plus the choice index. */
export const responses = pgTable(
  "responses",
  {
    id: text("id").notNull(),
    choiceIndex: integer("choice_index").notNull(),
    conversationId: text("conversation_id")
      .notNull()
      .references(() => conversations.id),
    model: text("model").notNull(),
    checkpoint: text("checkpoint"),
    sampling: jsonb("sampling").$type<SamplingParams>().notNull(),
    text: text("text").notNull(),
    tokenIds: jsonb("token_ids").$type<number[]>().notNull(),
    logprobs: jsonb("logprobs").$type<Logprobs>(),
    promptTokens: integer("prompt_tokens").notNull(),
    completionTokens: integer("completion_tokens").notNull(),
    latencyMs: doublePrecision("latency_ms").notNull(),
    finishReason: text("finish_reason").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ name: "responses_pk", columns: [t.id, t.choiceIndex] }),
    index("responses_conversation_idx").on(t.conversationId),
  ],
);

/** A user's judgement of one response: a thumbs rating (-1 / +1), a score, or both. */
export const feedback = pgTable(
  "feedback",
  {
    id: text("id").primaryKey(),
    responseId: text("response_id").notNull(),
    choiceIndex: integer("choice_index").notNull(),
    rating: integer("rating"),
    score: doublePrecision("score"),
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
export const comparisons = pgTable(
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
    tie: boolean("tie").notNull(),
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
export const rewards = pgTable(
  "rewards",
  {
    id: text("id").primaryKey(),
    responseId: text("response_id").notNull(),
    choiceIndex: integer("choice_index").notNull(),
    rewardModel: text("reward_model").notNull(),
    checkpoint: text("checkpoint"),
    score: doublePrecision("score").notNull(),
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
export const datasets = pgTable("datasets", {
  id: text("id").primaryKey(),
  kind: text("kind").notNull(),
  createdAt: createdAt(),
  rowCount: integer("row_count").notNull(),
  path: text("path"),
  contentHash: text("content_hash").notNull(),
});
