/**
 * The PostgreSQL backend for shared deployments, through postgres-js (`drizzle-orm/postgres-js`): a pool of
 * connections, with migrations from drizzle/pg/ applied on open under an advisory lock so that several
 * servers starting at once do not race. Operations mirror `sqlite-store.ts` query for query; the export
 * reads inside one REPEATABLE READ transaction so its rows agree with each other.
 * (Bun's built-in `Bun.sql` via `drizzle-orm/bun-sql` was passed over: with drizzle-orm 0.45.4 on Bun 1.4.5
 * it stores every jsonb value as a JSON string — `jsonb_typeof` says 'string' — drizzle-orm #4942, #5287.)
 */
import { join } from "node:path";
import { and, asc, eq, exists, inArray, isNotNull, or, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { ConflictError, MigrationError, NotFoundError, ValidationError } from "./errors.ts";
import { buildFeedbackExport } from "./export.ts";
import * as inputs from "./inputs.ts";
import { comparisons, conversations, datasets, feedback, responses, rewards } from "./schema/pg.ts";
import type { StoreBackend } from "./store.ts";
import type { ResponseRef } from "./types.ts";

export const PG_MIGRATIONS = join(import.meta.dir, "../drizzle/pg");
/** pg_advisory_lock key held while migrating ("forno" in ASCII). */
const MIGRATION_LOCK = 0x666f726e6f;
const POOL_SIZE = 10;

function isUniqueViolation(e: unknown): boolean {
  for (let err = e as { code?: unknown; cause?: unknown } | undefined; err; err = err.cause as typeof err) {
    if (err.code === "23505") return true;
  }
  return false;
}

const redact = (url: string) => url.replace(/:[^:@/]*@/, ":***@");

export async function openPostgresBackend(url: string): Promise<StoreBackend> {
  const migrator = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await migrator`SELECT pg_advisory_lock(${MIGRATION_LOCK})`;
    await migrate(drizzle({ client: migrator }), { migrationsFolder: PG_MIGRATIONS });
  } catch (e) {
    throw new MigrationError(
      `applying ${PG_MIGRATIONS} to ${redact(url)} failed: ${e}; is the server up (scripts/postgres.sh) and the URL right?`,
      { cause: e },
    );
  } finally {
    await migrator.end(); // ending the session releases the advisory lock
  }
  const client = postgres(url, { max: POOL_SIZE, onnotice: () => {} });
  const db = drizzle({ client });

  const isResponse = (ref: ResponseRef) => and(eq(responses.id, ref.responseId), eq(responses.choiceIndex, ref.choiceIndex));
  const getResponse = async (ref: ResponseRef) => (await db.select().from(responses).where(isResponse(ref)).limit(1))[0];
  const requireResponse = async (what: string, ref: ResponseRef) => {
    const row = await getResponse(ref);
    if (!row) {
      throw new NotFoundError(
        `${what}: no response ${ref.responseId} with choice ${ref.choiceIndex}; use the id and index the completion returned`,
      );
    }
    return row;
  };

  return {
    dialect: "postgres",

    async saveConversation(c) {
      const row = inputs.conversationRow(c);
      try {
        await db.insert(conversations).values(row);
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
        return await db.transaction(async (tx) => {
          await tx.insert(conversations).values(conv).onConflictDoNothing();
          await tx.insert(responses).values(rows);
          const [conversation] = await tx.select().from(conversations).where(eq(conversations.id, conv.id));
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
      return (await db.select().from(conversations).where(eq(conversations.id, id)).limit(1))[0];
    },

    async getResponse(ref) {
      return getResponse(ref);
    },

    async listResponses(conversationId) {
      return db
        .select()
        .from(responses)
        .where(eq(responses.conversationId, conversationId))
        .orderBy(asc(responses.createdAt), asc(responses.id), asc(responses.choiceIndex));
    },

    async addFeedback(f) {
      const row = inputs.feedbackRow(f);
      await requireResponse("feedback", row);
      await db.insert(feedback).values(row);
      return row;
    },

    async listFeedback(ref) {
      return db
        .select()
        .from(feedback)
        .where(and(eq(feedback.responseId, ref.responseId), eq(feedback.choiceIndex, ref.choiceIndex)))
        .orderBy(asc(feedback.createdAt), asc(feedback.id));
    },

    async addComparison(c) {
      inputs.checkComparisonRefs(c);
      const chosen = await requireResponse("comparison.chosen", c.chosen);
      const rejected = await requireResponse("comparison.rejected", c.rejected);
      if (chosen.conversationId !== rejected.conversationId) {
        throw new ValidationError(
          `comparison: chosen answers conversation ${chosen.conversationId} but rejected answers ${rejected.conversationId}; compare responses to the same prompt`,
        );
      }
      const row = inputs.comparisonRow(c, chosen.conversationId);
      await db.insert(comparisons).values(row);
      return row;
    },

    async listComparisons(conversationId) {
      return db
        .select()
        .from(comparisons)
        .where(eq(comparisons.conversationId, conversationId))
        .orderBy(asc(comparisons.createdAt), asc(comparisons.id));
    },

    async addReward(r) {
      const row = inputs.rewardRow(r);
      await requireResponse("reward", row);
      await db.insert(rewards).values(row);
      return row;
    },

    async listRewards(ref) {
      return db
        .select()
        .from(rewards)
        .where(and(eq(rewards.responseId, ref.responseId), eq(rewards.choiceIndex, ref.choiceIndex)))
        .orderBy(asc(rewards.createdAt), asc(rewards.id));
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
      return db.transaction(
        async (tx) => {
          const [conversationRows, responseRows, ratings, comparisonRows] = await Promise.all([
            tx
              .select()
              .from(conversations)
              .where(inArray(conversations.id, tx.select({ id: responses.conversationId }).from(responses).where(used))),
            tx
              .select({
                id: responses.id,
                choiceIndex: responses.choiceIndex,
                conversationId: responses.conversationId,
                text: responses.text,
                createdAt: responses.createdAt,
              })
              .from(responses)
              .where(used),
            tx
              .select({
                responseId: feedback.responseId,
                choiceIndex: feedback.choiceIndex,
                rating: sql<number>`${feedback.rating}`,
              })
              .from(feedback)
              .where(isNotNull(feedback.rating)),
            tx.select().from(comparisons).where(eq(comparisons.tie, false)),
          ]);
          return buildFeedbackExport({
            conversations: conversationRows,
            responses: responseRows,
            ratings,
            comparisons: comparisonRows,
          });
        },
        { isolationLevel: "repeatable read", accessMode: "read only" },
      );
    },

    async recordDataset(d) {
      const row = inputs.datasetRow(d);
      await db.insert(datasets).values(row);
      return row;
    },

    async listDatasets() {
      return db.select().from(datasets).orderBy(asc(datasets.createdAt), asc(datasets.id));
    },

    async end() {
      await client.end({ timeout: 5 });
    },
  };
}
