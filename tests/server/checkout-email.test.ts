import { expect, it } from "vitest";
import { captchaAnswer } from "~/lookup/captcha.server";
import { DEMO_SECRETS } from "~/demo/keys";
import { describeEachPortal } from "../support/databases";
import { payerAtLinePay } from "../support/payments";

/**
 * The payer's e-mail address at checkout, against the built demo portal:
 * a browser without JavaScript, the real pay page, the demo's mail server.
 */

interface ReceivedMail {
  to: string[];
  kind: string | null;
  subject: string;
  text: string;
  attachments: Array<{ filename: string; contentType: string; size: number }>;
}

describeEachPortal("the payer's e-mail at checkout", { JOBS_INTERVAL_MS: "60000" }, (portal) => {
  let cookie = "";
  const browse = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(path.startsWith("http") ? path : portal().url + path, {
      ...init,
      redirect: "manual",
      headers: { cookie, ...(init.headers as Record<string, string>) },
    });
    const set = response.headers.getSetCookie().find((c) => c.startsWith("portal_session="));
    if (set) cookie = set.split(";")[0]!;
    return response;
  };
  const post = (path: string, fields: Record<string, string>) =>
    browse(path, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: portal().url },
      body: new URLSearchParams(fields),
    });
  // Where the demo wing's sandbox gateway listens, as the portal logged it at boot.
  const sandboxUrl = () => /"sandbox":"(http:\/\/[^"]+)"/.exec(portal().output())![1]!;
  async function eventually<T>(find: () => Promise<T | undefined>, ms: number): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = await find();
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error("timed out waiting");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function checkoutFor(writeOffNumber: string) {
    const page = await (await browse("/lookup/traffic-fine?lng=en")).text();
    const token = /name="captchaToken" value="([^"]+)"/.exec(page)![1]!;
    await post("/lookup/traffic-fine", {
      intent: "lookup",
      writeOffNumber,
      captchaToken: token,
      captchaAnswer: captchaAnswer(DEMO_SECRETS.CAPTCHA_SECRET, token.split(".")[1]!),
    });
    const billsPage = await (await browse("/bills")).text();
    const billId = /name="bill"[^>]*value="([0-9a-f-]{36})"/.exec(billsPage)![1]!;
    const checkout = await (await browse(`/pay?bill=${billId}`)).text();
    // The page's form posts back to its own address (the bills chosen in its query).
    const action = /<form method="post" action="(\/pay[^"]*)"/.exec(checkout)![1]!.replaceAll("&amp;", "&");
    return { billId, checkout, action, idempotencyKey: /name="idempotencyKey" value="([^"]+)"/.exec(checkout)![1]! };
  }

  it("offers an optional address, refuses one that cannot be, keeping what was typed, and mails the receipt to a good one", async () => {
    const { billId, checkout, action, idempotencyKey } = await checkoutFor("GF11500019");
    expect(checkout).toMatch(
      /<input[^>]*id="payerEmail"[^>]*type="email"[^>]*autoComplete="email"|<input[^>]*id="payerEmail"[^>]*type="email"/,
    );
    expect(checkout).toContain('for="payerEmail"');

    const refused = await post(action, { bill: billId, tool: "line_pay", idempotencyKey, payerEmail: "payer@example" });
    expect(refused.status).toBe(400);
    const page = await refused.text();
    expect(page).toContain("請輸入正確格式的電子郵件地址");
    // The summary links to the field, which keeps what was typed and says what is wrong.
    expect(page).toContain('href="#payerEmail"');
    expect(page).toMatch(/id="payerEmail"[^>]*value="payer@example"|value="payer@example"[^>]*id="payerEmail"/);
    expect(page).toContain('aria-invalid="true"');

    const accepted = await post(action, { bill: billId, tool: "line_pay", idempotencyKey, payerEmail: "payer@example.tw" });
    const paymentUrl = accepted.headers.get("location");
    expect(paymentUrl, `status ${accepted.status}`).toBeTruthy();
    const back = await payerAtLinePay(paymentUrl!, "approve");
    expect((await browse(back.toString())).status).toBeLessThan(400);

    // Woken by the queue's notice, the mail job sends the receipt to the demo's mail server.
    const receipt = await eventually(async () => {
      const { mails } = (await (await fetch(`${sandboxUrl()}/_sandbox/mails.json`)).json()) as { mails: ReceivedMail[] };
      return mails.find((mail) => mail.kind === "receipt" && mail.to.includes("payer@example.tw"));
    }, 15_000);
    expect(receipt.subject).toContain("繳費成功");
    expect(receipt.text).not.toContain("GF11500019");
    expect(receipt.attachments.map((attachment) => attachment.contentType)).toEqual(["application/pdf"]);

    // The demo's mails page lists it, in the tester's language.
    const list = await (await fetch(`${sandboxUrl()}/_sandbox/mails?lang=en`)).text();
    expect(list).toContain("Mails received");
    expect(list).toContain("payer@example.tw");
  });
});
