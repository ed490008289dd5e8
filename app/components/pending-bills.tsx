import { useTranslation } from "react-i18next";
import { formatDate, formatMoney, formatTime } from "~/domain/format";
import { localized } from "~/i18n";
import type { BillView } from "~/bills/bills.server";
import type { SourcePart } from "~/members/pending-bills.server";

export type SourcePartView = SourcePart;

/**
 * A member's pending bills for one binding (or their national ID), each with
 * a checkbox whose label says everything about it: type, number, amount, due
 * date and whether it is overdue. A list, not a table, so it reflows at 320 px.
 * All are ticked at first, as on the look-up results: the member unticks what
 * to leave for later. The checkboxes belong to the dashboard's form by its id,
 * for a source's part that, without JavaScript, arrives outside it.
 */
export function PendingBillList({ bills, groupId, checked }: { bills: BillView[]; groupId: string; checked: "ticked" | "unticked" }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  return (
    <ul className="pending-bills" aria-describedby={`${groupId}-heading`}>
      {bills.map((bill) => {
        const overdue = bill.status === "overdue";
        return (
          <li key={bill.id} className={overdue ? "pending-bill pending-bill-overdue" : "pending-bill"}>
            <input
              type="checkbox"
              id={`select-${bill.id}`}
              name="bill"
              value={bill.id}
              form="pay-form"
              defaultChecked={checked === "ticked"}
            />
            <label htmlFor={`select-${bill.id}`}>
              <span className="pending-bill-type">{localized({ nameZh: bill.billTypeNameZh, nameEn: bill.billTypeNameEn }, locale)}</span>{" "}
              <span className="amount">{formatMoney(bill.amount, locale)}</span>
              <span className="pending-bill-details">
                <span>
                  {t("bill.writeOffNumber")} <span className="identifier">{bill.writeOffNumber}</span>
                </span>
                <span>
                  {t("bill.dueDate")} {formatDate(bill.dueDate, locale)}
                </span>
                {overdue ? <strong className="status-tag status-overdue">{t("bill.status.overdue")}</strong> : null}
              </span>
            </label>
            {bill.status === "unpaid" ? (
              // The name begins with what the link shows (WCAG 2.5.3), then says which bill.
              <a href={`/bills/${bill.id}/slip`} className="pending-bill-slip">
                {t("bill.slipLink")}
                <span className="visually-hidden">{t("member.dashboard.slipFor", { number: bill.writeOffNumber })}</span>
              </a>
            ) : null}
          </li>
        );
      })}
    </ul>
  );
}

/** What became of the question to one source, and when its answer is from. */
export function SourceStatusText({ part }: { part: Pick<SourcePart, "source" | "state" | "answeredAt"> }) {
  const { t } = useTranslation();
  const source = t(`member.sources.${part.source}`);
  const time = part.answeredAt ? formatTime(part.answeredAt) : "";
  if (part.state === "answered") return <>{t("member.dashboard.sourceAnswered", { source, time })}</>;
  if (part.state === "cached") return <>{t("member.dashboard.sourceCached", { source, time })}</>;
  return (
    <>
      {part.answeredAt
        ? t("member.dashboard.sourceUnavailableSince", { source, time })
        : t("member.dashboard.sourceUnavailable", { source })}
    </>
  );
}
