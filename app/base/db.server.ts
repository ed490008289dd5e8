import { mkdir } from "node:fs/promises";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { sql, type SQL } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import * as schema from "#db/schema";

/**
 * The one database client. `DATABASE_URL` set: PostgreSQL through
 * postgres.js. Unset: PGlite (PostgreSQL in WebAssembly) in a data directory,
 * so the portal runs on a machine with no database server. Both get the same
 * drizzle migrations and the same queries.
 */

export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;
export { schema };

export interface DatabaseHandle {
  db: Database;
  kind: "pglite" | "postgres";
  /** Applies pending migrations; safe when several instances start at once. */
  migrate(): Promise<void>;
  /** Runs `work` while holding the cluster-wide start-up lock (migrations, seeding). */
  withStartupLock<T>(work: (db: Database) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** postgres:// URL; when absent, PGlite is used. */
  url?: string;
  /** PGlite data directory, or `memory://` for a throw-away database. */
  pgliteDir?: string;
  poolSize?: number;
}

// Resolved from the working directory: `npm` scripts, vitest and the built
// server all run from the project root.
const MIGRATIONS_FOLDER = path.resolve("db/migrations");

// Arbitrary constant shared by every instance of the portal.
const STARTUP_LOCK_KEY = 727_150_001;

export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  return options.url ? openPostgres(options.url, options.poolSize ?? 10) : openPglite(options.pgliteDir ?? "memory://");
}

async function openPostgres(url: string, poolSize: number): Promise<DatabaseHandle> {
  const client = postgres(url, {
    // One connection may be reserved for the start-up lock while the pool works.
    max: Math.max(poolSize, 2),
    onnotice: () => {},
    connection: { application_name: "bill-portal" },
  });
  const db = drizzlePostgres({ client, schema }) as unknown as Database;

  async function withStartupLock<T>(work: (db: Database) => Promise<T>): Promise<T> {
    // The advisory lock belongs to the reserved connection; the work itself runs
    // on the pool while other instances wait for the lock.
    const reserved = await client.reserve();
    try {
      await reserved`select pg_advisory_lock(${STARTUP_LOCK_KEY})`;
      try {
        return await work(db);
      } finally {
        await reserved`select pg_advisory_unlock(${STARTUP_LOCK_KEY})`;
      }
    } finally {
      reserved.release();
    }
  }

  return {
    db,
    kind: "postgres",
    withStartupLock,
    migrate: () =>
      withStartupLock((locked) =>
        migratePostgres(locked as unknown as Parameters<typeof migratePostgres>[0], {
          migrationsFolder: MIGRATIONS_FOLDER,
        }),
      ),
    ping: async () => {
      await client`select 1`;
    },
    close: () => client.end({ timeout: 5 }),
  };
}

async function openPglite(dir: string): Promise<DatabaseHandle> {
  if (!dir.startsWith("memory://")) await mkdir(dir, { recursive: true });
  const client = await PGlite.create(dir);
  const db = drizzlePglite({ client, schema }) as unknown as Database;
  // One PGlite directory belongs to one process, so there is nobody to lock out.
  const withStartupLock = <T>(work: (db: Database) => Promise<T>) => work(db);
  return {
    db,
    kind: "pglite",
    withStartupLock,
    migrate: () =>
      migratePglite(db as unknown as Parameters<typeof migratePglite>[0], {
        migrationsFolder: MIGRATIONS_FOLDER,
      }),
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: () => client.close(),
  };
}

let appDatabase: DatabaseHandle | undefined;

/** Registers the database the running portal uses (called once at start-up). */
export function setAppDatabase(handle: DatabaseHandle | undefined): void {
  appDatabase = handle;
}

/** The running portal's database; services receive it as an argument. */
export function getDb(): Database {
  if (!appDatabase) throw new Error("The database is not open yet: startServer() opens it before serving requests.");
  return appDatabase.db;
}

/**
 * Runs a background job's claim (`update … where id in (select … for update skip
 * locked) returning id`: raw SQL, drizzle's builder has no SKIP LOCKED in updates)
 * and returns the claimed ids in the order the statement returned them.
 */
export async function claimIds(db: Database, claim: SQL): Promise<string[]> {
  return (await selectRows<{ id: string }>(db, claim)).map((row) => row.id);
}

/** The rows of a raw SQL query, whichever client runs it. */
export async function selectRows<Row extends Record<string, unknown>>(db: Database, query: SQL): Promise<Row[]> {
  const result = await db.execute<Row>(query);
  // postgres.js answers with the rows themselves, PGlite with { rows }.
  return Array.isArray(result) ? (result as Row[]) : (result as unknown as { rows: Row[] }).rows;
}
