import { createHash } from "node:crypto";
import { and, asc, eq, gt } from "drizzle-orm";
import { statementJson } from "~/domain/statement";
import { findStatement } from "~/money/statements.server";
import { schema } from "~/base/db.server";
import type { AgencyCaller } from "./auth.server";
import { problem, type AgencyApiContext, type Answer } from "./calls.server";
import type { feedQuerySchema, statementQuerySchema } from "./contract.server";
import type { z } from "zod";

/**
 * What the portal tells an agency, for reading rather than receiving: its
 * write-off notices in feed order (the same bodies the webhooks carry), and
 * a day's statement as the canonical JSON the back office offers.
 */

export async function listNotices(ctx: AgencyApiContext, caller: AgencyCaller, query: z.infer<typeof feedQuerySchema>): Promise<Answer> {
  const rows = await ctx.db
    .select({
      id: schema.writeOffNotices.id,
      kind: schema.writeOffNotices.kind,
      feedSeq: schema.writeOffNotices.feedSeq,
      createdAt: schema.writeOffNotices.createdAt,
      payload: schema.writeOffNotices.payload,
    })
    .from(schema.writeOffNotices)
    .where(and(eq(schema.writeOffNotices.agencyCode, caller.agencyCode), gt(schema.writeOffNotices.feedSeq, query.after)))
    .orderBy(asc(schema.writeOffNotices.feedSeq))
    // One more than asked: whether there is a next page, without a count.
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  return {
    status: 200,
    body: {
      notices: page.map((row) => ({
        noticeId: row.id,
        kind: row.kind,
        feedSeq: row.feedSeq,
        createdAt: row.createdAt.toISOString(),
        // The webhook's body, as deliver() in write-off-notices.server.ts sends it.
        notice: { noticeId: row.id, ...(row.payload as object) },
      })),
      nextCursor: page.at(-1)?.feedSeq ?? query.after,
      hasMore: rows.length > query.limit,
    },
  };
}

export async function readStatement(
  ctx: AgencyApiContext,
  caller: AgencyCaller,
  businessDate: string,
  query: z.infer<typeof statementQuerySchema>,
): Promise<Answer> {
  const statement = await findStatement(ctx.db, caller.agencyCode, businessDate, query.version ?? null);
  if (!statement) {
    return problem(
      404,
      "not_found",
      `You have no statement of ${businessDate}${query.version ? ` version ${query.version}` : ""} (yet): a day's statement is made once the day is reconciled, usually the next morning.`,
    );
  }
  const body = statementJson(statement.document);
  const digest = createHash("sha256").update(body).digest();
  return new Response(body, {
    status: 200,
    headers: {
      "Content-Type": "application/json; charset=utf-8",
      "Cache-Control": "no-store",
      "Repr-Digest": `sha-256=:${digest.toString("base64")}:`,
      "X-Statement-Sha256": digest.toString("hex"),
    },
  });
}
