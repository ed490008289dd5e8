import { captchaAnswer } from "~/lookup/captcha.server";
import { DEMO_SECRETS } from "~/demo/keys";

/**
 * A resident's browser against a built demo portal (`node server.js`): plain
 * requests as a browser without JavaScript sends them, the session cookie
 * kept as it changes.
 */
export function residentBrowser(base: string) {
  let cookie = "";
  const browse = async (url: string, init: RequestInit = {}) => {
    const response = await fetch(url.startsWith("http") ? url : base + url, {
      ...init,
      redirect: "manual",
      headers: { cookie, ...(init.headers ?? {}) },
    });
    const set = response.headers.getSetCookie().find((c) => c.startsWith("portal_session="));
    if (set) cookie = set.split(";")[0]!;
    return response;
  };
  /** A form post from the portal's own page (it names its origin). */
  const post = (path: string, fields: Record<string, string>) =>
    browse(path, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: base },
      body: new URLSearchParams(fields),
    });

  /**
   * Looks up a traffic fine by its number (answering the demo's captcha) and
   * chooses LINE Pay for it: where the portal sends the payer, the sandbox's
   * approval page.
   */
  async function startLinePayPayment(writeOffNumber: string): Promise<string> {
    const page = await (await browse("/lookup/traffic-fine")).text();
    const token = /name="captchaToken" value="([^"]+)"/.exec(page)![1]!;
    const found = await post("/lookup/traffic-fine", {
      intent: "lookup",
      writeOffNumber,
      captchaToken: token,
      captchaAnswer: captchaAnswer(DEMO_SECRETS.CAPTCHA_SECRET, token.split(".")[1]!),
    });
    if (found.headers.get("location") !== "/bills") throw new Error(`the look-up of ${writeOffNumber} found no bill (${found.status})`);
    const billsPage = await (await browse("/bills")).text();
    const billId = /name="bill"[^>]*value="([0-9a-f-]{36})"/.exec(billsPage)![1]!;
    const checkout = await (await browse(`/pay?bill=${billId}`)).text();
    const idempotencyKey = /name="idempotencyKey" value="([^"]+)"/.exec(checkout)![1]!;
    const toProvider = await post("/pay", { bill: billId, tool: "line_pay", idempotencyKey });
    const paymentUrl = toProvider.headers.get("location");
    if (!paymentUrl) throw new Error(`choosing LINE Pay did not lead to LINE Pay (${toProvider.status})`);
    return paymentUrl;
  }

  return { browse, startLinePayPayment };
}
