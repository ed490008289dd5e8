import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type DatabaseHandle } from "~/base/db.server";
import { createPostgresDatabase, runCli } from "../support/portal-process.mjs";
import { databaseWithAuditEntries } from "../support/audit-entries";

/**
 * `node cli.js audit verify|head` from the build, as an operator runs it,
 * against each database: the chain intact (exit 0, the head to note down), a
 * tampered entry (exit 1, its seq), and PGlite while another process has it
 * open (exit 2, a sentence rather than a crash).
 */

interface Target {
  name: string;
  env: Record<string, string>;
  open(): Promise<DatabaseHandle>;
  dispose(): Promise<void>;
}

async function pgliteTarget(): Promise<Target> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "audit-cli-"));
  return {
    name: "pglite",
    env: { DATA_DIR: dataDir },
    open: () => openDatabase({ pgliteDir: path.join(dataDir, "pglite") }),
    dispose: () => rm(dataDir, { recursive: true, force: true }),
  };
}

async function postgresTarget(adminUrl: string): Promise<Target> {
  const database = await createPostgresDatabase(adminUrl);
  return {
    name: "postgres",
    // The CLI on its own, whatever portal runs from this checkout's .data/.
    env: { DATABASE_URL: database.url, CONTROL_SOCKET: "off" },
    open: () => openDatabase({ url: database.url, poolSize: 2 }),
    dispose: () => database.drop(),
  };
}

const kinds: Array<() => Promise<Target>> = [
  pgliteTarget,
  ...(process.env.TEST_DATABASE_URL ? [() => postgresTarget(process.env.TEST_DATABASE_URL!)] : []),
];

for (const [index, makeTarget] of kinds.entries()) {
  describe(`node cli.js audit [${index === 0 ? "pglite" : "postgres"}]`, () => {
    let target: Target;
    let head: { headSeq: number; headHash: string };
    beforeAll(async () => {
      target = await makeTarget();
      head = await databaseWithAuditEntries(() => target.open(), 5);
    }, 60_000);
    afterAll(() => target?.dispose());

    it("verifies an intact chain and prints the head to note down", async () => {
      const { code, output } = await runCli(["audit", "verify"], target.env);
      expect(output).toContain("5 entries checked");
      expect(output).toContain(`head seq ${head.headSeq}`);
      expect(output).toContain(`head hash ${head.headHash}`);
      expect(code).toBe(0);
      const printed = await runCli(["audit", "head"], target.env);
      expect(printed).toMatchObject({ code: 0, stdout: `head seq 5\nhead hash ${head.headHash}\n` });
    });

    it("exits 1 naming the seq of an entry changed behind the application's back", async () => {
      const handle = await target.open();
      try {
        await handle.db.execute(sql`alter table audit_log disable trigger audit_log_no_update_or_delete`);
        await handle.db.execute(sql`update audit_log set details = '{"i":99}' where seq = 3`);
        await handle.db.execute(sql`alter table audit_log enable trigger audit_log_no_update_or_delete`);
      } finally {
        await handle.close();
      }
      const { code, output } = await runCli(["audit", "verify"], target.env);
      expect(output).toContain("BROKEN at seq 3");
      expect(output).toContain("does not match its hash");
      expect(code).toBe(1);
    });

    if (index === 0) {
      it("says so, with exit 2, while another process has the embedded database open", async () => {
        const handle = await target.open();
        try {
          const { code, output } = await runCli(["audit", "verify"], target.env);
          expect(output).toContain(`is open in another process (pid ${process.pid})`);
          expect(output).toContain("Stop that process");
          expect(output).not.toContain("    at ");
          expect(code).toBe(2);
        } finally {
          await handle.close();
        }
        // Closed, the lock is gone: the CLI opens it again.
        expect((await runCli(["audit", "head"], target.env)).code).toBe(0);
      });
    }
  });
}
