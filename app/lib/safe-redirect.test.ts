import { describe, expect, it } from "vitest";
import { safeRedirect } from "./safe-redirect";

describe("safeRedirect", () => {
  it("keeps local paths with their query", () => {
    expect(safeRedirect("/faq")).toBe("/faq");
    expect(safeRedirect("/contact/thanks?ref=FB-1")).toBe("/contact/thanks?ref=FB-1");
  });

  it.each(["//evil.example", "/\\evil.example", "https://evil.example", "javascript:alert(1)", "faq", "/\tevil", "", null, 42])(
    "refuses %s",
    (target) => {
      expect(safeRedirect(target)).toBe("/");
    },
  );
});
