/**
 * The store the server writes completions and feedback into and the trainer reads training rows from.
 * `openStore` picks the backend: PostgreSQL when a database URL is given (option or `DATABASE_URL`), else
 * SQLite in `<dataDir>/forno.db`. Both apply their committed migrations before returning. This module adds
 * what both share: the `Store` contract and a graceful `close()` that refuses new calls, waits for the
 * in-flight ones, then closes the connection. The SQL lives in `sqlite-store.ts` and `pg-store.ts`.
 */
import { StoreClosedError, ValidationError } from "./errors.ts";
import type { FeedbackExport } from "./export.ts";
import { openPostgresBackend } from "./pg-store.ts";
import { openSqliteBackend } from "./sqlite-store.ts";
import type {
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

export interface Store {
  readonly dialect: "sqlite" | "postgres";
  saveConversation(conversation: NewConversation): Promise<Conversation>;
  /** Saves the responses and, unless one with its id exists, their conversation, in one transaction. */
  saveResponses(
    conversation: NewConversation,
    responses: NewResponse[],
  ): Promise<{ conversation: Conversation; responses: Response[] }>;
  getConversation(id: string): Promise<Conversation | undefined>;
  getResponse(ref: ResponseRef): Promise<Response | undefined>;
  /** A conversation's responses by (createdAt, id, choiceIndex). */
  listResponses(conversationId: string): Promise<Response[]>;
  /** NotFoundError for an unknown response; ValidationError for a rating other than -1/+1 or no rating/score. */
  addFeedback(feedback: NewFeedback): Promise<Feedback>;
  listFeedback(ref: ResponseRef): Promise<Feedback[]>;
  /** Both responses must exist (NotFoundError), answer the same conversation and differ unless a tie (ValidationError). */
  addComparison(comparison: NewComparison): Promise<Comparison>;
  listComparisons(conversationId: string): Promise<Comparison[]>;
  addReward(reward: NewReward): Promise<Reward>;
  listRewards(ref: ResponseRef): Promise<Reward[]>;
  /** Preference pairs and ratings for training; see export.ts for the rules and order. */
  exportFeedback(): Promise<FeedbackExport>;
  recordDataset(dataset: NewDataset): Promise<Dataset>;
  listDatasets(): Promise<Dataset[]>;
  /** Refuses new calls (StoreClosedError), waits for in-flight ones, closes the connection. Idempotent. */
  close(): Promise<void>;
}

/** What a backend implements: every operation but `close`, plus `end` to close its connection. */
export type StoreBackend = Omit<Store, "close"> & { end(): Promise<void> };

export interface OpenStoreOptions {
  /** SQLite directory (created if missing); default `$FORNO_DATA_DIR` or `./data`. */
  dataDir?: string;
  /** `postgres://…`; default `$DATABASE_URL`. When set, PostgreSQL is used and `dataDir` ignored. */
  databaseUrl?: string;
}

export async function openStore(options: OpenStoreOptions = {}): Promise<Store> {
  const url = options.databaseUrl ?? process.env.DATABASE_URL;
  if (url) return openPostgresStore(url);
  return openSqliteStore(options.dataDir ?? process.env.FORNO_DATA_DIR ?? "data");
}

export async function openSqliteStore(dataDir: string): Promise<Store> {
  return guard(await openSqliteBackend(dataDir));
}

export async function openPostgresStore(databaseUrl: string): Promise<Store> {
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ValidationError(
      `DATABASE_URL: expected postgres://user:password@host:port/database, got "${databaseUrl.replace(/:[^:@/]*@/, ":***@")}"; unset it to use SQLite`,
    );
  }
  return guard(await openPostgresBackend(databaseUrl));
}

function guard(backend: StoreBackend): Store {
  const inFlight = new Set<Promise<unknown>>();
  let closed: Promise<void> | undefined;
  const run = <A extends unknown[], T>(op: (...args: A) => Promise<T>) =>
    (...args: A): Promise<T> => {
      if (closed) return Promise.reject(new StoreClosedError("the store is closed; open a new one with openStore()"));
      const p = op.apply(backend, args);
      inFlight.add(p);
      const done = () => inFlight.delete(p);
      p.then(done, done);
      return p;
    };
  return {
    dialect: backend.dialect,
    saveConversation: run(backend.saveConversation),
    saveResponses: run(backend.saveResponses),
    getConversation: run(backend.getConversation),
    getResponse: run(backend.getResponse),
    listResponses: run(backend.listResponses),
    addFeedback: run(backend.addFeedback),
    listFeedback: run(backend.listFeedback),
    addComparison: run(backend.addComparison),
    listComparisons: run(backend.listComparisons),
    addReward: run(backend.addReward),
    listRewards: run(backend.listRewards),
    exportFeedback: run(backend.exportFeedback),
    recordDataset: run(backend.recordDataset),
    listDatasets: run(backend.listDatasets),
    close() {
      closed ??= Promise.allSettled([...inFlight]).then(() => backend.end());
      return closed;
    },
  };
}
