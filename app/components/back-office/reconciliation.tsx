import type { TFunction } from "i18next";
import { useTranslation } from "react-i18next";
import { formatDateTime, formatMoney } from "~/domain/format";
import { RECONCILIATION_OUTCOMES, type ItemSide, type ReconciliationOutcome } from "~/domain/reconciliation";
import type { SettlementProblem } from "~/money/settlement-files";
import { StackedCell } from "../stacked-cell";

/** The column headers of a row of counts per outcome, matched first. */
export function OutcomeHeaders() {
  const { t } = useTranslation("backOffice");
  return (
    <>
      {RECONCILIATION_OUTCOMES.map((outcome) => (
        <th scope="col" className="numeric" key={outcome}>
          {t(`reconciliation.outcomes.${outcome}.short`)}
        </th>
      ))}
    </>
  );
}

export function ReconciliationOutcomeCells({ counts }: { counts: Record<ReconciliationOutcome, number> }) {
  const { t } = useTranslation("backOffice");
  return (
    <>
      {RECONCILIATION_OUTCOMES.map((outcome) => (
        <StackedCell key={outcome} label={t(`reconciliation.outcomes.${outcome}.short`)} className="numeric">
          {counts[outcome]}
        </StackedCell>
      ))}
    </>
  );
}

/** Why a settlement file was refused, in the staff member's words: what to fix, and where. */
export function fileProblemText(t: TFunction<"backOffice">, problem: SettlementProblem): string {
  switch (problem.code) {
    case "missing_columns":
      return t("reconciliation.fileProblems.missing_columns", { columns: problem.columns.join(t("reconciliation.listSeparator")) });
    case "not_a_file":
      return t("reconciliation.fileProblems.not_a_file", { sample: problem.sample });
    case "encoding":
    case "empty":
      return t(`reconciliation.fileProblems.${problem.code}`);
    default:
      return t(`reconciliation.fileProblems.${problem.code}`, problem);
  }
}

/** One side of an item (what the portal holds, or what the file says): the figures that were compared. */
export function ItemSideList({ side, empty }: { side: ItemSide; empty: string }) {
  const { t, i18n } = useTranslation("backOffice");
  const locale = i18n.language;
  if (side.merchantOrderNumber === undefined && side.amount === undefined) return <p>{empty}</p>;
  const rows: Array<[string, string]> = [];
  if (side.kind) rows.push([t("reconciliation.side.kind"), t(`reconciliation.kinds.${side.kind}`)]);
  if (side.merchantOrderNumber) rows.push([t("reconciliation.side.merchantOrderNumber"), side.merchantOrderNumber]);
  if (side.transactionId) rows.push([t("reconciliation.side.transactionId"), side.transactionId]);
  if (side.refundId) rows.push([t("reconciliation.side.refundId"), side.refundId]);
  if (side.refundNumber) rows.push([t("reconciliation.side.refundNumber"), side.refundNumber]);
  if (side.amount !== undefined) rows.push([t("reconciliation.side.amount"), formatMoney(side.amount, locale)]);
  if (side.fee !== undefined)
    rows.push([t("reconciliation.side.fee"), side.fee === null ? t("reconciliation.side.feeUnchecked") : formatMoney(side.fee, locale)]);
  if (side.at) rows.push([t("reconciliation.side.at"), formatDateTime(side.at, locale)]);
  if (side.state)
    rows.push([t("reconciliation.side.state"), t(`payments.states.${side.state}` as "payments.states.paid", { defaultValue: side.state })]);
  if (side.provider) rows.push([t("reconciliation.side.provider"), t(`payments.providers.${side.provider}`)]);
  return (
    <dl className="reconciliation-side">
      {rows.map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
