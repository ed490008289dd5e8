import type { TFunction } from "i18next";
import { formatDate, formatDateTime, formatMoney } from "~/domain/format";
import { statementJson, type StatementLine } from "~/domain/statement";
import { localized, type Locale } from "~/i18n";
import { getFixedT, getI18n } from "~/base/i18n.server";
import { spreadsheetCsvStream } from "~/payments/history-csv.server";
import { collectPdf, dataTable, detailsTable, endPdf, heading, newPage, newPdfDocument, paragraph, separator } from "~/payments/pdf.server";
import type { StoredStatement } from "./statements.server";

/**
 * A statement as the files staff download: the canonical JSON (what the
 * notice's sha256 is of, byte for byte), a CSV for spreadsheets and
 * accounting systems (docs/decisions/015's rules), and a tagged PDF/UA
 * document like the receipts, in the reader's language.
 */

type StatementFormat = "json" | "csv" | "pdf";

/** The statement as a file in a format, named by agency, day and version. */
export async function statementFile(
  statement: StoredStatement,
  format: StatementFormat,
  locale: Locale,
): Promise<{ body: BodyInit; contentType: string; fileName: string }> {
  const { agency, businessDate, version } = statement.document;
  const fileName = `statement-${agency}-${businessDate}-v${version}.${format}`;
  if (format === "json") return { body: statementJson(statement.document), contentType: "application/json; charset=utf-8", fileName };
  if (format === "csv") return { body: await statementCsv(statement, locale), contentType: "text/csv; charset=utf-8", fileName };
  return { body: new Uint8Array(await statementPdf(statement, locale)), contentType: "application/pdf", fileName };
}

async function translations(locale: Locale): Promise<{ t: TFunction<"backOffice">; common: TFunction }> {
  return { t: (await getI18n(locale)).getFixedT(locale, "backOffice"), common: await getFixedT(locale) };
}

function namesIn(statement: StoredStatement, locale: Locale) {
  return {
    agency: localized(statement.names.agency, locale),
    billType: (code: string) => {
      const names = statement.names.billTypes[code];
      return names ? localized(names, locale) : code;
    },
  };
}

const CSV_COLUMNS = [
  "businessDate",
  "agencyCode",
  "agency",
  "version",
  "billTypeCode",
  "billType",
  "paymentTool",
  "payments",
  "collected",
  "refunds",
  "refunded",
  "fees",
  "net",
  "reconciled",
] as const;
type CsvColumn = (typeof CSV_COLUMNS)[number];

/**
 * One row a line, then the total. Each row repeats the day, the agency, the
 * version and whether the day ties out with the settlement files, so a row
 * copied or imported alone still says what it is. Amounts are plain integers.
 */
async function statementCsv(statement: StoredStatement, locale: Locale): Promise<ReadableStream<Uint8Array>> {
  const { t, common } = await translations(locale);
  const names = namesIn(statement, locale);
  const { document } = statement;
  const row = (line: Omit<StatementLine, "billType" | "paymentTool">, billType: string, billTypeName: string, tool: string) =>
    ({
      businessDate: document.businessDate,
      agencyCode: document.agency,
      agency: names.agency,
      version: String(document.version),
      billTypeCode: billType,
      billType: billTypeName,
      paymentTool: tool,
      payments: String(line.payments),
      collected: String(line.collected),
      refunds: String(line.refunds),
      refunded: String(line.refunded),
      fees: String(line.fees),
      net: String(line.net),
      reconciled: document.reconciliation.tiesOut ? t("statements.tiesOut") : t("statements.differs"),
    }) satisfies Record<CsvColumn, string>;
  const total = {
    payments: document.lines.reduce((sum, line) => sum + line.payments, 0),
    refunds: document.lines.reduce((sum, line) => sum + line.refunds, 0),
    collected: document.collected,
    refunded: document.refunded,
    fees: document.fees,
    net: document.net,
  };
  const rows = [
    ...document.lines.map((line) => row(line, line.billType, names.billType(line.billType), common(`paymentTools.${line.paymentTool}`))),
    row(total, "", t("statements.csv.total"), ""),
  ];
  return spreadsheetCsvStream(
    rows,
    CSV_COLUMNS.map((key) => ({ key, header: t(`statements.csv.${key}`) })),
    new Set(),
  );
}

/** The document's title: also its Sect's and the title bar's. */
export async function statementPdfTitle(statement: StoredStatement, locale: Locale): Promise<string> {
  const { t } = await translations(locale);
  return t("statements.document.title", {
    agency: namesIn(statement, locale).agency,
    date: formatDate(statement.document.businessDate, locale),
  });
}

export async function statementPdf(statement: StoredStatement, locale: Locale): Promise<Buffer> {
  const { t, common } = await translations(locale);
  const names = namesIn(statement, locale);
  const { document } = statement;
  const { reconciliation } = document;
  const money = (amount: number) => formatMoney(amount, locale);
  const digits = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  const figure = (amount: number) => digits.format(amount);
  const title = await statementPdfTitle(statement, locale);

  const pdf = newPdfDocument({ title, subject: t("statements.document.subject"), author: common("site.fullName"), locale });
  const done = collectPdf(pdf.doc);
  const section = newPage(pdf, title);
  heading(pdf, section, 1, t("statements.document.heading"));
  paragraph(pdf, section, names.agency, { bold: true });
  paragraph(pdf, section, common("site.fullName"), { muted: true });
  separator(pdf);
  if (statement.supersededAt)
    paragraph(pdf, section, t("statements.document.superseded", { time: formatDateTime(statement.supersededAt, locale) }), { bold: true });
  const verdict = reconciliation.tiesOut ? t("statements.tiesOut") : t("statements.differs");
  detailsTable(pdf, section, [
    [t("statements.document.agency"), names.agency],
    [t("statements.document.businessDate"), formatDate(document.businessDate, locale)],
    [
      t("statements.document.version"),
      document.version > 1
        ? t("statements.document.versionCorrected", { version: document.version, previous: document.version - 1 })
        : t("statements.document.versionNumber", { version: document.version }),
    ],
    [t("statements.document.madeAt"), formatDateTime(statement.createdAt, locale)],
    [t("statements.document.collected"), money(document.collected)],
    [t("statements.document.refunded"), money(document.refunded)],
    [t("statements.document.fees"), money(document.fees)],
    [t("statements.document.net"), money(document.net)],
    [t("statements.document.reconciled"), verdict],
    [t("statements.document.sha256"), statement.sha256],
  ]);

  heading(pdf, section, 2, t("statements.document.linesHeading"));
  if (document.lines.length === 0) {
    paragraph(pdf, section, t("statements.document.noLines"));
  } else {
    paragraph(pdf, section, t("statements.document.amountsNote"), { size: 9.5, muted: true });
    dataTable(
      pdf,
      section,
      (["billType", "paymentTool", "payments", "collected", "refunds", "refunded", "fees", "net"] as const).map((column) =>
        t(`statements.document.columns.${column}`),
      ),
      [
        ...document.lines.map((line) => [
          names.billType(line.billType),
          common(`paymentTools.${line.paymentTool}`),
          figure(line.payments),
          figure(line.collected),
          figure(line.refunds),
          figure(line.refunded),
          figure(line.fees),
          figure(line.net),
        ]),
        [
          t("statements.document.total"),
          "",
          figure(document.lines.reduce((sum, line) => sum + line.payments, 0)),
          figure(document.collected),
          figure(document.lines.reduce((sum, line) => sum + line.refunds, 0)),
          figure(document.refunded),
          figure(document.fees),
          figure(document.net),
        ],
      ],
      ["*", 62, 48, 64, 48, 60, 52, 64],
    );
  }

  heading(pdf, section, 2, t("statements.document.reconciliationHeading"));
  paragraph(pdf, section, reconciliation.tiesOut ? t("statements.document.tiesOutText") : t("statements.document.differsText"));
  const { unattributed } = reconciliation;
  detailsTable(pdf, section, [
    [t("statements.document.settledCollected"), money(reconciliation.settledCollected)],
    [t("statements.document.settledRefunded"), money(reconciliation.settledRefunded)],
    [
      t("statements.document.missingFiles"),
      reconciliation.missingFiles.length
        ? reconciliation.missingFiles.map((provider) => t(`payments.providers.${provider}`)).join(common("listSeparator"))
        : t("statements.document.none"),
    ],
    [
      t("statements.document.unattributed"),
      unattributed.lines
        ? t("statements.document.unattributedValue", {
            count: unattributed.lines,
            collected: money(unattributed.collected),
            refunded: money(unattributed.refunded),
            fees: money(unattributed.fees),
          })
        : t("statements.document.none"),
    ],
  ]);
  section.end();
  endPdf(pdf);
  return done;
}
