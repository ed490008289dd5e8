import type { LoaderFunctionArgs } from "@remix-run/node";
import { historyCsvStream } from "~/payments/history-csv.server";
import { historyRequest } from "~/members/history-request.server";
import { memberHistoryBatches } from "~/payments/records.server";
import { getDb } from "~/base/db.server";
import { getFixedT, getLocale } from "~/base/i18n.server";

/** The member's filtered history as CSV, streamed a batch of rows at a time. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const { session, owner, filters } = await historyRequest(request);
  const locale = await getLocale(request);
  const t = await getFixedT(locale);
  context.logger.info({ memberId: session.member.id, filters }, "payment history exported");
  const day = new Date().toISOString().slice(0, 10);
  return new Response(historyCsvStream(memberHistoryBatches(getDb(), owner, filters), t, locale), {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="payment-history-${day}.csv"`,
      "Cache-Control": "private, no-store",
    },
  });
}
