/**
 * The SQLite backend: `<dataDir>/forno.db` through `bun:sqlite`, in WAL mode (readers never block the
 * writer), with a busy timeout for other processes holding the write lock and foreign keys enforced.
 * Migrations from drizzle/sqlite/ are applied on open. bun:sqlite is synchronous, so each operation runs to
 * completion inside its async wrapper and transactions are synchronous callbacks (Drizzle's bun-sqlite
 * transactions cannot span an `await`).
 */
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { and, asc, eq, exists, inArray, isNotNull, or, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/bun-sqlite";
import { migrate } from "drizzle-orm/bun-sqlite/migrator";
import { ConflictError, MigrationError, NotFoundError, ValidationError } from "./errors.ts";
import { buildFeedbackExport } from "./export.ts";
import * as inputs from "./inputs.ts";
import { comparisons, conversations, datasets, feedback, responses, rewards } from "./schema/sqlite.ts";
import type { StoreBackend } from "./store.ts";
import type { ResponseRef } from "./types.ts";

export const SQLITE_MIGRATIONS = join(import.meta.dir, "../drizzle/sqlite");
const BUSY_TIMEOUT_MS = 5000;

function isUniqueViolation(e: unknown): boolean {
  for (let err = e as { code?: unknown; cause?: unknown } | undefined; err; err = err.cause as typeof err) {
    if (err.code === "SQLITE_CONSTRAINT_PRIMARYKEY" || err.code === "SQLITE_CONSTRAINT_UNIQUE") return true;
  }
  return false;
}

export async function openSqliteBackend(dataDir: string): Promise<StoreBackend> {
  mkdirSync(dataDir, { recursive: true });
  const client = new Database(join(dataDir, "forno.db"), { create: true, strict: true });
  client.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  client.run("PRAGMA journal_mode = WAL");
  client.run("PRAGMA synchronous = NORMAL");
  client.run("PRAGMA foreign_keys = ON");
  const db = drizzle({ client });
  try {
    migrate(db, { migrationsFolder: SQLITE_MIGRATIONS });
  } catch (e) {
    client.close();
    throw new MigrationError(`applying ${SQLITE_MIGRATIONS} to ${join(dataDir, "forno.db")} failed: ${e}`, { cause: e });
  }

  const isResponse = (ref: ResponseRef) => and(eq(responses.id, ref.responseId), eq(responses.choiceIndex, ref.choiceIndex));
  const getResponse = (ref: ResponseRef) => db.select().from(responses).where(isResponse(ref)).get();
  const requireResponse = (what: string, ref: ResponseRef) => {
    const row = getResponse(ref);
    if (!row) {
      throw new NotFoundError(
        `${what}: no response ${ref.responseId} with choice ${ref.choiceIndex}; use the id and index the completion returned`,
      );
    }
    return row;
  };

  return {
    dialect: "sqlite",

    async saveConversation(c) {
      const row = inputs.conversationRow(c);
      try {
        db.insert(conversations).values(row).run();
      } catch (e) {
        if (isUniqueViolation(e)) throw new ConflictError(`conversation ${row.id} already exists; omit id to get a new one`);
        throw e;
      }
      return row;
    },

    async saveResponses(c, rs) {
      const conv = inputs.conversationRow(c);
      const rows = inputs.responseRows(conv.id, rs);
      try {
        return db.transaction((tx) => {
          tx.insert(conversations).values(conv).onConflictDoNothing().run();
          tx.insert(responses).values(rows).run();
          const conversation = tx.select().from(conversations).where(eq(conversations.id, conv.id)).get()!;
          return { conversation, responses: rows };
        });
      } catch (e) {
        if (isUniqueViolation(e)) {
          const keys = rows.map((r) => `${r.id}#${r.choiceIndex}`).join(", ");
          throw new ConflictError(`one of the responses [${keys}] is already saved; response ids must be unique`);
        }
        throw e;
      }
    },

    async getConversation(id) {
      return db.select().from(conversations).where(eq(conversations.id, id)).get();
    },

    async getResponse(ref) {
      return getResponse(ref);
    },

    async listResponses(conversationId) {
      return db
        .select()
        .from(responses)
        .where(eq(responses.conversationId, conversationId))
        .orderBy(asc(responses.createdAt), asc(responses.id), asc(responses.choiceIndex))
        .all();
    },

    async addFeedback(f) {
      const row = inputs.feedbackRow(f);
      requireResponse("feedback", row);
      db.insert(feedback).values(row).run();
      return row;
    },

    async listFeedback(ref) {
      return db
        .select()
        .from(feedback)
        .where(and(eq(feedback.responseId, ref.responseId), eq(feedback.choiceIndex, ref.choiceIndex)))
        .orderBy(asc(feedback.createdAt), asc(feedback.id))
        .all();
    },

    async addComparison(c) {
      inputs.checkComparisonRefs(c);
      const chosen = requireResponse("comparison.chosen", c.chosen);
      const rejected = requireResponse("comparison.rejected", c.rejected);
      if (chosen.conversationId !== rejected.conversationId) {
        throw new ValidationError(
          `comparison: chosen answers conversation ${chosen.conversationId} but rejected answers ${rejected.conversationId}; compare responses to the same prompt`,
        );
      }
      const row = inputs.comparisonRow(c, chosen.conversationId);
      db.insert(comparisons).values(row).run();
      return row;
    },

    async listComparisons(conversationId) {
      return db
        .select()
        .from(comparisons)
        .where(eq(comparisons.conversationId, conversationId))
        .orderBy(asc(comparisons.createdAt), asc(comparisons.id))
        .all();
    },

    async addReward(r) {
      const row = inputs.rewardRow(r);
      requireResponse("reward", row);
      db.insert(rewards).values(row).run();
      return row;
    },

    async listRewards(ref) {
      return db
        .select()
        .from(rewards)
        .where(and(eq(rewards.responseId, ref.responseId), eq(rewards.choiceIndex, ref.choiceIndex)))
        .orderBy(asc(rewards.createdAt), asc(rewards.id))
        .all();
    },

    async exportFeedback() {
      const rated = exists(
        db
          .select({ one: sql`1` })
          .from(feedback)
          .where(
            and(
              eq(feedback.responseId, responses.id),
              eq(feedback.choiceIndex, responses.choiceIndex),
              isNotNull(feedback.rating),
            ),
          ),
      );
      const compared = exists(
        db
          .select({ one: sql`1` })
          .from(comparisons)
          .where(
            and(
              eq(comparisons.tie, false),
              or(
                and(eq(comparisons.chosenResponseId, responses.id), eq(comparisons.chosenChoiceIndex, responses.choiceIndex)),
                and(eq(comparisons.rejectedResponseId, responses.id), eq(comparisons.rejectedChoiceIndex, responses.choiceIndex)),
              ),
            ),
          ),
      );
      const used = or(rated, compared);
      return db.transaction((tx) =>
        buildFeedbackExport({
          conversations: tx
            .select()
            .from(conversations)
            .where(inArray(conversations.id, tx.select({ id: responses.conversationId }).from(responses).where(used)))
            .all(),
          responses: tx
            .select({
              id: responses.id,
              choiceIndex: responses.choiceIndex,
              conversationId: responses.conversationId,
              text: responses.text,
              createdAt: responses.createdAt,
            })
            .from(responses)
            .where(used)
            .all(),
          ratings: tx
            .select({
                responseId: feedback.responseId,
                choiceIndex: feedback.choiceIndex,
                rating: sql<number>`${feedback.rating}`,
              })
            .from(feedback)
            .where(isNotNull(feedback.rating))
            .all(),
          comparisons: tx.select().from(comparisons).where(eq(comparisons.tie, false)).all(),
        }),
      );
    },

    async recordDataset(d) {
      const row = inputs.datasetRow(d);
      db.insert(datasets).values(row).run();
      return row;
    },

    async listDatasets() {
      return db.select().from(datasets).orderBy(asc(datasets.createdAt), asc(datasets.id)).all();
    },

    async end() {
      client.close();
    },
  };
}
