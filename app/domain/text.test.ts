import { describe, expect, it } from "vitest";
import { isStorableText, storableText } from "./text";

describe("text PostgreSQL can store", () => {
  it("keeps any well-formed text, CJK and emoji included", () => {
    for (const text of ["", "GF11500019", "林美芯", "💸🧾👍🏽", "\uFFFD"]) {
      expect(isStorableText(text)).toBe(true);
      expect(storableText(text)).toBe(text);
    }
  });

  it("drops NUL and replaces lone surrogates", () => {
    expect(isStorableText("a\u0000b")).toBe(false);
    expect(isStorableText("\uD800")).toBe(false);
    expect(isStorableText("a\uDFFFb")).toBe(false);
    expect(storableText("a\u0000b\u0000")).toBe("ab");
    expect(storableText("x\uD800y")).toBe("x\uFFFDy");
    // A pair split by a cut, as `slice` can leave it.
    expect(storableText("💸".slice(0, 1))).toBe("\uFFFD");
  });
});
