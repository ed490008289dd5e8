import { describe, expect, it } from "vitest";
import { apiKeyStatus, overlapEnd, secretLive } from "./agency-credentials";

describe("agencies' credential states", () => {
  const now = new Date("2026-12-01T00:00:00Z");
  const later = new Date("2026-12-08T00:00:00Z");

  it("tells an active key, one in its overlap, an expired and a revoked one apart", () => {
    expect(apiKeyStatus({ revokedAt: null, expiresAt: null }, now)).toEqual({ state: "active" });
    expect(apiKeyStatus({ revokedAt: null, expiresAt: later }, now)).toEqual({ state: "overlap", until: later });
    expect(apiKeyStatus({ revokedAt: null, expiresAt: later }, later)).toEqual({ state: "expired", at: later });
    // Revoked wins over an overlap still running.
    expect(apiKeyStatus({ revokedAt: now, expiresAt: later }, now)).toEqual({ state: "revoked", at: now });
  });

  it("keeps a webhook secret signing until it retires, and an overlap of 0 days ends now", () => {
    expect(secretLive({ retiresAt: null }, now)).toBe(true);
    expect(secretLive({ retiresAt: later }, now)).toBe(true);
    expect(secretLive({ retiresAt: later }, later)).toBe(false);
    expect(overlapEnd(now, 7)).toEqual(later);
    expect(secretLive({ retiresAt: overlapEnd(now, 0) }, now)).toBe(false);
  });
});
