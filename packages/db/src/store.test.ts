// Runs the one store suite against SQLite (always) and PostgreSQL (when DATABASE_URL is set; CI must set it,
// see scripts/postgres.sh), plus the checks that belong to one backend: WAL mode, real jsonb.
import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import pgJournal from "../drizzle/pg/meta/_journal.json";
import sqliteJournal from "../drizzle/sqlite/meta/_journal.json";
import { ValidationError } from "./errors.ts";
import { openPostgresStore, openSqliteStore, openStore } from "./store.ts";
import { describeStore, type TestDatabase } from "./testing/describe-store.ts";

function freshSqlite(): TestDatabase & { dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "forno-db-"));
  const query = <T>(sql: string) => {
    const db = new Database(join(dir, "forno.db"), { readonly: true });
    try {
      return db.query(sql).all() as T[];
    } finally {
      db.close();
    }
  };
  return {
    dir,
    open: () => openSqliteStore(dir),
    appliedMigrations: async () => query<{ n: number }>("SELECT count(*) AS n FROM __drizzle_migrations")[0].n,
    tables: async () => query<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").map((r) => r.name),
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A new database on the server behind `url` (its user needs CREATEDB), dropped by `drop()`. */
async function freshPostgres(url: string): Promise<TestDatabase & { sql: postgres.Sql }> {
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  const name = `forno_test_${Bun.randomUUIDv7().replaceAll("-", "").slice(-16)}`;
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const target = new URL(url);
  target.pathname = `/${name}`;
  const sql = postgres(target.href, { max: 1, onnotice: () => {} });
  return {
    sql,
    open: () => openPostgresStore(target.href),
    appliedMigrations: async () => (await sql`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`)[0].n,
    tables: async () => (await sql`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`).map((r) => r.tablename),
    drop: async () => {
      await sql.end();
      await admin.unsafe(`DROP DATABASE ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

describeStore("sqlite", async () => freshSqlite(), sqliteJournal.entries.length);

describe("sqlite specifics", () => {
  test("the database file is in WAL mode", async () => {
    const db = freshSqlite();
    await (await db.open()).close();
    const file = new Database(join(db.dir, "forno.db"));
    expect(file.query("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    file.close();
    await db.drop();
  });

  test("migrations are found relative to the package, not the working directory", async () => {
    const db = freshSqlite();
    const cwd = process.cwd();
    process.chdir(tmpdir());
    try {
      await (await db.open()).close();
    } finally {
      process.chdir(cwd);
    }
    expect(await db.appliedMigrations()).toBe(sqliteJournal.entries.length);
    await db.drop();
  });

  test("openStore uses SQLite in dataDir without a database URL, and rejects a malformed URL", async () => {
    const db = freshSqlite();
    const store = await openStore({ dataDir: db.dir, databaseUrl: "" });
    expect(store.dialect).toBe("sqlite");
    await store.close();
    await expect(openStore({ databaseUrl: "mysql://localhost/forno" })).rejects.toBeInstanceOf(ValidationError);
    await db.drop();
  });
});

const databaseUrl = process.env.DATABASE_URL;
if (databaseUrl) {
  describeStore("postgres", () => freshPostgres(databaseUrl), pgJournal.entries.length);

  describe("postgres specifics", () => {
    test("JSON columns hold real jsonb values, not JSON strings", async () => {
      const db = await freshPostgres(databaseUrl);
      const store = await db.open();
      await store.saveConversation({ id: "c", messages: [{ role: "user", content: "hi" }] });
      expect([...(await db.sql`SELECT jsonb_typeof(messages) AS t, messages->0->>'content' AS c FROM conversations`)]).toEqual([
        { t: "array", c: "hi" },
      ]);
      await store.close();
      await db.drop();
    });
  });
} else if (process.env.CI) {
  test("postgres: CI must set DATABASE_URL", () => {
    throw new Error('DATABASE_URL is not set in CI; run eval "$(bash scripts/postgres.sh)" before the tests');
  });
} else {
  console.warn('SKIP postgres: DATABASE_URL is not set, the store suite ran on SQLite only (eval "$(bash scripts/postgres.sh)" to run it)');
  test.skip("postgres: DATABASE_URL is not set", () => {});
}
