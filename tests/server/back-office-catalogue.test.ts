import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_DATABASES } from "../support/databases";
import { signIn, startBackOfficePortal, type SignedIn } from "../support/back-office-browser";
import type { SoftwareAuthenticator } from "../support/software-authenticator";

/**
 * The catalogue and integration pages of the back office, on the built
 * portal with staff signed in by passkey: the city administrator's alone to
 * change (the auditor reads, an agency's staff get 403), each form's mistakes
 * answered in the staff member's words with what they typed, and a key's
 * secret shown once, after a passkey-signed confirmation.
 */

const FORM = "application/x-www-form-urlencoded";

for (const kind of TEST_DATABASES) {
  describe(`the back office's catalogue and integrations [${kind.name}]`, () => {
    let portal: Awaited<ReturnType<typeof startBackOfficePortal>>["portal"];
    let origin: string;
    let admin: SignedIn;
    let handler: SignedIn;
    let auditor: SignedIn;
    beforeAll(async () => {
      ({ portal, origin } = await startBackOfficePortal(kind.name));
      admin = await signIn(origin, "city-admin");
      handler = await signIn(origin, "police-handler");
      auditor = await signIn(origin, "auditor");
    }, 180_000);
    afterAll(async () => {
      await portal?.stop();
    });

    const get = (who: SignedIn, path: string) => who.browser.request(`${origin}${path}`);
    const post = (who: SignedIn, path: string, fields: Record<string, string | string[]>) => {
      const body = new URLSearchParams();
      for (const [name, value] of Object.entries(fields)) for (const one of [value].flat()) body.append(name, one);
      return who.browser.request(`${origin}${path}`, { method: "POST", headers: { origin, "content-type": FORM }, body });
    };
    async function page(response: Response, label: string, status: number): Promise<string> {
      const body = await response.text();
      expect(response.status, `${label}: ${body.slice(0, 300)}`).toBe(status);
      return body;
    }

    it("keeps an agency's staff out, lets the auditor read without forms, and answers an unknown agency 404", async () => {
      for (const path of ["/back-office/catalogue", "/back-office/catalogue/police", "/back-office/catalogue/police/integration"]) {
        await page(await get(handler, path), `${path} as a handler`, 403);
      }
      await page(await post(handler, "/back-office/catalogue/police/integration", { intent: "ping" }), "a handler's ping", 403);
      const read = await page(await get(auditor, "/back-office/catalogue/police/integration"), "the auditor's view", 200);
      expect(read).toContain("送達紀錄");
      expect(read).not.toContain('name="intent"');
      await page(
        await post(auditor, "/back-office/catalogue/police/integration", { intent: "issue-key", label: "x" }),
        "the auditor's key",
        403,
      );
      await page(await get(auditor, "/back-office/catalogue/police/bill-types/traffic-fine"), "the auditor at a bill type's form", 403);
      await page(await get(admin, "/back-office/catalogue/nowhere"), "an unknown agency", 404);
      await page(await get(admin, "/back-office/catalogue/police/bill-types/water-bill"), "another agency's bill type", 404);
      const list = await page(await get(admin, "/back-office/catalogue"), "the list", 200);
      expect(list).toContain("臺中市政府警察局");
    });

    it("answers each form's mistakes in words, with the values kept, and never a 5xx", async () => {
      const agency = await page(
        await post(admin, "/back-office/catalogue/police", {
          nameZh: "",
          nameEn: "Police",
          phone: "call me",
          websiteUrl: "",
          sortOrder: "1",
        }),
        "the agency form",
        400,
      );
      expect(agency).toContain("請輸入名稱");
      expect(agency).toContain("電話請以數字");
      expect(agency).toContain('value="call me"');
      expect(agency).toContain('href="#agency-nameZh"');

      const billType = await page(
        await post(admin, "/back-office/catalogue/police/bill-types/new", {
          code: "speeding-fine",
          nameZh: "超速罰鍰",
          nameEn: "Speeding fine",
          category: "fine",
          subjectKind: "vehicle_plate",
          collectionItemCode: "7",
          writeOffPrefix: "SP",
          writeOffLength: "6",
          writeOffCharset: "digits",
          writeOffCheck: "mod10-137",
          writeOffHintZh: "右上角",
          writeOffHintEn: "",
        }),
        "the bill type form",
        400,
      );
      expect(billType).toContain("代收項目代碼為 3 個大寫英文字母或數字");
      expect(billType).toContain("請至少選擇一種支付工具");
      expect(billType).toContain("請輸入編號印製位置");
      expect(billType).toContain('value="超速罰鍰"');

      const agency2 = await page(
        await post(admin, "/back-office/catalogue", { code: "9fire", kind: "", nameZh: "消防局", nameEn: "Fire", sortOrder: "3" }),
        "the new agency form",
        400,
      );
      expect(agency2).toContain("代碼為 2 到 32 個小寫英文字母");
      expect(agency2).toContain("請選擇機關類型");
      expect(agency2).toContain('value="消防局"');
      const added = await post(admin, "/back-office/catalogue", {
        code: "fire",
        kind: "city_government",
        nameZh: "臺中市政府消防局",
        nameEn: "Fire Bureau",
        sortOrder: "30",
      });
      expect(added.status).toBe(303);
      expect(await page(await get(admin, added.headers.get("location")!), "the new agency", 200)).toContain("已新增機關 fire");
      expect(
        await page(
          await post(admin, "/back-office/catalogue", { code: "fire", kind: "city_government", nameZh: "x", nameEn: "x", sortOrder: "1" }),
          "again",
          400,
        ),
      ).toContain("已有機關使用這個代碼");

      const receiver = await page(
        await post(admin, "/back-office/catalogue/police/integration", {
          intent: "save-receiver",
          url: "javascript:alert(1)",
          enabled: "on",
        }),
        "the receiver form",
        400,
      );
      expect(receiver).toContain("請輸入 http:// 或 https:// 開頭");
      expect(receiver).toContain('value="javascript:alert(1)"');
      for (const [fields, text] of [
        [{ intent: "rotate-key", keyId: "police.aaaaaaaaaaaaaaaa", overlapDays: "99" }, "重疊期請輸入所示上限內的整數天數"],
        [{ intent: "issue-key", label: "x".repeat(61) }, "標籤最多 60 字"],
        [{ intent: "redeliver", noticeId: "not-a-notice" }, "該通知不屬於此機關"],
        [{ intent: "confirm-credential", credential: "not json" }, "無法讀取通行金鑰的回應"],
      ] as const) {
        expect(await page(await post(admin, "/back-office/catalogue/police/integration", fields), fields.intent, 400)).toContain(text);
      }
      await page(await post(admin, "/back-office/catalogue/police/integration", { intent: "nonsense" }), "an unknown intent", 400);
    });

    it("issues an API key after a passkey-signed confirmation, shows its secret once, then lists it without", async () => {
      const path = "/back-office/catalogue/police/integration";
      const prepare = async () => {
        const prepared = await admin.browser.request(
          `${origin}${path}?_data=${encodeURIComponent("routes/back-office.catalogue.$agency.integration")}`,
          {
            method: "POST",
            headers: { origin, "content-type": FORM },
            body: new URLSearchParams({ intent: "issue-key", label: "billing" }),
          },
        );
        const { answer } = (await prepared.json()) as {
          answer: { stage: string; options: Parameters<SoftwareAuthenticator["authenticate"]>[0] };
        };
        expect(answer.stage).toBe("confirm");
        return answer.options;
      };
      // Signed by someone else's passkey: refused (and the challenge is spent).
      const forged = JSON.stringify(handler.authenticator.authenticate(await prepare()));
      expect(
        await page(await post(admin, path, { intent: "confirm-credential", credential: forged }), "a forged signature", 400),
      ).toContain("這把通行金鑰不是您的");
      const credential = JSON.stringify(admin.authenticator.authenticate(await prepare()));
      const shown = await page(await post(admin, path, { intent: "confirm-credential", credential }), "the signed issue", 200);
      expect(shown).toContain("API 金鑰已核發");
      const keyId = /police\.[a-z2-7]{16}/.exec(shown)![0];
      const secret = /<dd><code class="identifier">([A-Za-z0-9_-]{43})<\/code><\/dd>/.exec(shown)![1]!;
      const listed = await page(await get(admin, path), "the page again", 200);
      expect(listed).toContain(keyId);
      expect(listed).toContain("使用中");
      expect(listed).not.toContain(secret);
      // The same signed answer cannot issue a second key.
      await page(await post(admin, path, { intent: "confirm-credential", credential }), "the answer again", 400);
    });
  });
}
