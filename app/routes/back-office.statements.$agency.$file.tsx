import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { actingForIn, allows } from "~/domain/staff";
import { auditStaffAct, requireStaff } from "~/back-office/staff-request.server";
import { getDb } from "~/base/db.server";
import { getLocale } from "~/base/i18n.server";
import { statementFile } from "~/money/statement-documents.server";
import { findStatement } from "~/money/statements.server";
import { isCalendarDate } from "~/payments/records.server";

/**
 * A statement to download: /back-office/statements/<agency>/<day>.<json|csv|pdf>,
 * the one in force or `?version=`. Another agency's statement, or one that
 * does not exist, is a 404; every download is audited.
 */
const address = z.object({
  agency: z.string().regex(/^[a-z][a-z0-9-]{1,31}$/),
  file: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}\.(json|csv|pdf)$/)
    .refine((file) => isCalendarDate(file.slice(0, 10))),
  version: z.coerce.number().int().min(1).max(9999).nullable(),
});

const notFound = () => new Response("Not found", { status: 404, headers: { "Cache-Control": "no-store" } });

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const staff = await requireStaff(request, context, { permission: "statements.view" });
  const parsed = address.safeParse({ ...params, version: new URL(request.url).searchParams.get("version") || null });
  if (!parsed.success || !allows(staff.roles, "statements.view", parsed.data.agency)) throw notFound();
  const { agency, file, version } = parsed.data;
  const [businessDate, format] = [file.slice(0, 10), file.slice(11) as "json" | "csv" | "pdf"];
  const statement = await findStatement(getDb(), agency, businessDate, version);
  if (!statement) throw notFound();
  await auditStaffAct(staff, {
    action: "statement.downloaded",
    targetType: "agency_statement",
    targetId: statement.id,
    actingFor: actingForIn(staff.roles, "statements.view", agency),
    details: { agency, businessDate, version: statement.document.version, format },
  });
  const { body, contentType, fileName } = await statementFile(statement, format, await getLocale(request));
  return new Response(body, {
    headers: {
      "Content-Type": contentType,
      "Content-Disposition": `attachment; filename="${fileName}"`,
      "Cache-Control": "private, no-store",
    },
  });
}
