import { taipeiDate } from "~/domain/dates";
import type { PaymentProvider } from "~/domain/payment-order";
import type { SettlementLine, SettlementLineKind } from "~/domain/reconciliation";

/**
 * Reading providers' settlement files (對帳檔): the bytes as text, the text as
 * CSV, the CSV as settlement lines. Pure functions, no server: a file is read
 * whole or refused with the first problem found, never half-read.
 *
 * Two formats (docs/decisions/020):
 * - ECPay's merchant reconciliation media file (下載特店對帳媒體檔,
 *   `/PaymentMedia/TradeNoAio`, new format): Chinese column names, cells
 *   ECPay writes as ="…" so spreadsheets keep long numbers as text, a refund
 *   as a line of its own with a negative amount. Columns are found by name
 *   (ECPay's older names too), so order and extra columns do not matter.
 * - LINE Pay's settlement report as the merchant center downloads it
 *   (LINE Pay has no download API): English column names, 19-digit
 *   transaction numbers that must stay text, a refund as a REFUND line
 *   naming the payment it refunds.
 */

/** Why a file was refused; the back office words each code. Rows count from 1, the header's. */
export type SettlementProblem =
  | { code: "encoding" }
  | { code: "empty" }
  | { code: "not_a_file"; sample: string }
  | { code: "unclosed_quote"; row: number }
  | { code: "missing_columns"; columns: string[] }
  | { code: "column_count"; row: number; expected: number; found: number }
  | { code: "bad_value"; row: number; column: string; value: string }
  | { code: "mangled_number"; row: number; column: string; value: string }
  | { code: "inconsistent_payout"; row: number }
  | { code: "other_day"; row: number; date: string };

export type SettlementParse = { ok: true; lines: SettlementLine[]; skipped: number } | { ok: false; problem: SettlementProblem };

/**
 * Bytes as a provider or a spreadsheet wrote them: UTF-8 (with or without a
 * byte-order mark), else Big5, the encoding ECPay's merchant back office and
 * older Excel exports use for Chinese. A file valid in neither is refused.
 * The portal asks ECPay for UTF-8 (CharSet=2); Big5 is for files staff upload.
 */
export function decodeSettlementBytes(bytes: Uint8Array): { ok: true; text: string } | { ok: false; problem: SettlementProblem } {
  const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  try {
    return { ok: true, text: new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(body) };
  } catch {
    const text = big5Text(body);
    return text === null ? { ok: false, problem: { code: "encoding" } } : { ok: true, text };
  }
}

/**
 * Big5, checked byte by byte: the platform's decoder drops some bytes it
 * cannot map instead of refusing them, and a file must never lose a digit
 * unnoticed. Every character is one ASCII byte or one lead and trail byte.
 */
function big5Text(bytes: Uint8Array): string | null {
  let characters = 0;
  for (let i = 0; i < bytes.length; i++, characters++) {
    const byte = bytes[i]!;
    if (byte < 0x80) continue;
    const trail = bytes[i + 1] ?? 0;
    if (byte < 0x81 || byte > 0xfe || !((trail >= 0x40 && trail <= 0x7e) || (trail >= 0xa1 && trail <= 0xfe))) return null;
    i++;
  }
  let text: string;
  try {
    text = new TextDecoder("big5", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
  return text.includes("\uFFFD") || [...text].length !== characters ? null : text;
}

/**
 * RFC 4180 CSV: CRLF or LF, quoted fields with "" for a quote and line
 * breaks inside, a leading byte-order mark dropped. A quote inside an
 * unquoted field is kept as it is (ECPay's ="…"). Rows with no text at all
 * are dropped.
 */
export function readCsv(
  text: string,
): { ok: true; rows: Array<{ row: number; cells: string[] }> } | { ok: false; problem: SettlementProblem } {
  const source = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const rows: Array<{ row: number; cells: string[] }> = [];
  let cells: string[] = [];
  let cell = "";
  let row = 1;
  let i = 0;
  const endRow = () => {
    cells.push(cell);
    if (cells.some((value) => value.trim() !== "")) rows.push({ row, cells });
    cells = [];
    cell = "";
    row++;
  };
  while (i < source.length) {
    const char = source[i]!;
    if (char === '"' && cell === "") {
      // A quoted field: up to the closing quote, "" standing for one quote.
      let j = i + 1;
      for (;;) {
        const close = source.indexOf('"', j);
        if (close === -1) return { ok: false, problem: { code: "unclosed_quote", row } };
        if (source[close + 1] === '"') {
          cell += source.slice(j, close + 1);
          j = close + 2;
          continue;
        }
        cell += source.slice(j, close);
        i = close + 1;
        break;
      }
      continue;
    }
    if (char === ",") {
      cells.push(cell);
      cell = "";
    } else if (char === "\n" || char === "\r") {
      endRow();
      if (char === "\r" && source[i + 1] === "\n") i++;
    } else {
      cell += char;
    }
    i++;
  }
  if (cell !== "" || cells.length > 0) endRow();
  return { ok: true, rows };
}

/** A cell's value: trimmed, and ECPay's ="…" (text for spreadsheets) unwrapped. */
function cellValue(value: string): string {
  const trimmed = value.trim();
  const wrapped = /^="(.*)"$/s.exec(trimmed);
  return (wrapped ? wrapped[1]! : trimmed).trim();
}

/** Whole NT dollars as a file writes them: "1234", "-1,234", "1234.00". */
function wholeDollars(value: string): number | null {
  if (!/^-?(\d{1,3}(,\d{3})+|\d+)(\.0+)?$/.test(value)) return null;
  const amount = Number(value.replace(/,/g, "").replace(/\.0+$/, ""));
  return Number.isSafeInteger(amount) ? amount : null;
}

/** A spreadsheet that took a long number for a number writes it so: the digits are lost. */
const looksMangled = (value: string) => /^\d(\.\d+)?E\+\d+$/i.test(value) || /^\d+\.\d+$/.test(value);

/** "2026/12/01 14:03:22" or "2026-12-01 14:03:22" (Taiwan time), or ISO 8601 with an offset. */
function taiwanMoment(value: string): Date | null {
  const local = /^(\d{4})[-/](\d{2})[-/](\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value);
  const text = local
    ? `${local[1]}-${local[2]}-${local[3]}T${local[4]}:${local[5]}:${local[6] ?? "00"}+08:00`
    : /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)$/.test(value)
      ? value
      : null;
  if (!text) return null;
  const moment = new Date(text);
  return Number.isNaN(moment.getTime()) ? null : moment;
}

interface ColumnSpec<Name extends string> {
  /** The name the provider's file uses today, then older or alternative names. */
  names: Record<Name, readonly string[]>;
  required: readonly Name[];
}

type Located<Name extends string> =
  { ok: true; index: Partial<Record<Name, number>>; header: string[] } | { ok: false; problem: SettlementProblem };

function locateColumns<Name extends string>(header: string[], spec: ColumnSpec<Name>): Located<Name> {
  const names = header.map(cellValue);
  const index: Partial<Record<Name, number>> = {};
  for (const [column, candidates] of Object.entries(spec.names) as Array<[Name, readonly string[]]>) {
    const at = names.findIndex((name) => candidates.includes(name));
    if (at !== -1) index[column] = at;
  }
  const missing = spec.required.filter((column) => index[column] === undefined).map((column) => spec.names[column][0]!);
  if (missing.length > 0) return { ok: false, problem: { code: "missing_columns", columns: missing } };
  return { ok: true, index, header: names };
}

/** A line as the format reads it, or a problem, or null for a row that is no settlement (an unpaid order). */
type RowReader<Name extends string> = (
  get: (column: Name) => string,
  row: number,
) => { line: Omit<SettlementLine, "lineNumber" | "raw"> } | { problem: SettlementProblem } | null;

function parseRows<Name extends string>(
  text: string,
  businessDate: string,
  spec: ColumnSpec<Name>,
  read: RowReader<Name>,
): SettlementParse {
  const csv = readCsv(text);
  if (!csv.ok) return csv;
  const [header, ...rows] = csv.rows;
  if (!header) return { ok: false, problem: { code: "empty" } };
  const located = locateColumns(header.cells, spec);
  if (!located.ok) {
    // One short line that is not a header: a provider's message in place of the file.
    if (csv.rows.length === 1 && header.cells.length === 1)
      return { ok: false, problem: { code: "not_a_file", sample: text.trim().slice(0, 200) } };
    return located;
  }
  const width = located.header.length;
  const lines: SettlementLine[] = [];
  let skipped = 0;
  for (const { row, cells } of rows) {
    // A trailing comma gives an empty extra cell; anything more is another shape of row.
    if (cells.length < width || cells.slice(width).some((extra) => extra.trim() !== "")) {
      return { ok: false, problem: { code: "column_count", row, expected: width, found: cells.length } };
    }
    const values = cells.slice(0, width).map(cellValue);
    const read_ = read((column) => {
      const at = located.index[column];
      return at === undefined ? "" : values[at]!;
    }, row);
    if (read_ === null) {
      skipped++;
      continue;
    }
    if ("problem" in read_) return { ok: false, problem: read_.problem };
    const day = taipeiDate(read_.line.occurredAt);
    if (day !== businessDate) return { ok: false, problem: { code: "other_day", row, date: day } };
    lines.push({ ...read_.line, lineNumber: row, raw: Object.fromEntries(located.header.map((name, at) => [name, values[at]!])) });
  }
  return { ok: true, lines, skipped };
}

const bad = (row: number, column: string, value: string) => ({
  problem: { code: "bad_value" as const, row, column, value: value.slice(0, 60) },
});

// ---- ECPay ------------------------------------------------------------------

/** The columns of ECPay's media file the portal reads (the sandbox writes these and a few more). */
export const ECPAY_MEDIA_COLUMNS = {
  orderDate: "訂單日期",
  paidAt: "付款日期",
  merchantOrderNumber: "特店訂單編號",
  tradeNo: "綠界交易編號",
  paymentType: "付款方式",
  status: "交易狀態",
  amount: "交易金額",
  fee: "交易手續費",
  payout: "撥款金額",
  itemName: "商品名稱",
  remark: "備註",
} as const;
type EcpayColumn = keyof typeof ECPAY_MEDIA_COLUMNS;

/** 交易狀態 of a line: paid and refunded lines are settlements; unpaid or failed orders in the file are not. */
export const ECPAY_MEDIA_STATUS = { paid: "已付款", refunded: "退款" } as const;
const ECPAY_KINDS: Record<string, SettlementLineKind | null> = {
  已付款: "payment",
  付款成功: "payment",
  退款: "refund",
  已退款: "refund",
  未付款: null,
  付款失敗: null,
  交易失敗: null,
};

const ECPAY_SPEC: ColumnSpec<EcpayColumn> = {
  names: {
    orderDate: [ECPAY_MEDIA_COLUMNS.orderDate],
    paidAt: [ECPAY_MEDIA_COLUMNS.paidAt],
    merchantOrderNumber: [ECPAY_MEDIA_COLUMNS.merchantOrderNumber, "廠商訂單編號"],
    tradeNo: [ECPAY_MEDIA_COLUMNS.tradeNo, "綠界訂單編號"],
    paymentType: [ECPAY_MEDIA_COLUMNS.paymentType],
    status: [ECPAY_MEDIA_COLUMNS.status, "付款狀態"],
    amount: [ECPAY_MEDIA_COLUMNS.amount],
    fee: [ECPAY_MEDIA_COLUMNS.fee, "手續費"],
    payout: [ECPAY_MEDIA_COLUMNS.payout],
    itemName: [ECPAY_MEDIA_COLUMNS.itemName],
    remark: [ECPAY_MEDIA_COLUMNS.remark],
  },
  required: ["paidAt", "merchantOrderNumber", "tradeNo", "status", "amount", "fee"],
};

const readEcpayRow: RowReader<EcpayColumn> = (get, row) => {
  const c = ECPAY_MEDIA_COLUMNS;
  const status = get("status");
  const kind = ECPAY_KINDS[status];
  if (kind === undefined) return bad(row, c.status, status);
  if (kind === null) return null;
  const merchantOrderNumber = get("merchantOrderNumber");
  if (!/^[0-9A-Za-z_-]{1,64}$/.test(merchantOrderNumber)) return bad(row, c.merchantOrderNumber, merchantOrderNumber);
  const tradeNo = get("tradeNo");
  if (looksMangled(tradeNo)) return { problem: { code: "mangled_number", row, column: c.tradeNo, value: tradeNo } };
  if (!/^[0-9A-Za-z]{1,40}$/.test(tradeNo)) return bad(row, c.tradeNo, tradeNo);
  const occurredAt = taiwanMoment(get("paidAt"));
  if (!occurredAt) return bad(row, c.paidAt, get("paidAt"));
  const signed = wholeDollars(get("amount"));
  if (signed === null || signed === 0 || (kind === "payment" && signed < 0)) return bad(row, c.amount, get("amount"));
  const fee = wholeDollars(get("fee"));
  if (fee === null || (kind === "payment" && fee < 0)) return bad(row, c.fee, get("fee"));
  const payoutText = get("payout");
  if (payoutText !== "") {
    const payout = wholeDollars(payoutText);
    if (payout === null) return bad(row, c.payout, payoutText);
    // 撥款金額 is what reaches the merchant: the amount (negative for a refund) less the fee.
    if (payout !== signed - fee) return { problem: { code: "inconsistent_payout", row } };
  }
  return {
    line: { kind, merchantOrderNumber, providerTransactionId: tradeNo, providerRefundId: null, amount: Math.abs(signed), fee, occurredAt },
  };
};

// ---- LINE Pay ---------------------------------------------------------------

/** The columns of LINE Pay's settlement report as the merchant center writes them. */
export const LINE_PAY_REPORT_COLUMNS = {
  date: "Transaction Date",
  type: "Transaction Type",
  transactionId: "Transaction ID",
  originalTransactionId: "Original Transaction ID",
  orderId: "Order ID",
  method: "Payment Method",
  currency: "Currency",
  amount: "Amount",
  fee: "Fee",
  settlement: "Settlement Amount",
} as const;
type LinePayColumn = keyof typeof LINE_PAY_REPORT_COLUMNS;

const LINE_PAY_SPEC: ColumnSpec<LinePayColumn> = {
  names: Object.fromEntries(Object.entries(LINE_PAY_REPORT_COLUMNS).map(([key, name]) => [key, [name]])) as unknown as Record<
    LinePayColumn,
    readonly string[]
  >,
  required: ["date", "type", "transactionId", "originalTransactionId", "orderId", "amount", "fee"],
};

const readLinePayRow: RowReader<LinePayColumn> = (get, row) => {
  const c = LINE_PAY_REPORT_COLUMNS;
  const type = get("type").toUpperCase();
  const kind: SettlementLineKind | undefined = type === "PAYMENT" ? "payment" : type === "REFUND" ? "refund" : undefined;
  if (!kind) return bad(row, c.type, get("type"));
  for (const column of ["transactionId", "originalTransactionId"] as const) {
    const value = get(column);
    if (looksMangled(value)) return { problem: { code: "mangled_number", row, column: c[column], value } };
  }
  const transactionId = get("transactionId");
  if (!/^\d{1,20}$/.test(transactionId)) return bad(row, c.transactionId, transactionId);
  const original = get("originalTransactionId");
  if (kind === "refund" ? !/^\d{1,20}$/.test(original) : original !== "") return bad(row, c.originalTransactionId, original);
  const merchantOrderNumber = get("orderId");
  if (!/^[0-9A-Za-z_-]{1,64}$/.test(merchantOrderNumber)) return bad(row, c.orderId, merchantOrderNumber);
  const currency = get("currency");
  if (currency !== "" && currency !== "TWD") return bad(row, c.currency, currency);
  const occurredAt = taiwanMoment(get("date"));
  if (!occurredAt) return bad(row, c.date, get("date"));
  const signed = wholeDollars(get("amount"));
  if (signed === null || signed === 0 || (kind === "payment" && signed < 0)) return bad(row, c.amount, get("amount"));
  const fee = wholeDollars(get("fee"));
  if (fee === null || (kind === "payment" && fee < 0)) return bad(row, c.fee, get("fee"));
  const settlementText = get("settlement");
  if (settlementText !== "") {
    const settlement = wholeDollars(settlementText);
    if (settlement === null) return bad(row, c.settlement, settlementText);
    if (settlement !== signed - fee) return { problem: { code: "inconsistent_payout", row } };
  }
  return {
    line: {
      kind,
      merchantOrderNumber,
      providerTransactionId: kind === "refund" ? original : transactionId,
      providerRefundId: kind === "refund" ? transactionId : null,
      amount: Math.abs(signed),
      fee,
      occurredAt,
    },
  };
};

/** A provider's settlement file for `businessDate` (a Taiwan date), read whole. */
export function parseSettlementFile(provider: PaymentProvider, text: string, businessDate: string): SettlementParse {
  return provider === "ecpay"
    ? parseRows(text, businessDate, ECPAY_SPEC, readEcpayRow)
    : parseRows(text, businessDate, LINE_PAY_SPEC, readLinePayRow);
}
