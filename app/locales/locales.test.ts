import { describe, expect, it } from "vitest";
import sandboxEn from "~/demo/locales/en.json";
import sandboxZhTW from "~/demo/locales/zh-TW.json";
import backOfficeEn from "./back-office/en.json";
import backOfficeZhTW from "./back-office/zh-TW.json";
import en from "./en.json";
import zhTW from "./zh-TW.json";

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** Every leaf path, with array positions: `pages.faq.items.3.answer`. */
function leaves(value: Json, prefix = ""): Map<string, Json> {
  const out = new Map<string, Json>();
  if (value !== null && typeof value === "object") {
    for (const [key, child] of Object.entries(value)) {
      for (const [path, leaf] of leaves(child as Json, prefix ? `${prefix}.${key}` : key)) out.set(path, leaf);
    }
  } else {
    out.set(prefix, value);
  }
  return out;
}

const interpolations = (text: Json) => (typeof text === "string" ? [...text.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort() : []);

// The portal's words, and the demo wing's sandbox pages (standing in for other services).
describe.each([
  { files: "the portal's locale files", zhFile: zhTW, enFile: en },
  { files: "the sandboxes' locale files", zhFile: sandboxZhTW, enFile: sandboxEn },
  { files: "the back office's locale files", zhFile: backOfficeZhTW, enFile: backOfficeEn },
])("$files", ({ zhFile, enFile }) => {
  const zh = leaves(zhFile as Json);
  const english = leaves(enFile as Json);

  it("have exactly the same keys in zh-TW and en", () => {
    const onlyZh = [...zh.keys()].filter((key) => !english.has(key));
    const onlyEn = [...english.keys()].filter((key) => !zh.has(key));
    expect({ onlyZh, onlyEn }).toEqual({ onlyZh: [], onlyEn: [] });
  });

  it("have no empty strings", () => {
    const empty = [...zh, ...english].filter(([, text]) => typeof text !== "string" || text.trim() === "");
    expect(empty).toEqual([]);
  });

  it("use the same interpolation variables in both languages", () => {
    const mismatched = [...zh.keys()].filter(
      (key) => JSON.stringify(interpolations(zh.get(key)!)) !== JSON.stringify(interpolations(english.get(key) ?? "")),
    );
    expect(mismatched).toEqual([]);
  });

  // A Chinese passage on an English page would need its own lang attribute.
  it("keep Chinese text out of the English file", () => {
    const chinese = [...english].filter(([, text]) => typeof text === "string" && /[\u4e00-\u9fff]/.test(text));
    expect(chinese).toEqual([]);
  });
});
