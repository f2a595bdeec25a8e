/**
 * Row and input types of the store, inferred from the schema (`$inferSelect` / `$inferInsert`) rather than
 * written by hand. They come from the SQLite schema; `schema.test.ts` asserts the PostgreSQL schema infers
 * the very same types, so either backend returns these.
 */
import type * as t from "./schema/sqlite.ts";

export type Conversation = typeof t.conversations.$inferSelect;
export type Response = typeof t.responses.$inferSelect;
export type Feedback = typeof t.feedback.$inferSelect;
export type Comparison = typeof t.comparisons.$inferSelect;
export type Reward = typeof t.rewards.$inferSelect;
export type Dataset = typeof t.datasets.$inferSelect;

/** Identifies one choice of one completion: the public id (`chatcmpl-…`) and the choice index. */
export interface ResponseRef {
  responseId: string;
  choiceIndex: number;
}

/** Ids and `createdAt` are filled in by the store when absent; `source` defaults to "api". */
type Optional<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;

export type NewConversation = Optional<typeof t.conversations.$inferInsert, "id" | "createdAt" | "source">;
export type NewResponse = Optional<Omit<typeof t.responses.$inferInsert, "conversationId">, "createdAt">;
export type NewFeedback = Optional<typeof t.feedback.$inferInsert, "id" | "createdAt" | "source">;
export interface NewComparison {
  chosen: ResponseRef;
  rejected: ResponseRef;
  tie?: boolean;
  who?: string | null;
  createdAt?: Date;
}
export type NewReward = Optional<typeof t.rewards.$inferInsert, "id" | "createdAt">;
export type NewDataset = Optional<typeof t.datasets.$inferInsert, "id" | "createdAt">;
