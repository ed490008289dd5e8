import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical-json";

describe("canonicalJson", () => {
  it("gives the same text whatever the key order, nested too", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: "中", e: null }], c: true } })).toBe(
      '{"a":{"c":true,"d":[2,{"e":null,"f":"中"}]},"b":1}',
    );
    expect(canonicalJson({ a: { c: true, d: [2, { e: null, f: "中" }] }, b: 1 })).toBe(
      canonicalJson({ b: 1, a: { d: [2, { f: "中", e: null }], c: true } }),
    );
  });
  it("tells different values apart", () => {
    expect(canonicalJson({ amount: 100 })).not.toBe(canonicalJson({ amount: "100" }));
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });
});
