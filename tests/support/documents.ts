import { DEMO_AGENCIES, DEMO_BILL_TYPES } from "~/demo/data/catalogue";
import { generateDemoData } from "~/demo/data/generate";
import type { BillView } from "~/bills/bills.server";
import { composeConvenienceBarcodes } from "~/domain/convenience-barcode";
import { taipeiDate } from "~/domain/dates";
import { maskPersonName, maskSubject } from "~/domain/masking";
import { MAX_BILLS_PER_ORDER } from "~/domain/payment-order";
import { dayStatements, statementDocument, statementSha256 } from "~/domain/statement";
import type { StoredStatement } from "~/money/statements.server";
import type { PaymentSlip } from "~/payments/payment-slip.server";
import type { ReceiptView } from "~/payments/receipts.server";

/**
 * What the portal's PDFs are made from, without a database: the demo
 * catalogue's bills (every bill type, so every length of write-off number
 * the catalogue has) as slips, receipts of one and of several bills, and
 * agency statements (one that ties out, one corrected that does not).
 */

const today = taipeiDate();
const demo = generateDemoData({ today });

function billView(bill: (typeof demo.bills)[number], index: number): BillView & { period: string; collectionItemCode: string } {
  const type = DEMO_BILL_TYPES.find((candidate) => candidate.code === bill.billTypeCode)!;
  const agency = DEMO_AGENCIES.find((candidate) => candidate.code === type.agencyCode)!;
  return {
    id: `00000000-0000-4000-8000-${String(index).padStart(12, "0")}`,
    billTypeCode: type.code,
    billTypeNameZh: type.nameZh,
    billTypeNameEn: type.nameEn,
    agencyNameZh: agency.nameZh,
    agencyNameEn: agency.nameEn,
    writeOffNumber: bill.writeOffNumber,
    payerNameMasked: maskPersonName(bill.payerName),
    subjectKind: type.subjectKind,
    subjectMasked: maskSubject(bill.subject, type.subjectKind),
    amount: bill.amount,
    dueDate: bill.dueDate,
    status: "unpaid",
    paidAt: null,
    paidChannel: null,
    period: bill.period,
    collectionItemCode: type.collectionItemCode,
  };
}

/** One unpaid, not yet due bill of every demo bill type. */
const unpaid = DEMO_BILL_TYPES.map((type, index) => {
  const bill = demo.bills.find(
    (candidate) => candidate.billTypeCode === type.code && candidate.status === "unpaid" && candidate.dueDate > today,
  )!;
  return billView(bill, index);
});

/** A slip for a bill of every demo bill type. */
export function demoSlips(): PaymentSlip[] {
  return unpaid.map(({ period, collectionItemCode, ...bill }) => ({
    bill,
    collectionItemCode,
    barcodes: composeConvenienceBarcodes({
      deadline: bill.dueDate,
      collectionItemCode,
      writeOffNumber: bill.writeOffNumber,
      period,
      amount: bill.amount,
    }),
  }));
}

/**
 * A receipt for one bill paid with LINE Pay, a refunded one for several
 * bills paid by credit card (a refund a bill), and one for as many bills as
 * an order may have, which runs onto a second page, refunded in part with a
 * refund under way.
 */
export function demoReceipts(): ReceiptView[] {
  const line = (bill: (typeof unpaid)[number]) => ({
    billTypeNameZh: bill.billTypeNameZh,
    billTypeNameEn: bill.billTypeNameEn,
    agencyNameZh: bill.agencyNameZh,
    agencyNameEn: bill.agencyNameEn,
    writeOffNumber: bill.writeOffNumber,
    payerNameMasked: bill.payerNameMasked,
    amount: bill.amount,
  });
  const several = unpaid.slice(2, 6);
  const most = Array.from({ length: MAX_BILLS_PER_ORDER }, (_, i) => unpaid[i % unpaid.length]!);
  return [
    {
      number: "R20261201-7K3Q9Z",
      issuedAt: "2026-12-01T09:07:00.000Z",
      orderReference: "P202612017H2M4X9Q1C3B5",
      paymentTool: "line_pay",
      provider: "line_pay",
      providerTransactionId: "2026120112345678901",
      paidAt: "2026-12-01T09:07:00.000Z",
      totalAmount: unpaid[0]!.amount,
      state: "paid",
      refunds: [],
      refundedAmount: 0,
      refundUnderWay: false,
      bills: [line(unpaid[0]!)],
    },
    {
      number: "R20261130-2B8D4F",
      issuedAt: "2026-11-30T15:45:00.000Z",
      orderReference: "P202611302F6J8L0N2P4R6",
      paymentTool: "credit_card",
      provider: "ecpay",
      providerTransactionId: null,
      paidAt: "2026-11-30T15:45:00.000Z",
      totalAmount: several.reduce((sum, bill) => sum + bill.amount, 0),
      state: "refunded",
      refunds: several.map((bill, i) => ({
        number: `RF20261201ABC12${i}`,
        writeOffNumber: bill.writeOffNumber,
        amount: bill.amount,
        refundedAt: "2026-12-01T02:00:00.000Z",
      })),
      refundedAmount: several.reduce((sum, bill) => sum + bill.amount, 0),
      refundUnderWay: false,
      bills: several.map(line),
    },
    {
      number: "R20261129-9C1E5G",
      issuedAt: "2026-11-29T02:10:00.000Z",
      orderReference: "P202611299A1C3E5G7J9L1",
      paymentTool: "line_pay",
      provider: "line_pay",
      providerTransactionId: "2026112998765432109",
      paidAt: "2026-11-29T02:10:00.000Z",
      totalAmount: most.reduce((sum, bill) => sum + bill.amount, 0),
      state: "paid",
      refunds: [
        { number: "RF20261130XYZ789", writeOffNumber: most[0]!.writeOffNumber, amount: 100, refundedAt: "2026-11-30T03:00:00.000Z" },
      ],
      refundedAmount: 100,
      refundUnderWay: true,
      bills: most.map(line),
    },
  ];
}

/** Police's statement of a day that ties out, and environment's second version of a day that does not (replaced since). */
export function demoStatements(): StoredStatement[] {
  const names = (code: string) => {
    const { nameZh, nameEn } = DEMO_BILL_TYPES.find((type) => type.code === code)!;
    return { nameZh, nameEn };
  };
  const agency = (code: string) => {
    const { nameZh, nameEn } = DEMO_AGENCIES.find((candidate) => candidate.code === code)!;
    return { nameZh, nameEn };
  };
  const [environment, police] = dayStatements({
    businessDate: "2026-11-20",
    paid: [
      { agency: "police", billType: "traffic-fine", tool: "line_pay", provider: "line_pay", count: 1, amount: 1800 },
      { agency: "police", billType: "traffic-fine", tool: "credit_card", provider: "ecpay", count: 1, amount: 1_234_500 },
      { agency: "police", billType: "accident-assessment-fee", tool: "jko_pay", provider: "line_pay", count: 1, amount: 3000 },
      { agency: "environment", billType: "environmental-fine", tool: "line_pay", provider: "line_pay", count: 1, amount: 6000 },
    ],
    refunds: [{ agency: "environment", billType: "environmental-fine", tool: "line_pay", provider: "line_pay", count: 1, amount: 2000 }],
    settled: [
      {
        kind: "payment",
        provider: "line_pay",
        amount: 10_800,
        fee: 243,
        bills: [
          { agency: "police", billType: "traffic-fine", tool: "line_pay", weight: 1800 },
          { agency: "police", billType: "accident-assessment-fee", tool: "jko_pay", weight: 3000 },
          { agency: "environment", billType: "environmental-fine", tool: "line_pay", weight: 6000 },
        ],
      },
      {
        kind: "payment",
        provider: "ecpay",
        amount: 1_234_500,
        fee: 24_690,
        bills: [{ agency: "police", billType: "traffic-fine", tool: "credit_card", weight: 1 }],
      },
      { kind: "payment", provider: "line_pay", amount: 500, fee: 11, bills: [] },
    ],
    filesFrom: ["line_pay", "ecpay"],
  });
  const stored = (figures: NonNullable<typeof police>, version: number, supersededAt: Date | null): StoredStatement => {
    const document = statementDocument(figures, version);
    return {
      id: `00000000-0000-4000-9000-00000000000${version}`,
      document,
      sha256: statementSha256(document),
      createdAt: new Date("2026-11-20T22:00:00.000Z"),
      supersededAt,
      names: {
        agency: agency(figures.agency),
        billTypes: Object.fromEntries(figures.lines.map((line) => [line.billType, names(line.billType)])),
      },
    };
  };
  const tiesOut = {
    ...police!,
    reconciliation: { ...police!.reconciliation, tiesOut: true, unattributed: { lines: 0, collected: 0, refunded: 0, fees: 0 } },
  };
  return [stored(tiesOut, 1, null), stored(environment!, 2, new Date("2026-11-22T03:00:00.000Z"))];
}
