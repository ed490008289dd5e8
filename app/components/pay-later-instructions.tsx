import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { formatDateTime, formatMoney } from "~/domain/format";
import type { PaymentInstructions } from "~/domain/payment-instructions";
import { DetailRow } from "./detail-row";

/** Banks whose virtual accounts ECPay issues, by their 3-digit code; others are shown by code alone. */
const KNOWN_BANKS = ["004", "007", "013", "700", "812", "822"] as const;
type KnownBank = (typeof KNOWN_BANKS)[number];
const isKnownBank = (code: string): code is KnownBank => (KNOWN_BANKS as readonly string[]).includes(code);

/** An account number in groups of four, read and typed at an ATM more easily ("9103 5221 7588 7271"). */
const grouped = (digits: string) => digits.replace(/(.{4})(?=.)/g, "$1 ");

/**
 * The instructions of a payment made later, as the payer needs them at the
 * ATM or the store: the account or code, the amount and the deadline in
 * Taiwan time, and the store barcodes drawn for the cashier's scanner with
 * their characters beside them. Printable.
 */
export function PayLaterInstructions({
  instructions,
  amount,
  barcodes,
}: {
  instructions: PaymentInstructions;
  amount: number;
  /** The store barcodes as image URLs, in order (store_barcode only). */
  barcodes: string[] | null;
}) {
  const { t, i18n } = useTranslation();
  // Printing needs scripts; without them the browser's own print command does the same.
  const [canPrint, setCanPrint] = useState(false);
  useEffect(() => setCanPrint(true), []);
  const locale = i18n.language;
  return (
    <section className="pay-later" aria-labelledby="pay-later-heading">
      <h2 id="pay-later-heading">{t(`payment.later.heading.${instructions.kind}`)}</h2>
      <dl className="bill-details">
        {instructions.kind === "atm" ? (
          <>
            <DetailRow label={t("payment.later.bankCode")}>
              <span className="identifier">{instructions.bankCode}</span>
              {isKnownBank(instructions.bankCode) ? ` ${t(`payment.later.banks.${instructions.bankCode}`)}` : null}
            </DetailRow>
            <DetailRow label={t("payment.later.account")} className="identifier">
              {grouped(instructions.account)}
            </DetailRow>
          </>
        ) : null}
        {instructions.kind === "store_code" ? (
          <DetailRow label={t("payment.later.code")} className="identifier">
            {instructions.code}
          </DetailRow>
        ) : null}
        <DetailRow label={t("payment.later.amount")} className="amount">
          {formatMoney(amount, locale)}
        </DetailRow>
        <DetailRow label={t("payment.later.deadline")}>
          {t("payment.later.deadlineAt", { time: formatDateTime(instructions.expiresAt, locale) })}
        </DetailRow>
      </dl>
      {instructions.kind === "store_barcode" ? (
        <ol className="slip-barcodes">
          {instructions.barcodes.map((text, i) => (
            <li key={text}>
              {barcodes?.[i] ? <img src={barcodes[i]} alt="" /> : null}
              <span className="identifier">{t("payment.later.barcode", { n: i + 1, text })}</span>
            </li>
          ))}
        </ol>
      ) : null}
      <p>{t(`payment.later.how.${instructions.kind}`)}</p>
      {canPrint ? (
        <p className="no-print">
          <button type="button" className="button button-secondary-dark" onClick={() => window.print()}>
            {t("payment.later.print")}
          </button>
        </p>
      ) : null}
    </section>
  );
}
