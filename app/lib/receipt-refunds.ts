import type { TFunction } from "i18next";
import { formatMoney } from "~/domain/format";

/**
 * What a receipt says of refunds above its details, on the page and in the
 * PDF alike: refunded in full (it no longer shows the bills paid), in part
 * (the rest stays paid), and whether a refund is under way.
 */
export function receiptRefundNotices(
  receipt: { state: string; refundedAmount: number; refundUnderWay: boolean },
  t: TFunction,
  locale: string,
): string[] {
  const notices: string[] = [];
  if (receipt.state === "refunded") notices.push(t("receipt.refundedNotice"));
  else if (receipt.refundedAmount > 0)
    notices.push(t("receipt.partlyRefundedNotice", { amount: formatMoney(receipt.refundedAmount, locale) }));
  if (receipt.refundUnderWay) notices.push(t("receipt.refundUnderWay"));
  return notices;
}
