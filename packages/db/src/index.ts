/**
 * @forno/db: where the server stores completions and feedback and the trainer reads training rows back.
 * SQLite (bun:sqlite, WAL) by default, PostgreSQL when `DATABASE_URL` is set; migrations apply on open.
 */
export { openPostgresStore, openSqliteStore, openStore } from "./store.ts";
export type { OpenStoreOptions, Store } from "./store.ts";
export { sha256Hex, toJsonl } from "./export.ts";
export type { ExportPrompt, FeedbackExport, PreferencePair, RatingRow } from "./export.ts";
export { ConflictError, DbError, MigrationError, NotFoundError, StoreClosedError, ValidationError } from "./errors.ts";
export type {
  Comparison,
  Conversation,
  Dataset,
  Feedback,
  NewComparison,
  NewConversation,
  NewDataset,
  NewFeedback,
  NewResponse,
  NewReward,
  Response,
  ResponseRef,
  Reward,
} from "./types.ts";
export type { ChatMessage, Logprobs, SamplingParams } from "./json-types.ts";
