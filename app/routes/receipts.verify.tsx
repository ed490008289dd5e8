import { json, type LoaderFunctionArgs } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { useTranslation } from "react-i18next";
import { ReceiptDetails } from "~/components/receipt-details";
import { receiptByNumber, verifyReceiptSignature } from "~/payments/receipts.server";
import type { RouteHandle } from "~/route-handle";
import { getDb } from "~/base/db.server";
import { getEnv } from "~/base/env.server";
import { routeHeaders } from "~/route-headers";

export const handle: RouteHandle = { pageTitle: (t) => t("receipt.verifyTitle") };
export const headers = routeHeaders;

/**
 * The page a receipt's QR code opens: anyone (an accounting office) can see
 * that the receipt was issued here and what it covers, masked as on the receipt.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const query = new URL(request.url).searchParams;
  const number = (query.get("n") ?? "").slice(0, 30);
  const signature = (query.get("s") ?? "").slice(0, 60);
  const genuine = verifyReceiptSignature(getEnv().RECEIPT_SECRET, number, signature);
  const receipt = genuine ? await receiptByNumber(getDb(), number) : null;
  return json({ receipt, number }, { status: receipt ? 200 : 404, headers: { "Cache-Control": "no-store" } });
}

export default function VerifyReceipt() {
  const { receipt, number } = useLoaderData<typeof loader>();
  const { t } = useTranslation();
  if (!receipt) {
    return (
      <div className="notice notice-warning">
        <h1>{t("receipt.notGenuineHeading")}</h1>
        <p>{t("receipt.notGenuineText", { number })}</p>
      </div>
    );
  }
  return (
    <>
      <div className="confirmation">
        <h1>{t("receipt.genuineHeading")}</h1>
        <p>{t(receipt.state === "refunded" ? "receipt.genuineRefunded" : "receipt.genuineText")}</p>
      </div>
      <ReceiptDetails receipt={receipt} />
    </>
  );
}
