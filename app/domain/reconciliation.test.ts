import { describe, expect, it } from "vitest";
import {
  feeFor,
  itemKey,
  reconcileDay,
  type CompletedRefund,
  type OtherOrder,
  type PaidOrder,
  type SettlementLine,
} from "./reconciliation";

describe("a provider's fee", () => {
  it("is the contract's rate of the amount, rounded half up to whole dollars, plus the fixed part", () => {
    const linePay = { basisPoints: 220, fixed: 0 };
    const card = { basisPoints: 275, fixed: 0 };
    expect(feeFor(1000, linePay)).toBe(22);
    // 0.55 and 5.5: the half goes up, with no floating-point surprise.
    expect(feeFor(25, linePay)).toBe(1);
    expect(feeFor(250, linePay)).toBe(6);
    expect(feeFor(200, card)).toBe(6);
    expect(feeFor(100, card)).toBe(3);
    expect(feeFor(18, card)).toBe(0);
    expect(feeFor(1800, { basisPoints: 0, fixed: 10 })).toBe(10);
    expect(feeFor(999_999_999, card)).toBe(27_500_000);
  });
});

const day = new Date("2026-12-01T10:00:00+08:00");
const order = (n: number, overrides: Partial<PaidOrder> = {}): PaidOrder => ({
  id: `order-${n}`,
  reference: `PO2026120100000${n}`,
  providerTransactionId: `20261201000000000${n}`.slice(0, 19),
  totalAmount: 1000 * n,
  paymentTool: "line_pay",
  paidAt: day,
  ...overrides,
});
const line = (n: number, source: PaidOrder, overrides: Partial<SettlementLine> = {}): SettlementLine => ({
  lineNumber: n,
  kind: "payment",
  merchantOrderNumber: source.reference,
  providerTransactionId: source.providerTransactionId!,
  providerRefundId: null,
  amount: source.totalAmount,
  fee: feeFor(source.totalAmount, { basisPoints: 220, fixed: 0 }),
  occurredAt: day,
  raw: {},
  ...overrides,
});
const refund = (n: number, of: PaidOrder, overrides: Partial<CompletedRefund> = {}): CompletedRefund => ({
  id: `refund-${n}`,
  number: `RF20261201ABC00${n}`,
  orderId: of.id,
  orderReference: of.reference,
  orderTransactionId: of.providerTransactionId,
  amount: 300,
  providerRefundId: `90000000000000000${n}`,
  refundedAt: day,
  ...overrides,
});
const expectedFee = (o: PaidOrder) => feeFor(o.totalAmount, { basisPoints: 220, fixed: 0 });

describe("reconciling a day", () => {
  it("matches lines by merchant order number and transaction number, and names every difference once", () => {
    const [a, b, c, d, e, f] = [1, 2, 3, 4, 5, 6].map((n) => order(n)) as [
      PaidOrder,
      PaidOrder,
      PaidOrder,
      PaidOrder,
      PaidOrder,
      PaidOrder,
    ];
    const failed: OtherOrder = {
      id: "order-failed",
      reference: "PO20261201FAILED01",
      provider: "line_pay",
      providerTransactionId: "2026120100000000099",
      state: "failed",
      totalAmount: 500,
      paidAt: null,
    };
    const { items, fees } = reconcileDay({
      lines: [
        line(2, a),
        line(3, b, { amount: 1999 }),
        line(4, c, { fee: 99 }),
        // d is settled under another transaction: the line is not d's payment, and d has no line.
        line(5, d, { providerTransactionId: "2026120199999999999" }),
        line(6, e),
        line(7, e),
        line(8, a, { merchantOrderNumber: "NEVERHEARDOF01" }),
        { ...line(9, a), merchantOrderNumber: failed.reference, providerTransactionId: failed.providerTransactionId!, amount: 500 },
      ],
      paidOrders: [a, b, c, d, e, f],
      otherOrders: [failed],
      refunds: [],
      expectedFee,
    });
    expect(items.map((item) => [item.outcome, item.orderId, item.lineNumber])).toEqual([
      ["matched", a.id, 2],
      ["amount_differs", b.id, 3],
      ["fee_differs", c.id, 4],
      ["settled_not_paid", d.id, 5],
      ["matched", e.id, 6],
      // The same payment settled twice: the second line is money the portal did not take.
      ["settled_not_paid", e.id, 7],
      ["settled_not_paid", null, 8],
      ["settled_not_paid", failed.id, 9],
      ["paid_not_settled", d.id, null],
      ["paid_not_settled", f.id, null],
    ]);
    expect(items[1]).toMatchObject({ expected: { amount: 2000 }, found: { amount: 1999 } });
    expect(items[2]).toMatchObject({ expected: { fee: 66 }, found: { fee: 99 } });
    expect(items[7]).toMatchObject({ expected: { state: "failed", amount: 500 }, found: { amount: 500 } });
    // The fee the file states is kept for each payment matched by its numbers, whatever its outcome.
    expect(fees).toEqual([
      { orderId: a.id, fee: 22 },
      { orderId: b.id, fee: 44 },
      { orderId: c.id, fee: 99 },
      { orderId: e.id, fee: 110 },
    ]);
  });

  it("does not check a fee the schedule has no rule for", () => {
    const a = order(1);
    const { items } = reconcileDay({
      lines: [line(2, a, { fee: 7 })],
      paidOrders: [a],
      otherOrders: [],
      refunds: [],
      expectedFee: () => null,
    });
    expect(items.map((item) => item.outcome)).toEqual(["matched"]);
  });

  it("matches refund lines to the day's refunds by order, transaction and refund id, amounts first", () => {
    const a = order(1, { paidAt: new Date("2026-11-20T10:00:00+08:00") });
    const b = order(2);
    const refundA1 = refund(1, a, { amount: 300 });
    const refundA2 = refund(2, a, { amount: 200, providerRefundId: null });
    const refundB = refund(3, b, { amount: 2000 });
    const refundLine = (n: number, of: PaidOrder, amount: number, refundId: string | null, fee = 0): SettlementLine => ({
      ...line(n, of),
      kind: "refund",
      amount,
      fee,
      providerRefundId: refundId,
    });
    const { items, fees } = reconcileDay({
      lines: [
        line(2, b),
        // The second refund of a, named by no id: paired by amount, before the first's line.
        refundLine(3, a, 200, null),
        refundLine(4, a, 300, refundA1.providerRefundId),
        // A refund line the portal has no refund for.
        refundLine(5, b, 50, "9999999999999999999"),
      ],
      paidOrders: [b],
      otherOrders: [{ ...a, provider: "line_pay", state: "paid" }],
      refunds: [refundA1, refundA2, refundB],
      expectedFee,
    });
    expect(items.map((item) => [item.outcome, item.refundId, item.lineNumber])).toEqual([
      ["matched", null, 2],
      ["matched", refundA2.id, 3],
      ["matched", refundA1.id, 4],
      ["settled_not_paid", null, 5],
      ["refund_not_settled", refundB.id, null],
    ]);
    expect(items[4]).toMatchObject({ orderId: b.id, expected: { kind: "refund", amount: 2000, refundNumber: refundB.number } });
    expect(fees).toEqual([{ orderId: b.id, fee: 44 }]);

    const differing = reconcileDay({
      lines: [refundLine(2, b, 1500, null), refundLine(3, a, 300, null, 5)],
      paidOrders: [],
      otherOrders: [],
      refunds: [refundB, refundA1],
      expectedFee,
    });
    expect(differing.items.map((item) => [item.outcome, item.refundId])).toEqual([
      ["amount_differs", refundB.id],
      // Refunds carry no fee: a fee on a refund line is a difference.
      ["fee_differs", refundA1.id],
    ]);
  });

  it("never pairs a refund line with a refund whose own id is another", () => {
    const a = order(1);
    const only = refund(1, a, { amount: 300, providerRefundId: "1111111111111111111" });
    const { items } = reconcileDay({
      lines: [{ ...line(2, a), kind: "refund", amount: 300, fee: 0, providerRefundId: "2222222222222222222" }],
      paidOrders: [],
      otherOrders: [],
      refunds: [only],
      expectedFee,
    });
    expect(items.map((item) => item.outcome)).toEqual(["settled_not_paid", "refund_not_settled"]);
  });

  it("keys an item by what it is about, so that a day reconciled again finds its resolved items", () => {
    const a = order(1);
    const first = reconcileDay({ lines: [line(2, a, { amount: 1 })], paidOrders: [a], otherOrders: [], refunds: [], expectedFee })
      .items[0]!;
    // The same difference on another row of a newer file is the same item.
    const again = reconcileDay({ lines: [line(7, a, { amount: 1 })], paidOrders: [a], otherOrders: [], refunds: [], expectedFee })
      .items[0]!;
    expect(itemKey(again)).toBe(itemKey(first));
    const other = reconcileDay({ lines: [line(2, a, { fee: 1 })], paidOrders: [a], otherOrders: [], refunds: [], expectedFee }).items[0]!;
    expect(itemKey(other)).not.toBe(itemKey(first));
  });
});
