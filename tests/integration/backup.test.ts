import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditChain } from "~/base/audit.server";
import { openDatabase, selectRows, type Database, type DatabaseHandle } from "~/base/db.server";
import { findBill } from "~/bills/bills.server";
import { seedDemoDataIfEmpty, seedDemoStaff } from "~/demo/data/seed.server";
import { startPayment } from "~/payments/orders/answers.server";
import { createPaymentOrder } from "~/payments/orders/create.server";
import { demoEnv } from "../support/env";
import { followBack, newKey, payerAtLinePay, startPaymentWorld, unpaidBills } from "../support/payments";

/**
 * Backups as the README tells an operator to take them: pg_dump -Fc and
 * pg_restore into a new database for PostgreSQL, a copy of the stopped data
 * directory (or PGlite's own dump) for PGlite. The restored database must
 * serve: its migrations recorded, the same records, the audit chain intact,
 * a bill found by its number.
 */

const env = demoEnv({});
const KEY_TABLES = ["bills", "payment_orders", "payment_events", "receipts", "write_off_notices", "audit_log", "staff"] as const;

/** A portal's database as it is after some use: demo data, staff (their grants audited), one bill paid through LINE Pay. */
async function usePortal(db: Database): Promise<void> {
  await seedDemoDataIfEmpty(db, { piiHmacKey: env.PII_HMAC_KEY, billsPerType: 2, residents: 2 });
  await seedDemoStaff(db);
  const world = await startPaymentWorld(db);
  try {
    const [bill] = await unpaidBills(db, "traffic-fine", 1);
    const created = await createPaymentOrder(world.ctx, { billIds: [bill!.id], tool: "line_pay", idempotencyKey: newKey() });
    if (created.kind !== "created") throw new Error(`order not created: ${created.kind}`);
    const started = await startPayment(world.ctx, created.order);
    if (started.kind !== "redirect") throw new Error(`expected a redirect, got ${started.kind}`);
    const paid = await followBack(world, await payerAtLinePay(started.url, "approve"));
    expect(paid?.state).toBe("paid");
  } finally {
    await world.close();
  }
}

/** What must survive a backup: the migrations applied, the rows of the key tables, the audit chain's head, one paid bill. */
async function snapshot(db: Database) {
  const counts: Record<string, number> = {};
  for (const table of KEY_TABLES) {
    const [row] = await selectRows<{ n: number }>(db, sql`select count(*)::int as n from ${sql.identifier(table)}`);
    counts[table] = Number(row!.n);
  }
  const [migrations] = await selectRows<{ n: number }>(db, sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
  const [paidBill] = await selectRows<{ bill_type_code: string; write_off_number: string }>(
    db,
    sql`select bill_type_code, write_off_number from bills where status = 'paid' order by id limit 1`,
  );
  return { counts, migrations: Number(migrations!.n), audit: await verifyAuditChain(db), paidBill: paidBill! };
}

async function expectServes(restored: DatabaseHandle, before: Awaited<ReturnType<typeof snapshot>>) {
  // The portal migrates at start: on a restored database there is nothing left to apply.
  await restored.migrate();
  const after = await snapshot(restored.db);
  expect(after).toEqual(before);
  expect(after.counts.receipts).toBe(1);
  expect(after.audit).toMatchObject({ ok: true, checked: after.counts.audit_log });
  expect(after.counts.audit_log).toBeGreaterThan(0);
  const bill = await findBill(restored.db, before.paidBill.bill_type_code, before.paidBill.write_off_number);
  expect(bill?.status).toBe("paid");
}

/** pg_dump and pg_restore from PATH, else Debian's versioned directory. */
function postgresTool(name: string): string {
  const onPath = process.env.PATH?.split(path.delimiter)
    .map((dir) => path.join(dir, name))
    .find((file) => existsSync(file));
  if (onPath) return onPath;
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const found = versions.map((version) => path.join(root, version, "bin", name)).find((file) => existsSync(file));
  if (!found) throw new Error(`${name} not found on PATH or under ${root}`);
  return found;
}

describe.runIf(process.env.TEST_DATABASE_URL)("backup and restore [postgres]", () => {
  const adminUrl = process.env.TEST_DATABASE_URL!;
  const suffix = randomBytes(6).toString("hex");
  const names = { live: `portal_backup_${suffix}`, restored: `portal_restored_${suffix}` };
  const urlOf = (name: string) => Object.assign(new URL(adminUrl), { pathname: `/${name}` }).toString();
  let admin: postgres.Sql;
  let work: string;

  beforeAll(async () => {
    admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    for (const name of Object.values(names)) await admin.unsafe(`create database "${name}"`);
    work = await mkdtemp(path.join(tmpdir(), "portal-backup-"));
  });
  afterAll(async () => {
    for (const name of Object.values(names)) await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end();
    await rm(work, { recursive: true, force: true });
  });

  it("dumps a live portal database with pg_dump -Fc and restores it with pg_restore into a new one that serves", async () => {
    const live = await openDatabase({ url: urlOf(names.live), poolSize: 4 });
    let before: Awaited<ReturnType<typeof snapshot>>;
    try {
      await live.migrate();
      await usePortal(live.db);
      before = await snapshot(live.db);
      // Taken while the portal's connections are open: pg_dump reads one consistent snapshot.
      execFileSync(postgresTool("pg_dump"), ["-Fc", "--no-owner", "-f", path.join(work, "portal.dump"), urlOf(names.live)]);
    } finally {
      await live.close();
    }
    execFileSync(postgresTool("pg_restore"), [
      "--clean",
      "--if-exists",
      "--no-owner",
      "-d",
      urlOf(names.restored),
      path.join(work, "portal.dump"),
    ]);

    const restored = await openDatabase({ url: urlOf(names.restored), poolSize: 2 });
    try {
      await expectServes(restored, before);
    } finally {
      await restored.close();
    }
  }, 120_000);
});

describe("backup and restore [pglite]", () => {
  let work: string;
  let before: Awaited<ReturnType<typeof snapshot>>;
  const dataDir = () => path.join(work, "data", "pglite");

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), "portal-backup-"));
    const live = await openDatabase({ pgliteDir: dataDir() });
    try {
      await live.migrate();
      await usePortal(live.db);
      before = await snapshot(live.db);
    } finally {
      // Stopped, as the README says: PGlite's files are consistent only once it has closed.
      await live.close();
    }
  }, 120_000);
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it("copies the stopped data directory, and the copy opens with the same data", async () => {
    const copy = path.join(work, "copy", "pglite");
    await cp(dataDir(), copy, { recursive: true });
    const restored = await openDatabase({ pgliteDir: copy });
    try {
      await expectServes(restored, before);
    } finally {
      await restored.close();
    }
  });

  it("dumps the data directory with PGlite's dumpDataDir and loads it into a new directory that opens with the same data", async () => {
    const source = await PGlite.create(dataDir());
    const dump = await source.dumpDataDir("gzip");
    await source.close();
    const file = path.join(work, "pglite.tar.gz");
    await writeFile(file, Buffer.from(await dump.arrayBuffer()));

    const target = path.join(work, "loaded", "pglite");
    await mkdir(path.dirname(target), { recursive: true });
    const loader = await PGlite.create(target, { loadDataDir: new Blob([await readFile(file)]) });
    await loader.close();
    const restored = await openDatabase({ pgliteDir: target });
    try {
      await expectServes(restored, before);
    } finally {
      await restored.close();
    }
  });
});
