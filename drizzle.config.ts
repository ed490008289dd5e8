import { defineConfig } from "drizzle-kit";

// Migrations are generated once and applied by the portal at start-up to
// PGlite and PostgreSQL alike (see app/base/db.server.ts).
export default defineConfig({
  dialect: "postgresql",
  schema: "./db/schema.ts",
  out: "./db/migrations",
  strict: true,
  verbose: true,
});
