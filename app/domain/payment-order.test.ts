import { describe, expect, it } from "vitest";
import {
  PAYMENT_ORDER_STATES,
  canTransition,
  isSettled,
  recoveryBackoffMinutes,
  releasesBills,
  webhookBackoffSeconds,
} from "./payment-order";

describe("the payment order state machine", () => {
  it("goes from created through pending to paid, and from paid only to refunded", () => {
    expect(canTransition("created", "pending")).toBe(true);
    expect(canTransition("pending", "paid")).toBe(true);
    expect(canTransition("paid", "refunded")).toBe(true);
    expect(PAYMENT_ORDER_STATES.filter((to) => canTransition("paid", to))).toEqual(["refunded"]);
  });

  it("lets an unknown outcome end only in a definite one", () => {
    expect(PAYMENT_ORDER_STATES.filter((to) => canTransition("unknown", to))).toEqual(["paid", "failed", "cancelled", "expired"]);
  });

  it("never leaves a failed, cancelled, expired or refunded order", () => {
    for (const from of ["failed", "cancelled", "expired", "refunded"] as const) {
      expect(PAYMENT_ORDER_STATES.filter((to) => canTransition(from, to))).toEqual([]);
      expect(isSettled(from)).toBe(true);
    }
  });

  it("has no cycles: every state is entered at most once", () => {
    const visit = (state: (typeof PAYMENT_ORDER_STATES)[number], path: string[]): void => {
      expect(path).not.toContain(state);
      for (const next of PAYMENT_ORDER_STATES.filter((to) => canTransition(state, to))) visit(next, [...path, state]);
    };
    visit("created", []);
  });

  it("frees the bills only when no payment happened or it was refunded", () => {
    expect(PAYMENT_ORDER_STATES.filter(releasesBills)).toEqual(["failed", "cancelled", "expired", "refunded"]);
  });

  it("backs off when asking providers and delivering webhooks", () => {
    expect([0, 1, 2, 3, 10].map(recoveryBackoffMinutes)).toEqual([1, 2, 5, 10, 60]);
    expect([0, 1, 2, 3, 9].map(webhookBackoffSeconds)).toEqual([60, 300, 3600, 86_400, 86_400]);
  });
});
