import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
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
  /**
   * Calls `onNotice` with the payload of every NOTIFY on `channel` (from any
   * instance, this one included) until the returned stop is called.
   */
  listen(channel: string, onNotice: (payload: string) => void): Promise<() => Promise<void>>;
  /** PGlite only: the whole data directory as a gzipped tar archive (PGlite's dumpDataDir), for a backup. */
  dumpDataDir?(): Promise<Blob>;
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
  const db = drizzlePostgres({ client: preparingStatements(client), schema }) as unknown as Database;

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
    // postgres.js keeps one connection of its own for LISTEN and listens again after a reconnection.
    listen: async (channel, onNotice) => {
      const { unlisten } = await client.listen(channel, onNotice);
      return unlisten;
    },
    close: () => client.end({ timeout: 5 }),
  };
}

type Sql = postgres.Sql;

/**
 * drizzle-orm asks postgres.js for unnamed statements (`prepare: false`) unless a query is
 * prepared by name. postgres.js must then describe each query with parameters before it can
 * send them: two round trips a statement, and nothing sent behind it meanwhile. Its own default,
 * statements prepared once per connection, takes one round trip and lets a transaction's
 * independent statements go out together (docs/decisions/033).
 */
function preparingStatements(client: Sql): Sql {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === "unsafe")
        return (query: string, parameters?: unknown[], options?: object) =>
          target.unsafe(query, parameters as never, { ...options, prepare: true });
      if (property === "begin" || property === "savepoint")
        return (...args: unknown[]) => {
          const work = args.pop() as (sql: Sql) => unknown;
          const open = Reflect.get(target, property) as (...a: unknown[]) => unknown;
          return open.apply(target, [...args, (sql: Sql) => work(preparingStatements(sql))]);
        };
      return Reflect.get(target, property, receiver);
    },
  });
}

/**
 * A PGlite directory opened by a second process while the first has it open
 * is not refused by PGlite itself: both write, and the files are lost. The
 * portal and the CLI therefore take `<dir>.lock` (holding their process id)
 * before opening it.
 */
export class DatabaseInUseError extends Error {
  constructor(
    readonly dir: string,
    readonly holderPid: number,
  ) {
    super(
      `The embedded database (PGlite, ${dir}) is open in another process (pid ${holderPid}): ` +
        "one PGlite directory belongs to one process. Stop that process (the portal) first, or use PostgreSQL (DATABASE_URL).",
    );
  }
}

/** Lock files this process holds: a lock naming our own pid and not in here is a previous life's (a container's pid 1). */
const heldLocks = new Set<string>();

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function lockPgliteDirectory(dir: string): Promise<() => Promise<void>> {
  const lockPath = `${path.resolve(dir)}.lock`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(lockPath, `${process.pid}\n`, { flag: "wx" });
      heldLocks.add(lockPath);
      return async () => {
        heldLocks.delete(lockPath);
        await rm(lockPath, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = Number.parseInt(await readFile(lockPath, "utf8").catch(() => ""), 10);
    const stale = !Number.isInteger(holder) || holder <= 0 || (holder === process.pid ? !heldLocks.has(lockPath) : !processAlive(holder));
    if (!stale) throw new DatabaseInUseError(dir, holder);
    // Left by a process that ended without closing the database: nobody has it open.
    await rm(lockPath, { force: true });
  }
  throw new DatabaseInUseError(dir, Number.NaN);
}

async function openPglite(dir: string): Promise<DatabaseHandle> {
  let unlock = async () => {};
  if (!dir.startsWith("memory://")) {
    await mkdir(dir, { recursive: true });
    unlock = await lockPgliteDirectory(dir);
  }
  let client: PGlite;
  try {
    client = await PGlite.create(dir);
  } catch (error) {
    await unlock();
    throw error;
  }
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
    listen: (channel, onNotice) => client.listen(channel, onNotice),
    dumpDataDir: () => client.dumpDataDir("gzip"),
    close: async () => {
      await client.close();
      await unlock();
    },
  };
}

let latestMigration: Promise<number> | undefined;

/**
 * Whether the latest migration of db/migrations is recorded as applied (for
 * /readyz): drizzle's migrators record each one's journal time in
 * drizzle.__drizzle_migrations. One indexed-sized query; the journal is read once.
 */
export async function latestMigrationApplied(db: Database): Promise<boolean> {
  latestMigration ??= readFile(path.join(MIGRATIONS_FOLDER, "meta/_journal.json"), "utf8").then((text) =>
    Math.max(...(JSON.parse(text) as { entries: Array<{ when: number }> }).entries.map((entry) => entry.when)),
  );
  const [row] = await selectRows<{ applied: string | number | null }>(
    db,
    sql`select max(created_at) as applied from drizzle.__drizzle_migrations`,
  );
  return Number(row?.applied ?? 0) >= (await latestMigration);
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
