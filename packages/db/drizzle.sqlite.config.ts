// drizzle-kit config for the SQLite migrations: `bun run generate` writes drizzle/sqlite/ from the schema.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./src/schema/sqlite.ts",
  out: "./drizzle/sqlite",
});
