import { describe, expect, it } from "vitest";
import { BILL_CHANGES, BILL_EVENTS, isPaid, isPaidElsewhere } from "./bill-lifecycle";
import { BILL_STATUSES } from "./catalogue";

describe("the bill lifecycle", () => {
  it("pays, settles or cancels only an unpaid bill, and reopens after a refund only what the portal was paid", () => {
    expect(BILL_CHANGES.paid_here).toEqual({ from: ["unpaid"], to: "paid" });
    expect(BILL_CHANGES.paid_elsewhere).toEqual({ from: ["unpaid"], to: "paid" });
    expect(BILL_CHANGES.cancelled_at_source).toEqual({ from: ["unpaid"], to: "cancelled" });
    expect(BILL_CHANGES.reopened_after_refund).toEqual({ from: ["paid", "written_off"], to: "unpaid", onlyChannel: "portal" });
  });

  it("never changes a cancelled bill, and names only stored statuses", () => {
    for (const event of BILL_EVENTS) {
      expect(BILL_CHANGES[event].from).not.toContain("cancelled");
      expect([...BILL_CHANGES[event].from, BILL_CHANGES[event].to].every((status) => BILL_STATUSES.includes(status))).toBe(true);
    }
  });

  it("tells a paid bill, and one paid through another channel", () => {
    expect(BILL_STATUSES.filter(isPaid)).toEqual(["paid", "written_off"]);
    expect(isPaidElsewhere({ status: "paid", paidChannel: "agency_counter" })).toBe(true);
    expect(isPaidElsewhere({ status: "written_off", paidChannel: "portal" })).toBe(false);
    expect(isPaidElsewhere({ status: "unpaid", paidChannel: null })).toBe(false);
  });
});
