// The SQLite and PostgreSQL schemas must stay one schema: same tables, columns, keys, indices and row types.
import { describe, expect, test } from "bun:test";
import { getTableConfig as pgConfig } from "drizzle-orm/pg-core";
import { getTableConfig as sqliteConfig } from "drizzle-orm/sqlite-core";
import * as pg from "./schema/pg.ts";
import * as sqlite from "./schema/sqlite.ts";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Rows<S> = { [K in keyof S]: S[K] extends { $inferSelect: infer R } ? R : never };
type Inserts<S> = { [K in keyof S]: S[K] extends { $inferInsert: infer R } ? R : never };
// Compile-time: `tsc` fails here if a column's TS type differs between the dialects.
const sameRows: Equal<Rows<typeof sqlite>, Rows<typeof pg>> = true;
const sameInserts: Equal<Inserts<typeof sqlite>, Inserts<typeof pg>> = true;

type Config = ReturnType<typeof sqliteConfig> | ReturnType<typeof pgConfig>;
function describeTable(c: Config) {
  return {
    name: c.name,
    columns: c.columns.map((col) => ({ name: col.name, notNull: col.notNull, primary: col.primary })),
    primaryKeys: c.primaryKeys.map((pk) => pk.columns.map((col) => col.name)),
    foreignKeys: c.foreignKeys.map((fk) => {
      const ref = fk.reference();
      return { name: fk.getName(), columns: ref.columns.map((col) => col.name), foreign: ref.foreignColumns.map((col) => col.name) };
    }),
    indexes: c.indexes.map((i) => ({ name: i.config.name, columns: i.config.columns.map((col) => (col as { name: string }).name) })),
  };
}

describe("schema", () => {
  test("both dialects define the same tables", () => {
    expect(sameRows && sameInserts).toBe(true);
    expect(Object.keys(pg).sort()).toEqual(Object.keys(sqlite).sort());
    expect(Object.keys(sqlite).sort()).toEqual(["comparisons", "conversations", "datasets", "feedback", "responses", "rewards"]);
  });

  for (const name of Object.keys(sqlite) as (keyof typeof sqlite)[]) {
    test(`${name}: same columns, keys and indices`, () => {
      const lite = describeTable(sqliteConfig(sqlite[name]));
      expect(describeTable(pgConfig(pg[name]))).toEqual(lite);
      for (const col of lite.columns) expect(col.name).toMatch(/^[a-z]+(_[a-z]+)*$/);
    });
  }
});
