import { recordAudit, verifyAuditChain } from "~/base/audit.server";
import type { DatabaseHandle } from "~/base/db.server";

/** Migrates a fresh database, writes `count` audit entries to it, closes it, and returns the chain's head. */
export async function databaseWithAuditEntries(
  open: () => Promise<DatabaseHandle>,
  count: number,
): Promise<{ headSeq: number; headHash: string }> {
  const handle = await open();
  try {
    await handle.migrate();
    for (let i = 0; i < count; i++) {
      await recordAudit(handle.db, {
        actorType: "staff",
        actorId: `s-${i}`,
        action: "staff.search",
        targetType: "payments",
        details: { i },
      });
    }
    const verified = await verifyAuditChain(handle.db);
    return { headSeq: verified.headSeq, headHash: verified.headHash };
  } finally {
    await handle.close();
  }
}
