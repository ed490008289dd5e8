import { useTranslation } from "react-i18next";
import { formatDate, formatMoney } from "~/domain/format";
import { localized } from "~/i18n";
import type { BillView } from "~/bills/bills.server";

/**
 * A member's pending bills for one binding (or their national ID), each with
 * a checkbox whose label says everything about it: type, number, amount, due
 * date and whether it is overdue. A list, not a table, so it reflows at 320 px.
 * Nothing is selected at first: the member chooses what to pay now.
 */
export function PendingBillList({ bills, groupId }: { bills: BillView[]; groupId: string }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.language;
  return (
    <ul className="pending-bills" aria-describedby={`${groupId}-heading`}>
      {bills.map((bill) => {
        const overdue = bill.status === "overdue";
        return (
          <li key={bill.id} className={overdue ? "pending-bill pending-bill-overdue" : "pending-bill"}>
            <input type="checkbox" id={`select-${bill.id}`} name="bill" value={bill.id} />
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
