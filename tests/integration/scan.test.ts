import { pino } from "pino";
import { expect, it } from "vitest";
import { composeConvenienceBarcodes } from "~/domain/convenience-barcode";
import { withCheckDigit } from "~/domain/write-off-number";
import { seedDemoDataIfEmpty } from "~/demo/data/seed.server";
import { generateDemoData } from "~/demo/data/generate";
import { demoEnv } from "../support/env";
import { openScannedBill } from "~/lookup/scan.server";
import { describeEachDatabase } from "../support/databases";

const TODAY = "2026-11-21";
const NOW = new Date("2026-11-21T04:00:00Z");
const env = demoEnv({ RATE_LIMIT_LOOKUP_FAILURES_PER_NUMBER: "2/900" });
const logger = pino({ level: "silent" });
const demo = generateDemoData({ today: TODAY }).bills;
const fine = demo.find((bill) => bill.writeOffNumber === "GF11500019")!;

let counter = 0;
const context = () => ({ env, clientAddress: `203.0.113.${++counter}`, logger });
const barcodesOf = (overrides: Partial<Parameters<typeof composeConvenienceBarcodes>[0]> = {}) =>
  composeConvenienceBarcodes({
    deadline: "2026-12-31",
    collectionItemCode: "PT1",
    writeOffNumber: fine.writeOffNumber,
    period: fine.period,
    amount: fine.amount,
    ...overrides,
  });

describeEachDatabase(
  "opening a bill from its barcodes",
  (database) => {
    it("opens the bill the barcodes describe", async () => {
      const outcome = await openScannedBill(database().db, context(), barcodesOf(), NOW);
      expect(outcome.kind === "found" && outcome.bill).toMatchObject({
        writeOffNumber: "GF11500019",
        amount: fine.amount,
        billTypeCode: "traffic-fine",
      });
    });

    it("reads another biller's bill and says the portal cannot collect it", async () => {
      const outcome = await openScannedBill(database().db, context(), ["50123163E", "7106000000084700", "543796000000300"], NOW);
      expect(outcome).toMatchObject({
        kind: "other_biller",
        read: { amount: 300, writeOffNumber: "7106000000084700", collectionItemCode: "63E" },
        expired: false,
      });
    });

    it("says when another biller's bill is past its convenience-store deadline (a store would refuse it)", async () => {
      const barcodes = barcodesOf({ collectionItemCode: "63E", writeOffNumber: "7106000000084700", deadline: "2026-11-20", amount: 300 });
      const outcome = await openScannedBill(database().db, context(), barcodes, NOW);
      expect(outcome).toMatchObject({ kind: "other_biller", expired: true, read: { deadline: "2026-11-20", collectionItemCode: "63E" } });
      // On its last day it is still payable at a store.
      const lastDay = barcodesOf({ collectionItemCode: "63E", writeOffNumber: "7106000000084700", deadline: "2026-11-21", amount: 300 });
      expect(await openScannedBill(database().db, context(), lastDay, NOW)).toMatchObject({ kind: "other_biller", expired: false });
    });

    it("does not open a bill whose amount differs from the agency's record", async () => {
      const outcome = await openScannedBill(database().db, context(), barcodesOf({ amount: fine.amount + 1 }), NOW);
      expect(outcome.kind).toBe("amount_mismatch");
    });

    it("names an expired deadline, a misread number, and a bill the agency does not have", async () => {
      expect((await openScannedBill(database().db, context(), barcodesOf({ deadline: "2026-11-20" }), NOW)).kind).toBe("expired");
      // GF11500018 fails the traffic fine's check digit, though the barcode check code holds.
      expect((await openScannedBill(database().db, context(), barcodesOf({ writeOffNumber: "GF11500018" }), NOW)).kind).toBe(
        "misread_number",
      );
      const unissued = withCheckDigit("GF1159999", { prefix: "GF", length: 10, charset: "digits", check: "mod10-137" });
      expect((await openScannedBill(database().db, context(), barcodesOf({ writeOffNumber: unissued }), NOW)).kind).toBe("not_found");
    });

    it("refuses barcodes that do not check out, without looking anything up", async () => {
      const [b1, b2, b3] = barcodesOf();
      const outcome = await openScannedBill(database().db, context(), [b1, b2, b3.slice(0, 4) + "11" + b3.slice(6)], NOW);
      expect(outcome).toEqual({ kind: "unreadable", problems: [{ code: "check_code" }] });
    });

    it("shares the look-up's failure limit per bill number, so amounts cannot be guessed", async () => {
      const health = demo.find((bill) => bill.writeOffNumber === "HF115000010")!;
      const guess = (amount: number) =>
        openScannedBill(
          database().db,
          context(),
          composeConvenienceBarcodes({
            deadline: "2026-12-31",
            collectionItemCode: "HB8",
            writeOffNumber: health.writeOffNumber,
            period: health.period,
            amount,
          }),
          NOW,
        );
      expect((await guess(health.amount + 1)).kind).toBe("amount_mismatch");
      expect((await guess(health.amount + 2)).kind).toBe("amount_mismatch");
      // Even the right amount is refused now, from a new address: the number is protected.
      expect((await guess(health.amount)).kind).toBe("rate_limited");
    });
  },
  async (handle) => {
    await seedDemoDataIfEmpty(handle.db, { piiHmacKey: env.PII_HMAC_KEY, today: TODAY });
  },
);
