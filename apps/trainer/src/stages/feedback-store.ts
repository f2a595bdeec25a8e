/**
 * `--from-db [DIR | DIR/forno.db | postgres://…]`: preference pairs from the feedback the server stored
 * (packages/db): every non-tie comparison, and ratings paired per prompt (a liked answer over a disliked
 * one); for PPO, the prompts people gave feedback on. With a bare `--from-db` the store is PostgreSQL when DATABASE_URL is set, else the SQLite file
 * the server writes for this run, <run>/db/forno.db (`bun run serve --run <run>`). The rows go through
 * the same parser as preference files, so a store pair and an exported JSONL line train alike. Mixing
 * them with the stages' built-in pairs is the stages' choice.
 */
import { existsSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { openPostgresStore, openSqliteStore, type FeedbackExport, type Store } from "@forno/db";
import type { ChatMessage } from "@forno/tokenizer";
import { parsePreferenceRecord, PreferenceDataError, type PreferencePair } from "@forno/rl";
import { UsageError, type Options } from "../args.ts";
import { runPaths } from "../run-dir.ts";

export interface StorePairs {
  /** Where the rows came from (a password in a URL is masked). */
  where: string;
  pairs: PreferencePair[];
  /** Non-tie comparisons, and responses with a net rating, found in the store. */
  comparisons: number;
  liked: number;
  disliked: number;
}

const SQLITE_FILE = "forno.db";

/** Opens the store `--from-db` names; a SQLite store must already exist (reading never creates one). */
async function openFeedbackStore(opts: Options): Promise<{ store: Store; where: string }> {
  const arg = opts["from-db"];
  const url = arg === true ? process.env.DATABASE_URL : typeof arg === "string" && /^postgres(ql)?:\/\//.test(arg) ? arg : undefined;
  if (url) return { store: await openPostgresStore(url), where: url.replace(/:[^:@/]*@/, ":***@") };
  let dir = arg === true ? join(runPaths(opts).root, "db") : resolve(String(arg));
  if (existsSync(dir) && statSync(dir).isFile()) {
    if (basename(dir) !== SQLITE_FILE) throw new UsageError(`--from-db ${dir}: expected the server's ${SQLITE_FILE} (or the directory holding it)`);
    dir = dirname(dir);
  }
  const file = join(dir, SQLITE_FILE);
  if (!existsSync(file)) {
    throw new UsageError(`--from-db: no feedback store at ${file}; serve this run (\`bun run serve --run ${runPaths(opts).root}\`) and rate or compare answers first, or pass --from-db DIR|postgres://…`);
  }
  return { store: await openSqliteStore(dir), where: file };
}

async function readExport(opts: Options): Promise<{ where: string; exported: FeedbackExport } | null> {
  if (opts["from-db"] === undefined || opts["from-db"] === false) return null;
  const { store, where } = await openFeedbackStore(opts);
  return { where, exported: await store.exportFeedback().finally(() => store.close()) };
}

const counted = (e: FeedbackExport) => ({
  comparisons: e.pairs.filter((p) => p.source === "comparison").length,
  liked: e.ratings.filter((r) => r.rating > 0).length,
  disliked: e.ratings.filter((r) => r.rating < 0).length,
});

/** Rows a stored prompt the chat template cannot render (e.g. nothing before the reply) are dropped: they train nothing. */
function readable<T>(rows: readonly Record<string, unknown>[], where: string, parse: (r: Record<string, unknown>, where: string) => T): T[] {
  return rows.flatMap((r, i) => {
    try {
      return [parse({ ...r }, `${where} row ${i + 1}`)];
    } catch (e) {
      if (e instanceof PreferenceDataError) return [];
      throw e;
    }
  });
}

/**
 * The store's preference pairs, or null without `--from-db`. Throws a UsageError that counts what the
 * store holds when none of it makes a usable pair (a pair needs two different answers to one prompt).
 */
export async function readStorePairs(opts: Options, stage: string): Promise<StorePairs | null> {
  const got = await readExport(opts);
  if (!got) return null;
  const { where, exported } = got;
  const pairs = readable(exported.pairs as unknown as Record<string, unknown>[], where, parsePreferenceRecord).filter((p) => p.chosen !== p.rejected);
  const counts = counted(exported);
  if (pairs.length === 0) {
    throw new UsageError(
      `${stage} --from-db: no usable preference pairs in ${where}: found ${counts.comparisons} comparisons (ties excluded) and ${counts.liked + counts.disliked} rated responses ` +
        `(${counts.liked} liked, ${counts.disliked} disliked), but a pair needs a comparison or one prompt with both a liked and a disliked answer. ` +
        `Compare two answers in the playground, or rate answers to the same prompt both ways.`,
    );
  }
  return { where, pairs, ...counts };
}

/** The distinct prompts people rated or compared answers to (for PPO's rollouts), or null without `--from-db`. */
export async function readStorePrompts(opts: Options, stage: string): Promise<{ where: string; prompts: ChatMessage[][] } | null> {
  const got = await readExport(opts);
  if (!got) return null;
  const { where, exported } = got;
  const rows = [...exported.pairs, ...exported.ratings].map((r) => ({ prompt: r.prompt, chosen: "", rejected: "" }));
  const unique = new Map(readable(rows, where, parsePreferenceRecord).map((p) => [JSON.stringify(p.prompt), p.prompt]));
  if (unique.size === 0) throw new UsageError(`${stage} --from-db: no rated or compared prompts in ${where}; rate some answers with \`bun run serve\` first`);
  return { where, prompts: [...unique.values()] };
}
