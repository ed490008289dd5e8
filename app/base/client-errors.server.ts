import type express from "express";

/**
 * Short bilingual answers for requests refused before any page is rendered
 * (the language of the visitor is not known yet, and the client may not be a
 * browser): plain text, Chinese first.
 */
export const CLIENT_ERROR_TEXT = {
  crossSite: "表單必須從本網站送出，請回到本站重新操作。\nForms must be sent from this website: please go back and try again.\n",
  address: "無法處理這個要求，請檢查網址。\nWe could not handle this request: please check the address.\n",
  body: "無法讀取送出的資料，請回到上一頁重新操作。\nWe could not read what was sent: please go back and try again.\n",
  tooLarge: "送出的資料太大，無法處理。\nRequest too large: we could not handle it.\n",
  tooLong: "網址或標頭太長，無法處理。\nAddress or headers too long: we could not handle this request.\n",
} as const;

/** One of the texts above (or a 5xx's reference) as the whole answer. */
export function sendPlainText(res: express.Response, status: number, text: string): void {
  res.status(status).type("text/plain; charset=utf-8").send(text);
}
