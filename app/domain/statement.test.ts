import { describe, expect, it } from "vitest";
import { seededRandom } from "~/demo/data/generate";
import type { PaymentProvider } from "./payment-order";
import type { PaymentTool } from "./payment-tools";
import {
  allocateByWeight,
  dayStatements,
  sameFigures,
  statementDocument,
  statementJson,
  statementSha256,
  type DayRecords,
  type SettledLine,
} from "./statement";

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

describe("allocateByWeight: a fee split over the bills of an order", () => {
  it("gives the units left over to the largest remainders, ties to the larger weight, then the earlier part", () => {
    expect(allocateByWeight(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(allocateByWeight(10, [1, 2, 1])).toEqual([3, 5, 2]);
    // 7 × 600/1000 = 4.2, 7 × 300/1000 = 2.1, 7 × 100/1000 = 0.7: the 0.7 loses most and gets the unit.
    expect(allocateByWeight(7, [600, 300, 100])).toEqual([4, 2, 1]);
    // Exact remainders tie: the larger bill takes the unit.
    expect(allocateByWeight(1, [200, 600, 200])).toEqual([0, 1, 0]);
    expect(allocateByWeight(2, [500, 500, 500, 500])).toEqual([1, 1, 0, 0]);
  });

  it("keeps whole shares exact and gives nothing to a part of weight 0", () => {
    expect(allocateByWeight(90, [1000, 2000, 0, 6000])).toEqual([10, 20, 0, 60]);
    expect(allocateByWeight(0, [5, 7])).toEqual([0, 0]);
    expect(allocateByWeight(37, [1])).toEqual([37]);
    expect(allocateByWeight(1, [0, 3, 0])).toEqual([0, 1, 0]);
  });

  it("splits a fee given back (negative) as its magnitude, sign kept", () => {
    expect(allocateByWeight(-100, [1, 1, 1])).toEqual([-34, -33, -33]);
    expect(allocateByWeight(-7, [600, 300, 100])).toEqual([-4, -2, -1]);
  });

  it("stays exact where amount times weight passes 2^53", () => {
    const parts = allocateByWeight(999_999_999_7, [999_999_999, 999_999_998, 3]);
    expect(sum(parts)).toBe(999_999_999_7);
    expect(parts).toEqual([4_999_999_993, 4_999_999_989, 15]);
  });

  it("refuses what cannot be split", () => {
    expect(() => allocateByWeight(10, [])).toThrow(RangeError);
    expect(() => allocateByWeight(10, [0, 0])).toThrow(RangeError);
    expect(() => allocateByWeight(10, [1, -1])).toThrow(RangeError);
    expect(() => allocateByWeight(10.5, [1])).toThrow(RangeError);
    expect(() => allocateByWeight(10, [1.5])).toThrow(RangeError);
  });

  it("holds its promises over 5,000 random splits: exact sum, within one of the exact share, ordered by weight, repeatable", () => {
    const random = seededRandom(21);
    const int = (max: number) => Math.floor(random() * (max + 1));
    for (let run = 0; run < 5000; run++) {
      const weights = Array.from({ length: 1 + int(11) }, () => (random() < 0.1 ? 0 : 1 + int(random() < 0.5 ? 100 : 999_999)));
      if (sum(weights) === 0) weights[0] = 1;
      const total = (random() < 0.15 ? -1 : 1) * int(random() < 0.5 ? 500 : 5_000_000);
      const parts = allocateByWeight(total, weights);
      const context = JSON.stringify({ total, weights, parts });
      expect(parts.length, context).toBe(weights.length);
      expect(sum(parts), context).toBe(total);
      for (const [i, part] of parts.entries()) {
        const exact = (total * weights[i]!) / sum(weights);
        expect(Math.abs(part - exact), context).toBeLessThan(1);
        expect(Number.isInteger(part), context).toBe(true);
        if (weights[i] === 0) expect(part, context).toBe(0);
        // A larger bill never bears less of a fee than a smaller one.
        for (const [j, other] of parts.entries())
          if (weights[i]! > weights[j]!) expect(Math.abs(part), context).toBeGreaterThanOrEqual(Math.abs(other));
      }
      expect(allocateByWeight(total, weights), context).toEqual(parts);
      expect(
        allocateByWeight(-total, weights).map((part) => 0 - part),
        context,
      ).toEqual(parts);
      // The same proportions in other units split the same.
      expect(
        allocateByWeight(
          total,
          weights.map((weight) => weight * 3),
        ),
        context,
      ).toEqual(parts);
    }
  });
});

const bucket = (agency: string, billType: string, tool: PaymentTool = "line_pay") => ({ agency, billType, tool });

/** A day of two agencies: a three-bill order across both, a refund, and one line nobody's order explains. */
function aDay(): DayRecords {
  return {
    businessDate: "2026-11-20",
    paid: [
      { ...bucket("police", "traffic-fine"), provider: "line_pay", count: 1, amount: 1800 },
      { ...bucket("police", "traffic-fine"), provider: "line_pay", count: 1, amount: 900 },
      { ...bucket("environment", "environmental-fine"), provider: "line_pay", count: 1, amount: 300 },
      { ...bucket("police", "traffic-fine", "credit_card"), provider: "ecpay", count: 1, amount: 600 },
    ],
    refunds: [{ ...bucket("environment", "environmental-fine"), provider: "line_pay", count: 1, amount: 100 }],
    settled: [
      {
        kind: "payment",
        provider: "line_pay",
        amount: 3000,
        fee: 67,
        bills: [
          { ...bucket("police", "traffic-fine"), weight: 1800 },
          { ...bucket("police", "traffic-fine"), weight: 900 },
          { ...bucket("environment", "environmental-fine"), weight: 300 },
        ],
      },
      {
        kind: "payment",
        provider: "ecpay",
        amount: 600,
        fee: 12,
        bills: [{ ...bucket("police", "traffic-fine", "credit_card"), weight: 600 }],
      },
      {
        kind: "refund",
        provider: "line_pay",
        amount: 100,
        fee: -2,
        bills: [{ ...bucket("environment", "environmental-fine"), weight: 1 }],
      },
    ],
    filesFrom: ["line_pay", "ecpay"],
  };
}

describe("dayStatements", () => {
  it("makes one statement per agency, lines by bill type and tool, fees split pro rata and netted", () => {
    const [environment, police] = dayStatements(aDay());
    // 67 over 1800 / 900 / 300: 40.2, 20.1, 6.7 → 40, 20, 7.
    expect(police).toMatchObject({ agency: "police", collected: 3300, refunded: 0, fees: 60 + 12, net: 3300 - 72 });
    expect(police!.lines).toEqual([
      { billType: "traffic-fine", paymentTool: "credit_card", payments: 1, collected: 600, refunds: 0, refunded: 0, fees: 12, net: 588 },
      { billType: "traffic-fine", paymentTool: "line_pay", payments: 2, collected: 2700, refunds: 0, refunded: 0, fees: 60, net: 2640 },
    ]);
    expect(environment).toMatchObject({ agency: "environment", collected: 300, refunded: 100, fees: 7 - 2, net: 300 - 100 - 5 });
    for (const statement of [police!, environment!])
      expect(statement.reconciliation).toEqual({
        tiesOut: true,
        settledCollected: statement.collected,
        settledRefunded: statement.refunded,
        missingFiles: [],
        unattributed: { lines: 0, collected: 0, refunded: 0, fees: 0 },
      });
  });

  it("says so when the records and the files differ, rather than hide it", () => {
    const base = aDay();
    // The provider settled the ECPay payment for less, and a line of its file is nobody's order.
    const day = {
      ...base,
      settled: [
        ...base.settled.map((line, i) => (i === 1 ? { ...line, amount: 590 } : line)),
        { kind: "payment", provider: "ecpay", amount: 450, fee: 9, bills: [] } satisfies SettledLine,
      ],
    };
    const [environment, police] = dayStatements(day);
    expect(police!.collected).toBe(3300);
    expect(police!.reconciliation).toMatchObject({
      tiesOut: false,
      settledCollected: 3290,
      unattributed: { lines: 1, collected: 450, fees: 9 },
    });
    // Environment's own figures agree, but a line of the day is unexplained: it may be environment's.
    expect(environment!.reconciliation).toMatchObject({ tiesOut: false, settledCollected: 300, unattributed: { lines: 1 } });
  });

  it("names a provider whose file has not come in", () => {
    const day = { ...aDay(), filesFrom: ["line_pay"] as PaymentProvider[] };
    const [environment, police] = dayStatements(day);
    expect(police!.reconciliation).toMatchObject({ tiesOut: false, missingFiles: ["ecpay"] });
    expect(environment!.reconciliation).toMatchObject({ tiesOut: true, missingFiles: [] });
  });

  it("adds up to the files over random days, whatever the mismatches", () => {
    const random = seededRandom(2026);
    const int = (max: number) => Math.floor(random() * (max + 1));
    const agencies = ["police", "environment", "economic", "labor"];
    const tools: PaymentTool[] = ["line_pay", "credit_card", "jko_pay"];
    for (let run = 0; run < 300; run++) {
      const day: DayRecords & { paid: DayRecords["paid"][number][]; settled: SettledLine[] } = {
        businessDate: "2026-11-20",
        paid: [],
        refunds: [],
        settled: [],
        filesFrom: ["line_pay", "ecpay"],
      };
      for (let order = 0; order < 1 + int(30); order++) {
        const tool = tools[int(2)]!;
        const provider: PaymentProvider = tool === "credit_card" ? "ecpay" : "line_pay";
        const bills = Array.from({ length: 1 + int(4) }, () => ({
          ...bucket(agencies[int(3)]!, `type-${int(2)}`, tool),
          amount: 1 + int(20_000),
        }));
        // Most orders are settled as paid; some not at all, some for another amount.
        if (random() < 0.9) day.paid.push(...bills.map((bill) => ({ ...bill, provider, count: 1 })));
        if (random() < 0.9) {
          const total = sum(bills.map((bill) => bill.amount)) + (random() < 0.1 ? int(50) - 25 : 0);
          day.settled.push({
            kind: random() < 0.1 ? "refund" : "payment",
            provider,
            amount: Math.max(0, total),
            fee: int(Math.ceil(total * 0.03)),
            bills: bills.map(({ amount, ...rest }) => ({ ...rest, weight: amount })),
          });
        }
      }
      if (random() < 0.3) day.settled.push({ kind: "payment", provider: "ecpay", amount: int(9000), fee: int(200), bills: [] });
      const statements = dayStatements(day);
      const lines = day.settled;
      const [unattributed] = statements.map((statement) => statement.reconciliation.unattributed);
      const fileTotal = (kind: "payment" | "refund") => sum(lines.filter((line) => line.kind === kind).map((line) => line.amount));
      const context = `run ${run}`;
      expect(sum(statements.map((s) => s.fees)) + (unattributed?.fees ?? 0), context).toBe(sum(lines.map((line) => line.fee)));
      expect(sum(statements.map((s) => s.reconciliation.settledCollected)) + (unattributed?.collected ?? 0), context).toBe(
        fileTotal("payment"),
      );
      expect(sum(statements.map((s) => s.reconciliation.settledRefunded)) + (unattributed?.refunded ?? 0), context).toBe(
        fileTotal("refund"),
      );
      expect(sum(statements.map((s) => s.collected)), context).toBe(sum(day.paid.map((bill) => bill.amount)));
      for (const statement of statements) {
        expect(statement.net, context).toBe(statement.collected - statement.refunded - statement.fees);
        expect(sum(statement.lines.map((line) => line.collected)), context).toBe(statement.collected);
        expect(sum(statement.lines.map((line) => line.fees)), context).toBe(statement.fees);
        for (const line of statement.lines) expect(line.net, context).toBe(line.collected - line.refunded - line.fees);
        const agrees =
          statement.reconciliation.settledCollected === statement.collected &&
          statement.reconciliation.settledRefunded === statement.refunded &&
          statement.reconciliation.unattributed.lines === 0;
        expect(statement.reconciliation.tiesOut, context).toBe(agrees);
      }
    }
  });
});

describe("the statement as sent", () => {
  it("has one canonical JSON text and hash, whatever the order its fields were written in", () => {
    const [, police] = dayStatements(aDay());
    const document = statementDocument(police!, 1);
    const shuffled = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(document).reverse()))) as typeof document;
    expect(statementJson(shuffled)).toBe(statementJson(document));
    expect(statementSha256(shuffled)).toMatch(/^[0-9a-f]{64}$/);
    expect(statementSha256(shuffled)).toBe(statementSha256(document));
    expect(statementSha256(statementDocument(police!, 2))).not.toBe(statementSha256(document));
    expect(statementJson(document)).toContain('"currency":"TWD"');
  });

  it("tells a rebuild that says the same from one that does not", () => {
    const [environment, police] = dayStatements(aDay());
    expect(sameFigures(police!, dayStatements(aDay())[1]!)).toBe(true);
    expect(sameFigures(police!, environment!)).toBe(false);
    const changed = aDay();
    (changed.settled[1] as { fee: number }).fee = 13;
    expect(sameFigures(police!, dayStatements(changed)[1]!)).toBe(false);
  });

  it("gives an agency asked for a statement even when nothing of the day is its own any more", () => {
    const day = { ...aDay(), alsoFor: ["labor", "police"] };
    const statements = dayStatements(day);
    expect(statements.map((statement) => statement.agency)).toEqual(["environment", "labor", "police"]);
    expect(statements[1]).toEqual({
      agency: "labor",
      businessDate: "2026-11-20",
      collected: 0,
      refunded: 0,
      fees: 0,
      net: 0,
      lines: [],
      reconciliation: {
        tiesOut: true,
        settledCollected: 0,
        settledRefunded: 0,
        missingFiles: [],
        unattributed: { lines: 0, collected: 0, refunded: 0, fees: 0 },
      },
    });
    expect(statements[2]).toEqual(dayStatements(aDay())[1]);
  });
});
