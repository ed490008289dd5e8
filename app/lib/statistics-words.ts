import type { TFunction } from "i18next";

/**
 * Words for the codes in the statistics (categories, tools, channels, ways,
 * outcomes), for pages and files alike; the code itself when a word is
 * missing (an outcome added later reads as its code, never as a blank).
 */
export function figureWords(t: TFunction) {
  const word = (key: string, code: string) => t(key, { defaultValue: code });
  return {
    month: (month: string) => t("statistics.monthName", { year: month.slice(0, 4), month: month.slice(5, 7) }),
    category: (code: string) => word(`statistics.categories.${code}`, code),
    tool: (code: string) => word(`paymentTools.${code}`, code),
    channel: (code: string | null) => word(`statistics.channels.${code ?? "none"}`, code ?? "none"),
    way: (code: string) => word(`statistics.ways.${code}`, code),
    outcome: (code: string) => word(`statistics.outcomes.${code}`, code),
  };
}
