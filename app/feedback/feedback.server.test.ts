import { describe, expect, it } from "vitest";
import { parseFeedback } from "./feedback.server";

function form(values: Record<string, string>): FormData {
  const data = new FormData();
  for (const [key, value] of Object.entries(values)) data.set(key, value);
  return data;
}

const valid = { topic: "website", name: " 王小明 ", email: "ming@example.tw", phone: "", message: "網站的字可以再大一點嗎？謝謝。" };

describe("contact form validation", () => {
  it("accepts a complete message, trimming and dropping an empty phone", () => {
    const result = parseFeedback(form(valid));
    expect(result).toEqual({ ok: true, input: { ...valid, name: "王小明", phone: undefined }, values: valid });
  });

  it("returns a code per field and what was typed", () => {
    const result = parseFeedback(form({ topic: "spam", name: "", email: "nope", phone: "12", message: "短" }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual({
      topic: { code: "topicRequired" },
      name: { code: "nameRequired" },
      email: { code: "emailInvalid" },
      phone: { code: "phoneInvalid" },
      message: { code: "messageTooShort" },
    });
    expect(result.values).toEqual({ topic: "spam", name: "", email: "nope", phone: "12", message: "短" });
  });

  it("counts characters as people do (an emoji is one) and reports the count when too long", () => {
    const emoji = "🙂".repeat(10);
    expect(parseFeedback(form({ ...valid, message: emoji })).ok).toBe(true);
    const result = parseFeedback(form({ ...valid, message: "字".repeat(2001) }));
    expect(result.ok ? null : result.errors.message).toEqual({ code: "messageTooLong", count: 2001 });
  });

  it("treats missing fields as empty rather than failing", () => {
    const result = parseFeedback(new FormData());
    expect(result.ok).toBe(false);
    if (!result.ok) expect(Object.keys(result.errors).sort()).toEqual(["email", "message", "name", "topic"]);
  });
});
