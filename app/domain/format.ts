import { taipeiDate } from "./dates";

/**
 * Money and dates as residents read them. Money is integer NT dollars: never
 * fractions, never floating point arithmetic on amounts.
 */

const moneyFormats = {
  "zh-TW": new Intl.NumberFormat("zh-TW", { maximumFractionDigits: 0 }),
  en: new Intl.NumberFormat("en", { maximumFractionDigits: 0 }),
};

/** 1200 → "新臺幣 1,200 元" / "NT$1,200". */
export function formatMoney(amount: number, locale: string): string {
  if (!Number.isSafeInteger(amount)) throw new RangeError(`not a whole number of NT dollars: ${amount}`);
  return locale === "en" ? `NT$${moneyFormats.en.format(amount)}` : `新臺幣 ${moneyFormats["zh-TW"].format(amount)} 元`;
}

// Dates are calendar days in Taiwan; format them in UTC so the server's zone never shifts them.
const dateFormats = {
  "zh-TW": new Intl.DateTimeFormat("zh-TW-u-ca-roc", { dateStyle: "long", timeZone: "UTC" }),
  en: new Intl.DateTimeFormat("en-GB", { dateStyle: "long", timeZone: "UTC" }),
};

/** "2026-12-17" → "民國115年12月17日" / "17 December 2026". */
export function formatDate(isoDate: string, locale: string): string {
  return (locale === "en" ? dateFormats.en : dateFormats["zh-TW"]).format(new Date(`${isoDate}T00:00:00Z`));
}

const taipeiTime = new Intl.DateTimeFormat("en-GB", {
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
  timeZone: "Asia/Taipei",
});

/** A moment, in Taiwan time: "民國115年11月22日 00:30" / "22 November 2026, 00:30". */
export function formatDateTime(moment: Date | string, locale: string): string {
  const at = new Date(moment);
  const date = formatDate(taipeiDate(at), locale);
  return locale === "en" ? `${date}, ${taipeiTime.format(at)}` : `${date} ${taipeiTime.format(at)}`;
}

/** A time of day in Taiwan: "14:05". */
export function formatTime(moment: Date | string): string {
  return taipeiTime.format(new Date(moment));
}
