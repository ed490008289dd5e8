import { describe, expect, it } from "vitest";
import {
  PAYMENT_ORDER_STATES,
  canTransition,
  entryChannelOrNull,
  holdEndsAt,
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

  it("lets an unknown outcome end only in a definite one (instructions issued for a tool paid later among them)", () => {
    expect(PAYMENT_ORDER_STATES.filter((to) => canTransition("unknown", to))).toEqual([
      "awaiting_payment",
      "paid",
      "failed",
      "cancelled",
      "expired",
    ]);
  });

  it("waits for money on issued instructions until it is paid, expires, fails or is given up, never back to pending", () => {
    expect(canTransition("pending", "awaiting_payment")).toBe(true);
    expect(PAYMENT_ORDER_STATES.filter((to) => canTransition("awaiting_payment", to))).toEqual(["paid", "failed", "cancelled", "expired"]);
    expect(isSettled("awaiting_payment")).toBe(false);
    expect(releasesBills("awaiting_payment")).toBe(false);
  });

  it("lets an order that ended without payment become paid only (money taken late is never lost), and a refunded one nothing", () => {
    for (const from of ["failed", "cancelled", "expired"] as const) {
      expect(PAYMENT_ORDER_STATES.filter((to) => canTransition(from, to))).toEqual(["paid"]);
      expect(isSettled(from)).toBe(true);
    }
    expect(PAYMENT_ORDER_STATES.filter((to) => canTransition("refunded", to))).toEqual([]);
    expect(isSettled("refunded")).toBe(true);
    expect(PAYMENT_ORDER_STATES.filter(isSettled)).toEqual(["paid", "failed", "cancelled", "expired", "refunded"]);
  });

  it("holds a bill briefly before a provider has it, for the approval where the portal confirms, for the window where the provider charges by itself", () => {
    const createdAt = new Date("2026-12-01T02:00:00Z");
    const expiresAt = new Date("2026-12-01T02:20:00Z");
    const startedAt = new Date("2026-12-01T02:00:10Z");
    expect(holdEndsAt({ createdAt, expiresAt }, "unstarted", false, createdAt).getTime() - createdAt.getTime()).toBeLessThan(60_000);
    expect(holdEndsAt({ createdAt, expiresAt }, "at_provider", false, startedAt)).toEqual(new Date("2026-12-01T02:05:10Z"));
    expect(holdEndsAt({ createdAt, expiresAt }, "at_provider", true, startedAt)).toEqual(expiresAt);
    // Never past the window.
    expect(holdEndsAt({ createdAt, expiresAt }, "at_provider", false, new Date("2026-12-01T02:18:00Z"))).toEqual(expiresAt);
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
    expect([0, 1, 2, 3, 4, 5, 6, 9].map(webhookBackoffSeconds)).toEqual([30, 60, 120, 300, 900, 3600, 86_400, 86_400]);
  });
});

describe("the entry channel of an order", () => {
  it("keeps the four known channels and records anything else as not recorded", () => {
    for (const channel of ["lookup", "qr_link", "scan", "member", "case"]) expect(entryChannelOrNull(channel)).toBe(channel);
    for (const other of ["bills", "account", "LOOKUP", "", null, undefined, 3, ["scan"]]) expect(entryChannelOrNull(other)).toBeNull();
  });
});
