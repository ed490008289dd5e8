import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { taipeiDate } from "~/domain/dates";
import { formatMoney } from "~/domain/format";
import { captchaAnswer } from "~/lookup/captcha.server";
import { generateDemoData } from "~/demo/data/generate";
import { DEMO_SECRETS } from "~/demo/keys";
import { Browser, signIn, startBackOfficePortal, type SignedIn } from "../support/back-office-browser";
import { TEST_DATABASES } from "../support/databases";
import type { SoftwareAuthenticator } from "../support/software-authenticator";

/**
 * Bad input to the refund request form, met by the built server with a
 * handler signed in (passkey registered) and a resident's payment to refund:
 * garbage, negative and too large amounts, a reason left out or not one of
 * the list, a signature that is none. Each is answered by the form again,
 * with a summary of what to fix in the staff member's language and what was
 * typed kept, never a 5xx; nothing is requested.
 */

type Portal = Awaited<ReturnType<typeof startBackOfficePortal>>["portal"];

const FORM = "application/x-www-form-urlencoded";
const today = taipeiDate();
/** A traffic fine of the demo data nobody else pays in these tests (the showcase and the e2e bills come first). */
const FINE = generateDemoData({ today })
  .bills.filter((bill) => bill.billTypeCode === "traffic-fine" && bill.status === "unpaid" && bill.dueDate >= today)
  .at(-1)!;

/** A resident looks the fine up (the captcha answered as the demo's secret allows) and pays it with LINE Pay at the sandbox. */
async function payAsResident(origin: string, writeOffNumber: string): Promise<string> {
  const resident = new Browser();
  const post = (path: string, fields: Record<string, string>) =>
    resident.request(`${origin}${path}`, { method: "POST", headers: { origin, "content-type": FORM }, body: new URLSearchParams(fields) });
  const lookup = await (await resident.request(`${origin}/lookup/traffic-fine`)).text();
  const token = /name="captchaToken" value="([^"]+)"/.exec(lookup)![1]!;
  const found = await post("/lookup/traffic-fine", {
    intent: "lookup",
    writeOffNumber,
    captchaToken: token,
    captchaAnswer: captchaAnswer(DEMO_SECRETS.CAPTCHA_SECRET, token.split(".")[1]!),
  });
  expect(found.headers.get("location"), "the fine is found").toBe("/bills");
  const bills = await (await resident.request(`${origin}/bills`)).text();
  const billId = /name="bill"[^>]*value="([0-9a-f-]{36})"/.exec(bills)![1]!;
  const checkout = await (await resident.request(`${origin}/pay?bill=${billId}`)).text();
  const idempotencyKey = /name="idempotencyKey" value="([^"]+)"/.exec(checkout)![1]!;
  const toLinePay = await post("/pay", { bill: billId, tool: "line_pay", idempotencyKey });
  const approved = await fetch(toLinePay.headers.get("location")!, {
    method: "POST",
    body: new URLSearchParams({ decision: "approve" }),
    redirect: "manual",
  });
  const back = new URL(approved.headers.get("location")!);
  const done = await resident.follow(await resident.request(back.toString()), back.toString());
  expect(await done.response.text(), "the payment went through").toMatch(/付款成功/);
  return back.searchParams.get("orderId")!;
}

for (const kind of TEST_DATABASES) {
  describe(`the refund request form's bad input [${kind.name}]`, () => {
    let portal: Portal;
    let origin: string;
    let handler: SignedIn;
    let formPath: string;
    let refundable: number;

    beforeAll(async () => {
      ({ portal, origin } = await startBackOfficePortal(kind.name));
      const reference = await payAsResident(origin, FINE.writeOffNumber);
      handler = await signIn(origin, "police-handler");
      const found = await handler.browser.request(
        `${origin}/back-office/payments?reference=${reference}&_data=${encodeURIComponent("routes/back-office.payments._index")}`,
      );
      const orderId = ((await found.json()) as { result: { rows: Array<{ id: string }> } }).result.rows[0]!.id;
      const detail = await handler.browser.request(
        `${origin}/back-office/payments/${orderId}?_data=${encodeURIComponent("routes/back-office.payments.$orderId")}`,
      );
      const { refunds } = (await detail.json()) as { refunds: Array<{ billId: string; refundable: number; mayRequest: boolean }> };
      expect(refunds[0]).toMatchObject({ refundable: FINE.amount, mayRequest: true });
      refundable = refunds[0]!.refundable;
      formPath = `/back-office/refunds/new?order=${orderId}&bill=${refunds[0]!.billId}`;
    }, 180_000);
    afterAll(async () => {
      await portal?.stop();
    });

    const post = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
      handler.browser.request(`${origin}${formPath}`, {
        method: "POST",
        headers: { origin, "content-type": FORM, ...headers },
        body: new URLSearchParams(fields),
      });

    /** A page, never the server's failure, in the back office's words. */
    async function page(response: Response, label: string, status: number): Promise<string> {
      const body = await response.text();
      expect(response.status, `${label}: ${body.slice(0, 300)}`).toBe(status);
      expect(body, label).toMatch(/^<!DOCTYPE html>/i);
      expect(body, label).not.toMatch(/at \S+ \(|node_modules|TypeError|RangeError/);
      return body;
    }

    it("opens the form filled in with all that is refundable", async () => {
      const body = await page(await handler.browser.request(`${origin}${formPath}`), "the form", 200);
      expect(body).toContain(`value="${refundable}"`);
      expect(body).toContain('name="reason"');
    });

    it("answers a garbage, negative or too large amount, and a reason left out, with the form's error summary, keeping what was typed", async () => {
      const cases: Array<{ fields: Record<string, string>; field: string; message: string | RegExp; kept?: string }> = [
        {
          fields: { amount: "abc", reason: "payer_request" },
          field: "refund-amount",
          message: "請以新臺幣元為單位、只填數字",
          kept: "abc",
        },
        { fields: { amount: "-5", reason: "payer_request" }, field: "refund-amount", message: "退款金額至少新臺幣 1 元", kept: "-5" },
        { fields: { amount: "0", reason: "payer_request" }, field: "refund-amount", message: "退款金額至少新臺幣 1 元", kept: "0" },
        { fields: { amount: "12.5", reason: "payer_request" }, field: "refund-amount", message: "請以新臺幣元為單位", kept: "12.5" },
        {
          fields: { amount: String(refundable + 1), reason: "payer_request" },
          field: "refund-amount",
          message: `不能超過目前可退的金額：${formatMoney(refundable, "zh-TW")}`,
          kept: String(refundable + 1),
        },
        { fields: { amount: "99999999999999999999", reason: "payer_request" }, field: "refund-amount", message: "不能超過目前可退的金額" },
        { fields: { amount: "1e309", reason: "payer_request" }, field: "refund-amount", message: "請以新臺幣元為單位" },
        { fields: { amount: "", reason: "payer_request" }, field: "refund-amount", message: "請輸入退款金額" },
        { fields: { amount: "100", reason: "" }, field: "refund-reason", message: "請選擇退款原因", kept: "100" },
        { fields: { amount: "100" }, field: "refund-reason", message: "請選擇退款原因", kept: "100" },
        { fields: { amount: "100", reason: "'; drop table refunds; --" }, field: "refund-reason", message: "請選擇退款原因" },
        { fields: { amount: "100", reason: "other", reasonText: "   " }, field: "refund-reasonText", message: "原因為「其他」時必填" },
        {
          fields: { amount: "100", reason: "other", reasonText: "長".repeat(600) },
          field: "refund-reasonText",
          message: "說明最多 500 字",
        },
        { fields: { amount: "%00\u0000", reason: "\uD800" }, field: "refund-amount", message: "請以新臺幣元為單位" },
        { fields: { amount: "x".repeat(5_000), reason: "payer_request" }, field: "refund-amount", message: "請以新臺幣元為單位" },
      ];
      for (const { fields, field, message, kept } of cases) {
        const label = JSON.stringify(fields).slice(0, 80);
        const body = await page(await post({ intent: "refund-prepare", ...fields }), label, 400);
        expect(body, label).toContain('class="error-summary"');
        expect(body, label).toContain(`href="#${field}"`);
        expect(body, label).toMatch(message);
        if (kept) expect(body, label).toContain(`value="${kept}"`);
        // Nothing to sign was handed out.
        expect(body, label).not.toContain("以通行金鑰確認");
      }
    });

    it("says what to fix in the staff member's language", async () => {
      const body = await page(
        await post({ intent: "refund-prepare", amount: "-5", reason: "" }, { "accept-language": "en" }),
        "English",
        400,
      );
      expect(body).toContain("The amount must be at least NT$1");
      expect(body).toContain("Choose the reason for the refund");
    });

    it("answers a signature that is none with the form again, requesting nothing", async () => {
      for (const credential of ["", "not json", "null", "{}", '{"id":1}', `{"deep":${"[".repeat(3_000)}${"]".repeat(3_000)}}`]) {
        const body = await page(
          await post({ intent: "refund-confirm", amount: "100", reason: "payer_request", reasonText: "", credential }),
          `credential ${credential.slice(0, 20)}`,
          400,
        );
        expect(body).toContain("通行金鑰簽章未通過驗證");
        expect(body).toContain('value="100"');
      }
      const list = await handler.browser.request(
        `${origin}/back-office/refunds?_data=${encodeURIComponent("routes/back-office.refunds._index")}`,
      );
      expect(((await list.json()) as { total: number }).total).toBe(0);
    });

    it("answers no intent, an unknown one, and bills that are not the handler's with 400 and 404", async () => {
      await page(await post({ amount: "100", reason: "payer_request" }), "no intent", 400);
      await page(await post({ intent: "refund-everything" }), "unknown intent", 400);
      for (const query of [
        "",
        "?order=x&bill=y",
        "?order=%00",
        `?order=${"9".repeat(500)}`,
        "?order=7c0e7f43-6f0b-4d8e-9a51-0f4a3c2d1e90&bill=7c0e7f43-6f0b-4d8e-9a51-0f4a3c2d1e90",
      ]) {
        await page(await handler.browser.request(`${origin}/back-office/refunds/new${query}`), `GET ${query}`, 404);
      }
    });

    it("files a request signed with the passkey, and shows it on its page, in the list and on the payment's timeline", async () => {
      const prepared = await handler.browser.request(`${origin}${formPath}&_data=${encodeURIComponent("routes/back-office.refunds.new")}`, {
        method: "POST",
        headers: { origin, "content-type": FORM },
        body: new URLSearchParams({ intent: "refund-prepare", amount: "300", reason: "amount_corrected", reasonText: "" }),
      });
      const { state } = (await prepared.json()) as {
        state: { stage: string; options: Parameters<SoftwareAuthenticator["authenticate"]>[0] };
      };
      expect(state.stage).toBe("confirm");
      const credential = JSON.stringify(handler.authenticator.authenticate(state.options));
      const filed = await post({ intent: "refund-confirm", amount: "300", reason: "amount_corrected", reasonText: "", credential });
      expect(filed.status).toBe(303);
      const location = filed.headers.get("location")!;
      expect(location).toMatch(/^\/back-office\/refunds\/[0-9a-f-]{36}\?done=requested$/);
      const refundPage = await page(await handler.browser.request(`${origin}${location}`), "the refund's page", 200);
      const number = /RF\d{8}[0-9A-Z]{6}/.exec(refundPage)![0];
      expect(refundPage).toContain("已送出退款申請");
      expect(refundPage).toContain("簽核流程");
      expect(refundPage).toContain(formatMoney(300, "zh-TW"));
      // The next step is a reviewer's: the handler is told, and who could take it.
      expect(refundPage).toContain("下一關須由這個機關的覆核人簽核，您無法簽核。");
      // The police's two reviewers, in whatever order: the requester (a handler) is not among them.
      expect(refundPage).toMatch(/目前可簽核的人：(林淑芬、江美玲|江美玲、林淑芬)。/);
      const list = await page(await handler.browser.request(`${origin}/back-office/refunds`), "the refunds", 200);
      expect(list).toContain(number);
      const payment = await page(
        await handler.browser.request(
          `${origin}${formPath.replace(/^\/back-office\/refunds\/new\?order=([^&]+).*$/, "/back-office/payments/$1")}`,
        ),
        "the payment",
        200,
      );
      expect(payment).toContain(`退款 ${number}：申請 → 簽核中`);
      expect(payment).toContain(formatMoney(refundable, "zh-TW"));
    });

    it("takes a good request to the signature step, showing what is signed", async () => {
      const body = await page(
        await post({ intent: "refund-prepare", amount: "1,000", reason: "payer_request", reasonText: "民眾申請" }),
        "good",
        200,
      );
      expect(body).toContain("以通行金鑰確認");
      expect(body).toContain(FINE.writeOffNumber);
      expect(body).toContain(formatMoney(1000, "zh-TW"));
      expect(body).toContain("民眾申請");
      // Error-level lines would mean a bad request reached the server's failure path.
      expect(
        portal
          .output()
          .split("\n")
          .filter((line) => /"level":(50|60)/.test(line)),
      ).toEqual([]);
    });
  });
}
