import { describe, expect, it } from "vitest";
import { safeRedirect } from "./safe-redirect";

describe("safeRedirect", () => {
  it("keeps local paths with their query", () => {
    expect(safeRedirect("/faq")).toBe("/faq");
    expect(safeRedirect("/contact/thanks?ref=FB-1")).toBe("/contact/thanks?ref=FB-1");
  });

  it("percent-encodes what a Location header cannot carry, and only that", () => {
    expect(safeRedirect("/中文?q=繳費")).toBe("/%E4%B8%AD%E6%96%87?q=%E7%B9%B3%E8%B2%BB");
    expect(safeRedirect("/💸 x")).toBe("/%F0%9F%92%B8%20x");
    expect(safeRedirect("/bills?x=%E4%B8%AD")).toBe("/bills?x=%E4%B8%AD");
    expect(safeRedirect("/\uD800")).toBe("/%EF%BF%BD");
    expect(safeRedirect("/\u2028")).toBe("/%E2%80%A8");
  });

  it.each([
    "//evil.example",
    "/\\evil.example",
    "https://evil.example",
    "javascript:alert(1)",
    "faq",
    "/\tevil",
    "/\r\nSet-Cookie: x=1",
    "/\u007f",
    "",
    null,
    42,
  ])("refuses %s", (target) => {
    expect(safeRedirect(target)).toBe("/");
  });
});
