import { describe, expect, it } from "vitest";
import { decodeSettlementBytes, parseSettlementFile, readCsv } from "./settlement-files";

const LINE_PAY_HEADER =
  "Transaction Date,Transaction Type,Transaction ID,Original Transaction ID,Order ID,Payment Method,Currency,Amount,Fee,Settlement Amount";

/** A report as LINE Pay's merchant center writes it: byte-order mark, CRLF. */
const linePayReport = (...rows: string[]) => `\uFEFF${[LINE_PAY_HEADER, ...rows].join("\r\n")}\r\n`;

const ECPAY_HEADER = "訂單日期,付款日期,特店訂單編號,綠界交易編號,付款方式,交易狀態,交易金額,交易手續費,撥款金額,商品名稱,備註";
const ecpayFile = (...rows: string[]) => `${[ECPAY_HEADER, ...rows].join("\r\n")}\r\n`;

/** Big5 bytes of a text: the encoder built from the platform's Big5 decoder (Node has no Big5 encoder). */
function big5(text: string): Uint8Array {
  const decoder = new TextDecoder("big5");
  const table = new Map<string, number[]>();
  for (let lead = 0x81; lead <= 0xfe; lead++) {
    for (const trail of [...Array.from({ length: 0x3f }, (_, i) => 0x40 + i), ...Array.from({ length: 0x5e }, (_, i) => 0xa1 + i)]) {
      const char = decoder.decode(new Uint8Array([lead, trail]));
      if (char.length === 1 && char !== "\uFFFD" && !table.has(char)) table.set(char, [lead, trail]);
    }
  }
  return new Uint8Array(
    [...text].flatMap((char) => {
      if (char.charCodeAt(0) < 0x80) return [char.charCodeAt(0)];
      const bytes = table.get(char);
      if (!bytes) throw new Error(`no Big5 for ${char}`);
      return bytes;
    }),
  );
}

describe("reading CSV", () => {
  it("reads quoted fields with commas, doubled quotes and line breaks, CRLF or LF, and drops blank rows", () => {
    const read = readCsv('a,b,c\r\n"x, y","say ""hi""","two\r\nlines"\n\n,,\nlast,,\n');
    expect(read).toEqual({
      ok: true,
      rows: [
        { row: 1, cells: ["a", "b", "c"] },
        { row: 2, cells: ["x, y", 'say "hi"', "two\r\nlines"] },
        { row: 5, cells: ["last", "", ""] },
      ],
    });
  });

  it("refuses a quoted field that is never closed, naming its row", () => {
    expect(readCsv('a,b\n1,2\n3,"never closed\n4,5\n')).toEqual({ ok: false, problem: { code: "unclosed_quote", row: 3 } });
  });
});

describe("decoding a settlement file's bytes", () => {
  it("takes UTF-8 with or without a byte-order mark, and Big5", () => {
    const text = "付款日期,特店訂單編號\r\n";
    expect(decodeSettlementBytes(new TextEncoder().encode(`\uFEFF${text}`))).toEqual({ ok: true, text });
    expect(decodeSettlementBytes(new TextEncoder().encode(text))).toEqual({ ok: true, text });
    expect(decodeSettlementBytes(big5(text))).toEqual({ ok: true, text });
  });

  it("refuses bytes that are neither UTF-8 nor Big5", () => {
    for (const bytes of [
      [0x41, 0xff, 0xff, 0x0a],
      [0x41, 0x80, 0x0a],
      // A lead byte without its trail byte.
      [0x41, 0xa4, 0x20, 0x0a],
      [0xa4, 0x40, 0xa4],
    ])
      expect(decodeSettlementBytes(new Uint8Array(bytes)), bytes.join(" ")).toEqual({ ok: false, problem: { code: "encoding" } });
  });
});

describe("LINE Pay's settlement report", () => {
  it("reads payments and refunds, keeping 19-digit transaction numbers exactly", () => {
    const parsed = parseSettlementFile(
      "line_pay",
      linePayReport(
        "2026-12-01 09:15:02,PAYMENT,2026999999999999999,,PO20261201ABCDEF01,BALANCE,TWD,1800,40,1760",
        '2026-12-01 17:40:00,REFUND,2026888888888888888,2026777777777777777,PO20261120ABCDEF09,BALANCE,TWD,"-1,200",0,"-1,200"',
      ),
      "2026-12-01",
    );
    expect(parsed).toEqual({
      ok: true,
      skipped: 0,
      lines: [
        {
          lineNumber: 2,
          kind: "payment",
          merchantOrderNumber: "PO20261201ABCDEF01",
          providerTransactionId: "2026999999999999999",
          providerRefundId: null,
          amount: 1800,
          fee: 40,
          occurredAt: new Date("2026-12-01T09:15:02+08:00"),
          raw: expect.objectContaining({ "Transaction ID": "2026999999999999999", "Settlement Amount": "1760" }),
        },
        {
          lineNumber: 3,
          kind: "refund",
          merchantOrderNumber: "PO20261120ABCDEF09",
          providerTransactionId: "2026777777777777777",
          providerRefundId: "2026888888888888888",
          amount: 1200,
          fee: 0,
          occurredAt: new Date("2026-12-01T17:40:00+08:00"),
          raw: expect.objectContaining({ Amount: "-1,200" }),
        },
      ],
    });
  });

  it("reads an empty day, and columns in any order", () => {
    expect(parseSettlementFile("line_pay", linePayReport(), "2026-12-01")).toEqual({ ok: true, lines: [], skipped: 0 });
    const reordered = [
      "Order ID,Amount,Fee,Transaction Type,Transaction ID,Original Transaction ID,Transaction Date",
      "PO20261201ABCDEF01,1800,40,PAYMENT,2026999999999999999,,2026-12-01T09:15:02+08:00",
    ].join("\n");
    const parsed = parseSettlementFile("line_pay", reordered, "2026-12-01");
    expect(parsed.ok && parsed.lines[0]).toMatchObject({ merchantOrderNumber: "PO20261201ABCDEF01", amount: 1800, fee: 40 });
  });

  it("refuses a file it cannot read whole, saying where and why", () => {
    const refusal = (text: string, date = "2026-12-01") => {
      const parsed = parseSettlementFile("line_pay", text, date);
      return parsed.ok ? null : parsed.problem;
    };
    const payment = (overrides: Partial<Record<"date" | "type" | "id" | "amount" | "fee" | "settlement", string>>) => {
      const v = {
        date: "2026-12-01 09:15:02",
        type: "PAYMENT",
        id: "2026999999999999999",
        amount: "1800",
        fee: "40",
        settlement: "1760",
        ...overrides,
      };
      return `${v.date},${v.type},${v.id},,PO20261201ABCDEF01,BALANCE,TWD,${v.amount},${v.fee},${v.settlement}`;
    };
    expect(refusal("")).toEqual({ code: "empty" });
    expect(refusal("Order ID,Amount\nPO1,100\n")).toEqual({
      code: "missing_columns",
      columns: ["Transaction Date", "Transaction Type", "Transaction ID", "Original Transaction ID", "Fee"],
    });
    // A spreadsheet opened and saved the report: the transaction number became a number.
    expect(refusal(linePayReport(payment({ id: "2.027E+18" })))).toEqual({
      code: "mangled_number",
      row: 2,
      column: "Transaction ID",
      value: "2.027E+18",
    });
    expect(refusal(linePayReport(payment({ amount: "1800.5", settlement: "1760.5" })))).toMatchObject({
      code: "bad_value",
      column: "Amount",
    });
    expect(refusal(linePayReport(payment({ amount: "-1800", settlement: "-1840" })))).toMatchObject({
      code: "bad_value",
      column: "Amount",
    });
    expect(refusal(linePayReport(payment({ type: "CAPTURE" })))).toMatchObject({
      code: "bad_value",
      column: "Transaction Type",
      value: "CAPTURE",
    });
    expect(refusal(linePayReport(payment({ date: "01/12/2026" })))).toMatchObject({ code: "bad_value", column: "Transaction Date" });
    expect(refusal(linePayReport(payment({ settlement: "1800" })))).toEqual({ code: "inconsistent_payout", row: 2 });
    expect(refusal(linePayReport(payment({}), `${payment({})},extra`))).toEqual({ code: "column_count", row: 3, expected: 10, found: 11 });
    // The whole file is refused for one bad line, wherever it is.
    expect(refusal(linePayReport(payment({}), payment({}), payment({ date: "2026-11-30 23:59:59" })))).toEqual({
      code: "other_day",
      row: 4,
      date: "2026-11-30",
    });
    expect(refusal(linePayReport(payment({}), `${payment({})}`.replace("TWD", "USD")))).toMatchObject({
      code: "bad_value",
      column: "Currency",
    });
  });
});

describe("ECPay's media file", () => {
  const paid =
    '="2026/12/01 09:00:00","2026/12/01 09:01:30",="PO20261201ABCDEF01",="2612010912345678",Credit_CreditCard,已付款,1800,50,1750,"交通罰鍰 1800元#停車費, 月租 ""A區""",';
  const refund =
    '="2026/11/20 10:00:00","2026/12/01 15:00:00",="PO20261120ABCDEF09",="2611201012345678",Credit_CreditCard,退款,-600,0,-600,,';
  const unpaid = '="2026/12/01 11:00:00",,="PO20261201ABCDEF02",="2612011112345678",Credit_CreditCard,未付款,500,0,0,,';

  it('reads paid and refunded trades, unwrapping ECPay\'s ="…" cells, and skips unpaid ones', () => {
    const parsed = parseSettlementFile("ecpay", ecpayFile(paid, unpaid, refund), "2026-12-01");
    expect(parsed).toMatchObject({
      ok: true,
      skipped: 1,
      lines: [
        {
          lineNumber: 2,
          kind: "payment",
          merchantOrderNumber: "PO20261201ABCDEF01",
          providerTransactionId: "2612010912345678",
          providerRefundId: null,
          amount: 1800,
          fee: 50,
          occurredAt: new Date("2026-12-01T09:01:30+08:00"),
          raw: { 商品名稱: '交通罰鍰 1800元#停車費, 月租 "A區"', 特店訂單編號: "PO20261201ABCDEF01" },
        },
        { lineNumber: 4, kind: "refund", merchantOrderNumber: "PO20261120ABCDEF09", amount: 600, fee: 0 },
      ],
    });
  });

  it("reads the same file written in Big5, and ECPay's older column names", () => {
    const decoded = decodeSettlementBytes(big5(ecpayFile(paid, refund)));
    expect(decoded.ok).toBe(true);
    const fromBig5 = parseSettlementFile("ecpay", decoded.ok ? decoded.text : "", "2026-12-01");
    expect(fromBig5).toEqual(parseSettlementFile("ecpay", ecpayFile(paid, refund), "2026-12-01"));
    const older = ecpayFile(paid)
      .replace("特店訂單編號", "廠商訂單編號")
      .replace("綠界交易編號", "綠界訂單編號")
      .replace("交易狀態", "付款狀態");
    expect(parseSettlementFile("ecpay", older, "2026-12-01")).toMatchObject({
      ok: true,
      lines: [{ merchantOrderNumber: "PO20261201ABCDEF01" }],
    });
  });

  it("refuses ECPay's message in place of a file, an unknown status, and figures that do not add up", () => {
    expect(parseSettlementFile("ecpay", "CheckMacValue Error", "2026-12-01")).toEqual({
      ok: false,
      problem: { code: "not_a_file", sample: "CheckMacValue Error" },
    });
    expect(parseSettlementFile("ecpay", ecpayFile(paid.replace("已付款", "處理中")), "2026-12-01")).toMatchObject({
      ok: false,
      problem: { code: "bad_value", column: "交易狀態", value: "處理中" },
    });
    expect(parseSettlementFile("ecpay", ecpayFile(paid.replace(",1750,", ",1800,")), "2026-12-01")).toEqual({
      ok: false,
      problem: { code: "inconsistent_payout", row: 2 },
    });
    expect(parseSettlementFile("ecpay", ecpayFile(paid), "2026-12-02")).toEqual({
      ok: false,
      problem: { code: "other_day", row: 2, date: "2026-12-01" },
    });
  });
});
