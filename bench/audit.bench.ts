import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { sql } from "drizzle-orm";
import { it } from "vitest";
import { recordAudit, verifyAuditChain } from "~/base/audit.server";
import { TEST_DATABASES } from "../tests/support/databases";
import { measure, type Measured } from "./measure";

/**
 * What the audit chain costs (docs/decisions/019): entries appended through
 * the chain trigger (a lock, the previous entry, SHA-256), ten writers at a
 * time, against the same rows inserted into a plain table with no trigger in
 * the same run (the baseline), and the whole chain verified in Node.
 * Figures go to bench/results/audit-<database>.json.
 */
const COUNT = Number(process.env.BENCH_AUDIT_COUNT ?? 2000);
const CONCURRENCY = 10;

for (const kind of TEST_DATABASES)
  it(`audit chain on ${kind.name}`, async () => {
    const created = await kind.create();
    const db = created.handle.db;
    try {
      await db.execute(sql`create table bench_plain_log (id bigserial primary key, occurred_at timestamptz not null default now(),
        actor_type text not null, actor_id text, action text not null, target_type text not null, target_id text, details jsonb not null)`);
      const details = (i: number) => ({ filters: { writeOffNumber: `11514${String(i).padStart(8, "0")}` }, shown: i % 50 });
      const plain = await measure(COUNT, CONCURRENCY, async (i) => {
        await db.execute(
          sql`insert into bench_plain_log (actor_type, actor_id, action, target_type, target_id, details)
              values ('staff', ${`s-${i % 7}`}, 'staff.payments_searched', 'payments', null, ${JSON.stringify(details(i))}::jsonb)`,
        );
      });
      const chained = await measure(COUNT, CONCURRENCY, async (i) => {
        await recordAudit(db, {
          actorType: "staff",
          actorId: `s-${i % 7}`,
          action: "staff.payments_searched",
          targetType: "payments",
          details: details(i),
        });
      });
      const started = performance.now();
      const verification = await verifyAuditChain(db);
      const verifySeconds = (performance.now() - started) / 1000;
      if (!verification.ok || verification.checked !== COUNT) throw new Error(`chain did not verify: ${JSON.stringify(verification)}`);
      const ratio = (m: Measured) => Math.round((m.perSecond / plain.perSecond) * 1000) / 1000;
      const result = {
        database: kind.name,
        plainInserts: plain,
        chainedAppends: { ...chained, vsPlain: ratio(chained) },
        verify: { entries: verification.checked, perSecond: Math.round(verification.checked / verifySeconds) },
      };
      await mkdir(path.resolve("bench/results"), { recursive: true });
      await writeFile(path.resolve(`bench/results/audit-${kind.name}.json`), JSON.stringify(result, null, 2));
      console.log(
        `AUDITBENCH ${kind.name}: plain ${plain.perSecond}/s (p99 ${plain.latencyMs.p99} ms), chained ${chained.perSecond}/s (p99 ${chained.latencyMs.p99} ms) ×${ratio(chained)}, verify ${result.verify.perSecond} entries/s`,
      );
    } finally {
      await created.dispose();
    }
  });
