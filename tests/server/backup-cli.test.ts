import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditChain } from "~/base/audit.server";
import { openDatabase } from "~/base/db.server";
import { runCli } from "../support/portal-process.mjs";
import { databaseWithAuditEntries } from "../support/audit-entries";

/**
 * `node cli.js backup <file>` from the build, as an operator runs it on a
 * PGlite portal: an archive that, unpacked as the README says, opens with the
 * same data; a sentence and exit 2 while the portal has the database open, on
 * PostgreSQL, or over an existing file.
 */

describe("node cli.js backup [pglite]", () => {
  let work: string;
  let head: { headSeq: number; headHash: string };
  const dataDir = () => path.join(work, "data");

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), "backup-cli-"));
    head = await databaseWithAuditEntries(() => openDatabase({ pgliteDir: path.join(dataDir(), "pglite") }), 3);
  }, 60_000);
  afterAll(() => rm(work, { recursive: true, force: true }));

  it("writes an archive of the stopped data directory that, unpacked into a new one, opens with the same audit chain", async () => {
    const file = path.join(work, "portal.tar.gz");
    const { code, stdout } = await runCli(["backup", file], { DATA_DIR: dataDir() });
    expect(stdout).toContain(`backup written: ${file}`);
    expect(code).toBe(0);

    const restored = path.join(work, "restored", "pglite");
    await mkdir(restored, { recursive: true });
    execFileSync("tar", ["-C", restored, "-xzf", file]);
    const handle = await openDatabase({ pgliteDir: restored });
    try {
      await handle.migrate();
      expect(await verifyAuditChain(handle.db)).toEqual({ ok: true, checked: 3, ...head });
    } finally {
      await handle.close();
    }
  });

  it("refuses, with exit 2 and a sentence, while another process has the database open, and over an existing file", async () => {
    const file = path.join(work, "while-open.tar.gz");
    const handle = await openDatabase({ pgliteDir: path.join(dataDir(), "pglite") });
    try {
      const { code, output } = await runCli(["backup", file], { DATA_DIR: dataDir() });
      expect(output).toContain(`is open in another process (pid ${process.pid})`);
      expect(code).toBe(2);
      expect(existsSync(file)).toBe(false);
    } finally {
      await handle.close();
    }
    const again = await runCli(["backup", path.join(work, "portal.tar.gz")], { DATA_DIR: dataDir() });
    expect(again).toMatchObject({ code: 2 });
    expect(again.output).toContain("exists already");
  });

  it("points to pg_dump when the portal uses PostgreSQL", async () => {
    const { code, output } = await runCli(["backup", path.join(work, "pg.tar.gz")], {
      DATABASE_URL: "postgres://nobody@127.0.0.1:1/none",
      CONTROL_SOCKET: "off",
    });
    expect(output).toContain("pg_dump -Fc");
    expect(code).toBe(2);
  });
});
