import { expect, it } from "vitest";
import { describeEachPortal } from "../support/databases";
import { loginAtProvider } from "../support/members";

/**
 * A member's e-mail settings met with bad input by the built server: a
 * mistyped address is explained in the member's language with what they
 * typed and ticked kept, a kind not offered is ignored, and a body that is
 * not a form gets the localized bad-request page; never a 500.
 */

describeEachPortal("member e-mail settings, bad input", {}, (portal) => {
  const jar = new Map<string, string>();
  const cookie = () => [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
  const browse = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(path.startsWith("http") ? path : portal().url + path, {
      ...init,
      redirect: "manual",
      headers: { cookie: cookie(), ...((init.headers as Record<string, string>) ?? {}) },
    });
    for (const set of response.headers.getSetCookie()) {
      const [pair] = set.split(";");
      const at = pair!.indexOf("=");
      jar.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
    return response;
  };
  const post = (body: URLSearchParams | string, headers: Record<string, string> = {}) =>
    browse("/account/email", {
      method: "POST",
      body,
      headers: { origin: portal().url, "content-type": "application/x-www-form-urlencoded", ...headers },
    });

  async function logIn() {
    const toProvider = await browse("/login?returnTo=%2Faccount%2Femail");
    const callback = await loginAtProvider(toProvider.headers.get("location")!, "member-e", "demo-1234");
    const back = await browse(callback.toString());
    expect(back.headers.get("location")).toBe("/account/email");
  }

  it("explains a mistyped address in the member's language and keeps what was typed and ticked", async () => {
    await logIn();
    const form = new URLSearchParams([
      ["email", "yating.chang@example"],
      ["kinds", "due_reminder"],
      ["kinds", "contact_reply"],
      ["kinds", "<script>"],
    ]);
    const zh = await post(form);
    expect(zh.status).toBe(400);
    const page = await zh.text();
    expect(page).toContain("請輸入有效的電子郵件地址");
    expect(page).toContain('value="yating.chang@example"');
    expect(page).toMatch(/id="kind-due_reminder"[^>]*checked/);
    expect(page).not.toMatch(/id="kind-receipt"[^>]*checked/);
    expect(page).not.toContain("<script>");

    const en = await post(form, { "accept-language": "en" });
    expect(en.status).toBe(400);
    expect(await en.text()).toContain("Enter a valid e-mail address");

    const long = await post(new URLSearchParams({ email: `${"a".repeat(300)}@example.tw` }));
    expect(long.status).toBe(400);
    expect(await long.text()).toContain("電子郵件地址最多 254 個字元");
  });

  it("answers a body that is not a form with the bad-request page, and saves a good one", async () => {
    const json = await post('{"email":"a@example.tw"}', { "content-type": "application/json" });
    expect(json.status).toBe(400);
    expect(await json.text()).toContain("無法處理這個要求");
    const saved = await post(
      new URLSearchParams([
        ["email", " yating.chang@example.tw "],
        ["kinds", "due_reminder"],
      ]),
    );
    expect(saved.status).toBe(303);
    expect(saved.headers.get("location")).toBe("/account/email?saved=1");
    const page = await (await browse("/account/email?saved=1")).text();
    expect(page).toContain("已儲存電子郵件通知設定。");
    expect(page).toContain('value="yating.chang@example.tw"');
  });
});
