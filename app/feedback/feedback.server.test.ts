import { describe, expect, it } from "vitest";
import { parseFeedback } from "./feedback.server";

function form(values: Record<string, string>): FormData {
  const data = new FormData();
  for (const [key, value] of Object.entries(values)) data.set(key, value);
  return data;
}

const valid = {
  topic: "website",
  agency: "",
  name: " 王小明 ",
  email: "ming@example.tw",
  phone: "",
  message: "網站的字可以再大一點嗎？謝謝。",
};
const AGENCIES = ["police", "water"];

describe("contact form validation", () => {
  it("accepts a complete message, trimming and dropping an empty phone and an empty agency (the portal's own team)", () => {
    const result = parseFeedback(form(valid), AGENCIES);
    expect(result).toEqual({ ok: true, input: { ...valid, agency: undefined, name: "王小明", phone: undefined }, values: valid });
  });

  it("routes a message to an agency of the catalogue, and refuses an unknown one as a field error that keeps what was chosen", () => {
    const routed = parseFeedback(form({ ...valid, topic: "bill_question", agency: " water " }), AGENCIES);
    expect(routed.ok ? routed.input.agency : null).toBe("water");
    const unknown = parseFeedback(form({ ...valid, agency: "mars-office" }), AGENCIES);
    expect(unknown).toMatchObject({ ok: false, errors: { agency: { code: "agencyUnknown" } }, values: { agency: "mars-office" } });
    if (!unknown.ok) expect(Object.keys(unknown.errors)).toEqual(["agency"]);
  });

  it("returns a code per field and what was typed", () => {
    const result = parseFeedback(form({ topic: "spam", name: "", email: "nope", phone: "12", message: "短" }), AGENCIES);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual({
      topic: { code: "topicRequired" },
      name: { code: "nameRequired" },
      email: { code: "emailInvalid" },
      phone: { code: "phoneInvalid" },
      message: { code: "messageTooShort" },
    });
    expect(result.values).toEqual({ topic: "spam", agency: "", name: "", email: "nope", phone: "12", message: "短" });
  });

  it("counts characters as people do (an emoji is one) and reports the count when too long", () => {
    const emoji = "🙂".repeat(10);
    expect(parseFeedback(form({ ...valid, message: emoji }), AGENCIES).ok).toBe(true);
    const result = parseFeedback(form({ ...valid, message: "字".repeat(2001) }), AGENCIES);
    expect(result.ok ? null : result.errors.message).toEqual({ code: "messageTooLong", count: 2001 });
  });

  it("treats missing fields as empty rather than failing", () => {
    const result = parseFeedback(new FormData(), AGENCIES);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(Object.keys(result.errors).sort()).toEqual(["email", "message", "name", "topic"]);
  });
});
