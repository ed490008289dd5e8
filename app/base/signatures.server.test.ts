import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { safeEqual, shortSignature, signWebhook, verifyWebhook } from "./signatures.server";

describe("safeEqual", () => {
  it("is true for equal strings", () => {
    expect(safeEqual("demo-1234", "demo-1234")).toBe(true);
    expect(safeEqual("demo-123é", "demo-123é")).toBe(true);
    expect(safeEqual("", "")).toBe(true);
  });

  it("is false, not an exception, for strings of equal length but different bytes", () => {
    expect("demo-123é".length).toBe("demo-1234".length);
    expect(() => safeEqual("demo-123é", "demo-1234")).not.toThrow();
    expect(safeEqual("demo-123é", "demo-1234")).toBe(false);
    expect(safeEqual("demo-1234", "demo-123é")).toBe(false);
  });

  it("is false for different strings", () => {
    expect(safeEqual("demo-1234", "demo-1235")).toBe(false);
    expect(safeEqual("demo-1234", "demo-12345")).toBe(false);
  });
});

describe("shortSignature", () => {
  it("is the first 22 characters of base64url(HMAC-SHA256) of the parts joined with |", () => {
    const expected = createHmac("sha256", "secret").update("receipt|v1|R-1").digest("base64url").slice(0, 22);
    expect(shortSignature("secret", "receipt", "v1", "R-1")).toBe(expected);
  });
});

describe("write-off notice signatures", () => {
  const body = JSON.stringify({ noticeId: "n-1", type: "bill.paid" });
  const now = 1_767_225_600_000;
  const t = now / 1000;

  it("carries one v1 per live secret, each checked on its own, newest first", () => {
    const header = signWebhook(["new-secret", "old-secret"], body, t);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    expect(header.split(",")[1]).toBe(signWebhook("new-secret", body, t).split(",")[1]);
    expect(verifyWebhook("new-secret", body, header, now)).toBe(true);
    expect(verifyWebhook("old-secret", body, header, now)).toBe(true);
    expect(verifyWebhook(["other", "old-secret"], body, header, now)).toBe(true);
    expect(verifyWebhook("another-secret", body, header, now)).toBe(false);
  });

  it("refuses a changed body, a stale or repeated timestamp, and a header without a signature", () => {
    const header = signWebhook("secret", body, t);
    expect(verifyWebhook("secret", body, header, now)).toBe(true);
    expect(verifyWebhook("secret", `${body} `, header, now)).toBe(false);
    expect(verifyWebhook("secret", body, header, now + 301_000)).toBe(false);
    expect(verifyWebhook("secret", body, `t=${t}`, now)).toBe(false);
    expect(verifyWebhook("secret", body, `t=${t + 1},${header}`, now)).toBe(false);
    expect(verifyWebhook("secret", body, "", now)).toBe(false);
    expect(verifyWebhook("secret", body, header.replace(/v1=(.)/, "v1=x"), now)).toBe(false);
  });
});
