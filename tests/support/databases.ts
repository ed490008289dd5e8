import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe } from "vitest";
import { openDatabase, type DatabaseHandle } from "~/base/db.server";
import { startPortal } from "./portal-process.mjs";

export type RunningPortal = Awaited<ReturnType<typeof startPortal>>;

/**
 * Integration suites run against every database the portal supports: PGlite
 * always, PostgreSQL when TEST_DATABASE_URL is set. Each suite gets a fresh,
 * migrated database of its own, so suites can run in parallel.
 */

interface TestDatabaseKind {
  name: "pglite" | "postgres";
  create(): Promise<{ handle: DatabaseHandle; dispose(): Promise<void> }>;
}

const pglite: TestDatabaseKind = {
  name: "pglite",
  async create() {
    const handle = await openDatabase({ pgliteDir: "memory://" });
    await handle.migrate();
    return { handle, dispose: () => handle.close() };
  },
};

function postgresKind(adminUrl: string): TestDatabaseKind {
  return {
    name: "postgres",
    async create() {
      const name = `portal_test_${randomBytes(6).toString("hex")}`;
      const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await admin.unsafe(`create database "${name}"`);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      const handle = await openDatabase({ url: url.toString(), poolSize: 4 });
      await handle.migrate();
      return {
        handle,
        async dispose() {
          await handle.close();
          await admin.unsafe(`drop database if exists "${name}" with (force)`);
          await admin.end();
        },
      };
    },
  };
}

export const TEST_DATABASES: TestDatabaseKind[] = [
  pglite,
  ...(process.env.TEST_DATABASE_URL ? [postgresKind(process.env.TEST_DATABASE_URL)] : []),
];

/**
 * `describe` once per database. `setup` runs once after migration (seed data
 * there); tests read the handle through the getter.
 */
export function describeEachDatabase(
  title: string,
  body: (database: () => DatabaseHandle) => void,
  setup?: (handle: DatabaseHandle) => Promise<void>,
): void {
  for (const kind of TEST_DATABASES) {
    describe(`${title} [${kind.name}]`, () => {
      let created: Awaited<ReturnType<TestDatabaseKind["create"]>> | undefined;
      beforeAll(async () => {
        created = await kind.create();
        await setup?.(created.handle);
      });
      afterAll(async () => {
        await created?.dispose();
      });
      body(() => {
        if (!created) throw new Error("test database not ready");
        return created.handle;
      });
    });
  }
}

/**
 * `describe` once per database against the built portal as a deployment runs
 * it (`node server.js`, see portal-process.mjs): PGlite in a fresh directory,
 * and a fresh PostgreSQL database when TEST_DATABASE_URL is set.
 */
export function describeEachPortal(title: string, env: Record<string, string>, body: (portal: () => RunningPortal) => void): void {
  for (const kind of TEST_DATABASES) {
    describe(`${title} [${kind.name}]`, () => {
      let portal: RunningPortal | undefined;
      beforeAll(async () => {
        portal = await startPortal(env, kind.name === "postgres" ? { postgresAdminUrl: process.env.TEST_DATABASE_URL } : {});
      }, 180_000);
      afterAll(async () => {
        await portal?.stop();
      });
      body(() => {
        if (!portal) throw new Error("portal not started");
        return portal;
      });
    });
  }
}
