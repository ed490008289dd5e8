import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { safeEqual, shortSignature } from "./signatures.server";

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
