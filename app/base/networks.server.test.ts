import { describe, expect, it } from "vitest";
import { formatNetwork, networkMatcher, normalizeAddress, parseNetwork } from "./networks.server";

describe("parseNetwork", () => {
  it("reads IPv4 and IPv6 networks in CIDR notation, and a bare address as one host", () => {
    expect(parseNetwork("10.20.0.0/16")).toEqual({ address: "10.20.0.0", prefix: 16, family: "ipv4" });
    expect(parseNetwork(" 192.168.1.10 ")).toEqual({ address: "192.168.1.10", prefix: 32, family: "ipv4" });
    expect(parseNetwork("0.0.0.0/0")).toEqual({ address: "0.0.0.0", prefix: 0, family: "ipv4" });
    expect(parseNetwork("2001:db8::/32")).toEqual({ address: "2001:db8::", prefix: 32, family: "ipv6" });
    expect(parseNetwork("::1")).toEqual({ address: "::1", prefix: 128, family: "ipv6" });
    expect(formatNetwork(parseNetwork("::1")!)).toBe("::1/128");
  });

  it("refuses prefixes too long for the family, empty, signed, fractional or repeated", () => {
    for (const text of [
      "10.0.0.0/33",
      "2001:db8::/129",
      "10.0.0.0/",
      "10.0.0.0/-1",
      "10.0.0.0/+8",
      "10.0.0.0/8.5",
      "10.0.0.0/8/8",
      "10.0.0.0/1000",
    ]) {
      expect(parseNetwork(text), text).toBeNull();
    }
  });

  it("refuses what is not an address: host names, short or zero-padded IPv4, garbage", () => {
    for (const text of [
      "",
      "/8",
      "localhost",
      "gov.tw/16",
      "10.0.0",
      "010.0.0.1",
      "10.0.0.256",
      "10.0.0.0 /8",
      "1.2.3.4,5.6.7.8",
      "::g",
      "*",
    ]) {
      expect(parseNetwork(text), JSON.stringify(text)).toBeNull();
    }
  });
});

describe("networkMatcher", () => {
  const matches = networkMatcher(["10.20.0.0/16", "192.168.1.10", "2001:db8::/32"].map((text) => parseNetwork(text)!));

  it("lets in addresses inside the networks only", () => {
    expect(matches("10.20.0.1")).toBe(true);
    expect(matches("10.20.255.255")).toBe(true);
    expect(matches("10.21.0.1")).toBe(false);
    expect(matches("192.168.1.10")).toBe(true);
    expect(matches("192.168.1.11")).toBe(false);
    expect(matches("2001:db8:1::5")).toBe(true);
    expect(matches("2001:db9::5")).toBe(false);
  });

  it("takes an IPv4 client seen through an IPv6 socket for the IPv4 address", () => {
    expect(normalizeAddress("::ffff:10.20.0.1")).toBe("10.20.0.1");
    expect(normalizeAddress("::FFFF:10.20.0.1")).toBe("10.20.0.1");
    expect(matches("::ffff:10.20.0.1")).toBe(true);
    expect(matches("::ffff:10.21.0.1")).toBe(false);
    expect(matches("::ffff:c0a8:10a")).toBe(true);
    // A mapped network in the list holds its IPv4 clients too.
    expect(networkMatcher([parseNetwork("::ffff:127.0.0.1")!])("127.0.0.1")).toBe(true);
  });

  it("refuses what is not an address, and everyone when no network is given", () => {
    for (const address of ["", "unknown", "10.20.0.1, 10.20.0.2", "10.20.0.1:443"]) expect(matches(address), address).toBe(false);
    const none = networkMatcher([]);
    expect(none("127.0.0.1")).toBe(false);
    expect(none("::1")).toBe(false);
  });
});
