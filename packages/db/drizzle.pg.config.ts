// drizzle-kit config for the PostgreSQL migrations: `bun run generate` writes drizzle/pg/ from the schema.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./src/schema/pg.ts",
  out: "./drizzle/pg",
});
