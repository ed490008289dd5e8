import { describe, expect, it } from "vitest";
import { parseNetwork } from "~/base/networks.server";
import { agencyNetworkAllows, isBackOfficePath } from "./allow-list.server";

describe("what the allow-list guards", () => {
  it("is every path Remix routes to the back office, however it is written", () => {
    for (const target of [
      "/back-office",
      "/back-office/",
      "/back-office/login?returnTo=%2Fback-office",
      "/BACK-OFFICE/login",
      "/back%2Doffice/login",
      "/%62ack-office",
      "/./back-office/login",
      "/x/../back-office/login",
      "/back-office/%E0%A4%A",
      "/back-office%2Flogin",
    ]) {
      expect(isBackOfficePath(target), target).toBe(true);
    }
  });

  it("is none of the residents' pages", () => {
    for (const target of [
      "/",
      "/lookup",
      "/back-officer",
      "/lookup?next=/back-office",
      "//back-office/login",
      "/pay/back-office",
      "/build/routes/back-office-1234.js",
    ]) {
      expect(isBackOfficePath(target), target).toBe(false);
    }
  });
});

describe("an agency's own networks", () => {
  const env = { backOfficeAgencyNetworks: [{ agency: "police", networks: [parseNetwork("10.20.0.0/16")!] }] };

  it("hold its staff, and nobody else", () => {
    expect(agencyNetworkAllows(env, "police", "10.20.3.4")).toBe(true);
    expect(agencyNetworkAllows(env, "police", "::ffff:10.20.3.4")).toBe(true);
    expect(agencyNetworkAllows(env, "police", "10.30.3.4")).toBe(false);
    // An agency that registered none, and city-wide staff: the back office's networks are enough.
    expect(agencyNetworkAllows(env, "water", "10.30.3.4")).toBe(true);
    expect(agencyNetworkAllows(env, null, "10.30.3.4")).toBe(true);
  });
});
