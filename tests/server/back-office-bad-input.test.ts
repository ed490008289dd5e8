import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seeded } from "../fuzz/fuzz.mjs";
import { TEST_DATABASES } from "../support/databases";
import { waitFor } from "../support/portal-process.mjs";
import { signIn, startBackOfficePortal, type SignedIn } from "../support/back-office-browser";
import type { SoftwareAuthenticator } from "../support/software-authenticator";

/**
 * Bad input to the back office, met by the built server with staff signed in
 * (and their passkeys registered) as a browser would: every search, detail
 * and action answers a mistake with a 4xx or with its own form's error
 * summary, never a 5xx, and logs it below error level. One portal per
 * database; the cases are a fixed list plus a small seeded fuzz.
 */

type Portal = Awaited<ReturnType<typeof startBackOfficePortal>>["portal"];

const FORM = "application/x-www-form-urlencoded";
const UNKNOWN_UUID = "7c0e7f43-6f0b-4d8e-9a51-0f4a3c2d1e90";
const NOT_IDS = [
  "not-a-uuid",
  "1",
  "0",
  "-1",
  "%00",
  "%C3%28",
  "%E4%B8%AD%E6%96%87",
  "x".repeat(400),
  "'%20OR%201=1--",
  "..%2F..%2Fetc",
  UNKNOWN_UUID,
];

/** Query values no form of the back office sends: percent-escapes go into the address as they are. */
const ODD_VALUES = [
  "",
  "%00",
  "a%00b",
  "%C3%28",
  "%FF",
  "%ED%A0%80",
  "%",
  "%ZZ",
  "%E4%B8%AD%E6%96%87",
  "%F0%9F%92%B8",
  "%27%20OR%201%3D1%20--",
  "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
  "-1",
  "0",
  "1e309",
  "NaN",
  "99999999999999999999",
  "9007199254740991",
  "0000-00-00",
  "0001-01-01",
  "9999-12-31",
  "2026-02-30",
  "2026-13-01",
  "%2B275760-09-13",
  "x".repeat(5_000),
  "%E4%B8%AD".repeat(1_500),
];

/** Fields no page reads, some with names that mean something elsewhere (Remix's `_data` and `index`, a prototype). */
const STRAY_FIELDS = ["_data", "index", "__proto__", "中文"];

/** Each search page and the query fields its GET form (and its paging) read. */
const SEARCHES: Array<{ path: string; fields: string[]; as: StaffName }> = [
  {
    path: "/back-office/payments",
    fields: ["writeOffNumber", "reference", "receiptNumber", "providerTransactionId", "from", "to", "status", "tool", "channel", "page"],
    as: "police-handler",
  },
  { path: "/back-office/audit", fields: ["text", "actorType", "action", "from", "to", "before"], as: "auditor" },
  { path: "/back-office/mail", fields: ["state", "kind", "from", "to", "page"], as: "auditor" },
  { path: "/back-office/audit.csv", fields: ["text", "actorType", "action", "from", "to", "before"], as: "auditor" },
  { path: "/back-office/inbox", fields: ["status", "topic", "page"], as: "police-handler" },
  { path: "/back-office/duplicates", fields: ["state", "page"], as: "police-handler" },
  { path: "/back-office/statements", fields: ["agency", "page"], as: "police-handler" },
  { path: "/back-office/statistics", fields: ["month"], as: "police-handler" },
  { path: "/back-office/statistics.csv", fields: ["month"], as: "auditor" },
  { path: "/back-office/refunds", fields: ["state", "page"], as: "police-handler" },
  { path: "/back-office/proxies", fields: ["page"], as: "police-handler" },
  { path: "/back-office/staff", fields: ["page"], as: "city-admin" },
  { path: "/back-office/settings", fields: ["page"], as: "city-admin" },
  { path: "/back-office/catalogue/police", fields: ["saved"], as: "city-admin" },
  { path: "/back-office/catalogue/police/integration", fields: ["before"], as: "auditor" },
  { path: "/back-office", fields: ["page"], as: "auditor" },
  { path: "/back-office/reconciliation", fields: ["page"], as: "police-accounting" },
  { path: "/back-office/reconciliation/2026-12-01", fields: ["resolved"], as: "police-accounting" },
];

const UNREADABLE: Array<[string, string, string]> = [
  ["JSON", "application/json", '{"intent":"verify"}'],
  ["plain text", "text/plain", "intent=verify"],
  ["XML", "application/xml", '<?xml version="1.0"?><form><intent>verify</intent></form>'],
  ["no type", "", "intent=verify"],
  [
    "multipart with another boundary",
    "multipart/form-data; boundary=aaa",
    '--bbb\r\nContent-Disposition: form-data; name="intent"\r\n\r\nverify\r\n--bbb--\r\n',
  ],
  [
    "multipart without a boundary",
    "multipart/form-data",
    '--x\r\nContent-Disposition: form-data; name="intent"\r\n\r\nverify\r\n--x--\r\n',
  ],
  ["multipart cut short", "multipart/form-data; boundary=x", '--x\r\nContent-Disposition: form-data; name="intent"\r\n\r\nverify'],
];

type StaffName = "police-handler" | "police-accounting" | "auditor" | "city-admin";

for (const kind of TEST_DATABASES) {
  describe(`the back office's bad input [${kind.name}]`, () => {
    let portal: Portal;
    let origin: string;
    const staff = {} as Record<StaffName, SignedIn>;
    /** Every answer checked so far, by the request id the portal gave it. */
    const answered: Array<{ label: string; requestId: string }> = [];
    /** How much of the portal's output earlier checks have read. */
    let checkedUpTo = 0;

    beforeAll(async () => {
      ({ portal, origin } = await startBackOfficePortal(kind.name));
      for (const name of ["police-handler", "police-accounting", "auditor", "city-admin"] as const)
        staff[name] = await signIn(origin, name);
    }, 180_000);
    afterAll(async () => {
      await portal?.stop();
    });

    /**
     * The answer is a client's mistake or a page, never the server's failure;
     * an HTML answer is a whole page in the back office's or the portal's words
     * with no stack trace.
     */
    async function expectHandled(response: Response, label: string, allowed: (status: number) => boolean = () => true) {
      const body = await response.text();
      expect(response.status, `${label}: ${body.slice(0, 300)}`).toBeLessThan(500);
      expect(allowed(response.status), `${label}: status ${response.status}`).toBe(true);
      if ((response.headers.get("content-type") ?? "").startsWith("text/html")) {
        expect(body, label).toMatch(/^<!DOCTYPE html>/i);
        expect(body, label).toContain("</html>");
      }
      expect(body, label).not.toMatch(/at \S+ \(|node_modules|TypeError|RangeError/);
      answered.push({ label, requestId: response.headers.get("x-request-id")! });
      return body;
    }

    /** No line of the requests answered so far is at error level (50) or fatal (60). */
    async function expectNoErrorLogged() {
      const lines = () => portal.output().slice(checkedUpTo).split("\n");
      const completed = () =>
        new Set(
          lines()
            .filter((line) => /"msg":"request (completed|errored)"/.test(line))
            .map((line) => /"req":\{"id":"([^"]+)"/.exec(line)?.[1]),
        );
      await waitFor(() => {
        const done = completed();
        return answered.every(({ requestId }) => done.has(requestId));
      }, 10_000);
      const errors = lines()
        .filter((line) => /"level":(50|60)/.test(line))
        .map((line) => `${answered.find(({ requestId }) => line.includes(requestId))?.label ?? "(no request)"}: ${line.slice(0, 600)}`);
      answered.length = 0;
      checkedUpTo = portal.output().length;
      expect(errors).toEqual([]);
    }

    const get = (who: StaffName, path: string, headers: Record<string, string> = {}) =>
      staff[who].browser.request(`${origin}${path}`, { headers });
    const post = (who: StaffName, path: string, body: BodyInit | null, headers: Record<string, string> = {}) =>
      staff[who].browser.request(`${origin}${path}`, { method: "POST", headers: { origin, "content-type": FORM, ...headers }, body });
    const form = (fields: Record<string, string>) => new URLSearchParams(fields);

    it("signed every staff member in with a passkey, and each reaches their own pages", async () => {
      for (const { path, as } of SEARCHES) {
        const response = await get(as, path);
        expect(response.status, `${as} at ${path}`).toBe(200);
        await expectHandled(response, `${path} as ${as}`);
      }
    });

    it("answers garbage, overlong, repeated, unicode and out-of-range search parameters with a page or a 400, never a 5xx", async () => {
      for (const { path, fields, as } of SEARCHES) {
        for (const field of [...fields, ...STRAY_FIELDS]) {
          // A field's odd values at once: the portal answers each on its own, and the sweep stays short. A field no
          // page reads gets a few of them: what matters there is that it is ignored, not how each value is.
          const values = fields.includes(field) ? ODD_VALUES : ODD_VALUES.filter((_, i) => i % 5 === 0);
          await Promise.all(
            values.map(async (value) => {
              const response = await get(as, `${path}?${field}=${value}`);
              await expectHandled(
                response,
                `${path}?${field}=${value.slice(0, 40)}`,
                (status) => status === 200 || (status >= 400 && status < 500),
              );
            }),
          );
          // Repeated: the first is the one read, the rest must not matter.
          await expectHandled(await get(as, `${path}?${field}=a&${field}=%00&${field}=${"9".repeat(30)}`), `${path} repeated ${field}`);
        }
        // All at once, each field wrong.
        const all = fields.map((field) => `${field}=%27%3B%20drop%20table%20staff%3B--`).join("&");
        await expectHandled(await get(as, `${path}?${all}`), `${path} all fields SQL-ish`);
      }
      await expectNoErrorLogged();
    }, 120_000);

    it("refuses a search it cannot run with 400 and a page that says what to fix, keeping what was typed", async () => {
      const payments = await get("police-handler", "/back-office/payments?from=2026-02-30&status=%E4%B8%AD");
      expect(payments.status).toBe(400);
      const paymentsPage = await expectHandled(payments, "payments with a bad date");
      expect(paymentsPage).toContain('class="error-summary"');
      expect(paymentsPage).toContain('href="#search-from"');
      expect(paymentsPage).toContain('value="2026-02-30"');
      const audit = await get("auditor", "/back-office/audit?to=9999-99-99&action=DROP%20TABLE");
      expect(audit.status).toBe(400);
      expect(await expectHandled(audit, "audit with a bad date")).toContain('class="error-summary"');
      await expectNoErrorLogged();
    });

    it("answers ids that are not ids, and unknown ones, with 404 in the back office's words", async () => {
      for (const id of NOT_IDS) {
        for (const [who, path] of [
          ["police-handler", `/back-office/payments/${id}`],
          ["police-handler", `/back-office/inbox/${id}`],
          ["police-handler", `/back-office/refunds/${id}`],
          ["city-admin", `/back-office/staff/${id}`],
          ["police-accounting", `/back-office/reconciliation/${id}`],
        ] as const) {
          const response = await get(who, path);
          // Escapes that are not UTF-8 make no path at all: 400.
          const expected = id === "%C3%28" ? 400 : 404;
          const body = await expectHandled(response, path.slice(0, 80), (status) => status === expected);
          expect(body, path).toMatch(expected === 404 ? /查無此頁/ : /無法處理這個要求/);
          // The same for every action on it: nothing to act on.
          const acted = await post(who, path, form({ intent: "reveal-prepare", reason: "resident_enquiry", detail: "" }));
          await expectHandled(acted, `POST ${path.slice(0, 80)}`, (status) => status === expected);
        }
      }
      await expectNoErrorLogged();
    });

    it("answers a mail id that is not one, or unknown, with 404 in the back office's words", async () => {
      for (const id of NOT_IDS) {
        const path = `/back-office/mail/${id}`;
        const response = await get("auditor", path);
        const expected = id === "%C3%28" ? 400 : 404;
        const body = await expectHandled(response, path.slice(0, 80), (status) => status === expected);
        expect(body, path).toMatch(expected === 404 ? /查無此頁/ : /無法處理這個要求/);
      }
      await expectNoErrorLogged();
    });

    it("answers a statement download that is not one, or not in reach, with 404", async () => {
      for (const id of NOT_IDS) {
        for (const path of [
          `/back-office/statements/police/${id}`,
          `/back-office/statements/${id}/2026-11-20.csv`,
          `/back-office/statements/police/2026-11-20.${id}`,
        ]) {
          const expected = id === "%C3%28" ? 400 : 404;
          await expectHandled(await get("police-handler", path), path.slice(0, 80), (status) => status === expected);
        }
      }
      for (const value of ODD_VALUES)
        await expectHandled(
          await get("police-handler", `/back-office/statements/police/2026-11-20.pdf?version=${value}`),
          `version=${value.slice(0, 40)}`,
          (status) => status === 404,
        );
      // Another agency's day: answered as one that does not exist.
      await expectHandled(
        await get("police-handler", "/back-office/statements/water/2026-11-20.json"),
        "water's statement",
        (status) => status === 404,
      );
      await expectNoErrorLogged();
    });

    it("answers a body that is not a form with 400 on every action", async () => {
      const actions: Array<[StaffName, string]> = [
        ...(await actionsWithIntents()),
        ["police-handler", `/back-office/payments/${UNKNOWN_UUID}`],
        ["city-admin", "/back-office/staff"],
        ["police-handler", "/back-office/passkey"],
        ["police-handler", "/back-office/login"],
      ];
      for (const [who, path] of actions) {
        for (const [name, type, body] of UNREADABLE) {
          const response = await post(who, path, body, { "content-type": type });
          await expectHandled(response, `${name} to ${path}`, (status) => status === 400);
        }
      }
      await expectNoErrorLogged();
    });

    it("answers a missing or unknown intent with 400", async () => {
      for (const [who, path] of await actionsWithIntents()) {
        for (const intent of [null, "", "nope", "VERIFY", "reveal", "%00", "中文", "x".repeat(10_000)]) {
          const body = new URLSearchParams(intent === null ? {} : { intent });
          const response = await post(who, path, body);
          await expectHandled(response, `intent ${String(intent).slice(0, 20)} to ${path}`, (status) => status === 400);
        }
      }
      // Sign-out and keep-alive take no fields: whatever is sent is not read.
      await expectHandled(await post("auditor", "/back-office/keep-alive", "intent=%00&x=%ZZ"), "keep-alive", (status) => status === 200);
      await expectNoErrorLogged();
    });

    it("answers wrong values in the inbox's work forms with the form's own error summary", async () => {
      const message = await aMessage();
      const path = `/back-office/inbox/${message}`;
      const cases: Array<Record<string, string>> = [
        { intent: "status", status: "deleted" },
        { intent: "status", status: "" },
        { intent: "status", status: "%00" },
        { intent: "note", note: "" },
        { intent: "note", note: "\u0000".repeat(10) },
        { intent: "note", note: "長".repeat(20_000) },
        { intent: "reply", reply: "", channel: "email" },
        { intent: "reply", reply: "好的，我們會處理。", channel: "carrier-pigeon" },
        { intent: "reply", reply: "\uD800\uDFFF\uD800", channel: "" },
      ];
      for (const fields of cases) {
        const response = await post("police-handler", path, form(fields));
        const body = await expectHandled(response, `inbox ${JSON.stringify(fields).slice(0, 60)}`, (status) => status === 400);
        expect(body, JSON.stringify(fields).slice(0, 60)).toContain('class="error-summary"');
      }
      await expectNoErrorLogged();
    });

    it("refuses a reveal with a garbage or forged passkey answer, and a reason that is not one", async () => {
      const message = await aMessage();
      const path = `/back-office/inbox/${message}`;
      for (const fields of [
        { intent: "reveal-prepare" },
        { intent: "reveal-prepare", reason: "curiosity", detail: "" },
        { intent: "reveal-prepare", reason: "other", detail: "x" },
        { intent: "reveal-prepare", reason: "other", detail: "說明".repeat(2_000) },
      ] as Array<Record<string, string>>) {
        const response = await post("police-handler", path, form(fields));
        const body = await expectHandled(response, `reveal ${JSON.stringify(fields).slice(0, 60)}`, (status) => status === 200);
        expect(body).toContain('class="error-summary"');
      }
      const garbage = [
        "",
        "not json",
        "null",
        "[]",
        "{}",
        '{"id":1}',
        '{"response":{"clientDataJSON":"%%%"}}',
        JSON.stringify({
          id: "x",
          rawId: "x",
          type: "public-key",
          response: { clientDataJSON: "AAAA", authenticatorData: "", signature: "" },
        }),
        `{"deep":${"[".repeat(5_000)}${"]".repeat(5_000)}}`,
      ];
      for (const credential of garbage) {
        const response = await post("police-handler", path, form({ intent: "reveal-confirm", credential }));
        const body = await expectHandled(response, `reveal-confirm ${credential.slice(0, 40)}`, (status) => status === 200);
        expect(body, credential.slice(0, 40)).not.toContain("resident@example.tw");
      }
      // A real signature, over another challenge than the one handed out.
      const prepared = await post(
        "police-handler",
        `${path}?_data=${encodeURIComponent("routes/back-office.inbox.$messageId")}`,
        form({ intent: "reveal-prepare", reason: "resident_enquiry", detail: "" }),
      );
      const { reveal } = (await prepared.json()) as {
        reveal: { stage: string; options: Parameters<SoftwareAuthenticator["authenticate"]>[0] };
      };
      expect(reveal.stage).toBe("confirm");
      const forged = staff["police-handler"].authenticator.authenticate(reveal.options, {
        challenge: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      });
      const refused = await post("police-handler", path, form({ intent: "reveal-confirm", credential: JSON.stringify(forged) }));
      expect(await expectHandled(refused, "forged reveal", (status) => status === 200)).not.toContain("resident@example.tw");
      await expectNoErrorLogged();
    });

    it("answers bad datetimes and choices in the proxy forms with the form's error summary", async () => {
      const colleague = await staffIdOf("police-handler-2");
      const cityAdmin = await staffIdOf("city-admin");
      const handler = await staffIdOf("police-handler");
      const good = {
        intent: "set-proxy",
        proxyId: colleague,
        grant: "handler:police",
        startsAt: "2030-01-01T09:00",
        endsAt: "2030-01-05T17:00",
      };
      const bad: Array<Partial<typeof good>> = [
        { startsAt: "" },
        { startsAt: "2030-02-30T09:00" },
        { startsAt: "2030-01-01T25:00" },
        { startsAt: "2030-01-01T09:60" },
        { startsAt: "0000-01-01T00:00" },
        { startsAt: "9999-12-31T23:59", endsAt: "9999-12-31T23:59" },
        { endsAt: "+275760-09-13T00:00" },
        { endsAt: "2030-01-01" },
        { endsAt: "1 January 2030" },
        { endsAt: "2029-12-31T09:00" },
        { startsAt: "2020-01-01T09:00", endsAt: "2020-01-02T09:00" },
        { startsAt: "2030-01-01T09:00", endsAt: "2099-01-01T09:00" },
        { proxyId: "" },
        { proxyId: "not-a-uuid" },
        { proxyId: UNKNOWN_UUID },
        { proxyId: handler },
        { proxyId: cityAdmin },
        { grant: "" },
        { grant: "handler" },
        { grant: "city_admin:police" },
        { grant: "handler:water" },
        { grant: "handler:%00" },
        { grant: "handler:police:extra" },
      ];
      for (const change of bad) {
        const fields = { ...good, ...change };
        for (const [who, path] of [
          ["police-handler", "/back-office/proxies"],
          ["city-admin", `/back-office/staff/${handler}`],
        ] as const) {
          const response = await post(who, path, form(fields));
          const body = await expectHandled(response, `proxy ${JSON.stringify(change)} at ${path}`, (status) => status === 400);
          expect(body, JSON.stringify(change)).toContain('class="error-summary"');
        }
      }
      for (const periodId of ["", "not-a-uuid", UNKNOWN_UUID, "%00"]) {
        for (const [who, path] of [
          ["police-handler", "/back-office/proxies"],
          ["city-admin", `/back-office/staff/${handler}`],
        ] as const) {
          const response = await post(who, path, form({ intent: "revoke-proxy", periodId }));
          await expectHandled(response, `revoke-proxy ${periodId} at ${path}`, (status) => status === 200 || status === 400);
        }
      }
      await expectNoErrorLogged();
    });

    it("answers bad roles, agencies and staff in the administrator's forms with the form's error summary or a 400", async () => {
      const handler = await staffIdOf("police-handler");
      const path = `/back-office/staff/${handler}`;
      for (const fields of [
        { intent: "grant-role" },
        { intent: "grant-role", role: "god", agencyCode: "police" },
        { intent: "grant-role", role: "handler", agencyCode: "" },
        { intent: "grant-role", role: "handler", agencyCode: "nowhere" },
        { intent: "grant-role", role: "handler", agencyCode: "water" },
        { intent: "grant-role", role: "handler", agencyCode: "police" },
        { intent: "grant-role", role: "auditor", agencyCode: "police" },
        { intent: "grant-role", role: "%00", agencyCode: "%00" },
        { intent: "grant-role", role: "handler".repeat(2_000), agencyCode: "police" },
      ] as Array<Record<string, string>>) {
        const response = await post("city-admin", path, form(fields));
        const body = await expectHandled(response, `grant ${JSON.stringify(fields).slice(0, 80)}`, (status) => status === 400);
        expect(body, JSON.stringify(fields).slice(0, 80)).toContain('class="error-summary"');
      }
      for (const grantId of ["", "not-a-uuid", UNKNOWN_UUID, "%00"]) {
        const response = await post("city-admin", path, form({ intent: "revoke-role", grantId }));
        await expectHandled(response, `revoke-role ${grantId}`, (status) => status === 400);
      }
      // The administrator cannot lock themselves out.
      const self = await post("city-admin", `/back-office/staff/${await staffIdOf("city-admin")}`, form({ intent: "deactivate" }));
      await expectHandled(self, "deactivate oneself", (status) => status === 400);

      for (const fields of [
        {},
        { subject: "", displayName: "", agencyCode: "" },
        { subject: "%00", displayName: "\u0000", agencyCode: "police" },
        { subject: "st-police-handler", displayName: "重複", agencyCode: "police" },
        { subject: "x".repeat(5_000), displayName: "名".repeat(5_000), agencyCode: "police" },
        { subject: "st-new-1", displayName: "新人", agencyCode: "nowhere" },
        { subject: "' OR 1=1 --", displayName: "<script>", agencyCode: "'; drop table staff; --" },
      ] as Array<Record<string, string>>) {
        const response = await post("city-admin", "/back-office/staff", form(fields));
        const body = await expectHandled(response, `new staff ${JSON.stringify(fields).slice(0, 80)}`, (status) => status === 400);
        expect(body, JSON.stringify(fields).slice(0, 80)).toContain('class="error-summary"');
      }
      await expectNoErrorLogged();
    });

    it("answers wrong fields and files in the reconciliation forms with the form's own error summary, keeping what was typed", async () => {
      const upload = (fields: Record<string, string>, file?: { name: string; content: BlobPart }) => {
        const body = new FormData();
        body.set("intent", "upload");
        for (const [name, value] of Object.entries(fields)) body.set(name, value);
        if (file) body.set("file", new File([file.content], file.name, { type: "text/csv" }));
        // fetch writes the multipart boundary into the content type itself.
        return staff["police-accounting"].browser.request(`${origin}/back-office/reconciliation`, {
          method: "POST",
          headers: { origin },
          body,
        });
      };
      const page = await expectHandled(await get("police-accounting", "/back-office/reconciliation"), "reconciliation page");
      expect(page).toMatch(/enctype="multipart\/form-data"/i);
      const good = { provider: "line_pay", businessDate: "2026-11-03" };
      const cases: Array<{ fields: Record<string, string>; file?: { name: string; content: BlobPart }; fieldIds: string[] }> = [
        { fields: good, fieldIds: ["reconciliation-upload-file"] },
        {
          fields: { provider: "paypal", businessDate: "2026-02-30" },
          fieldIds: ["reconciliation-upload-provider", "reconciliation-upload-businessDate", "reconciliation-upload-file"],
        },
        {
          fields: { provider: "%00", businessDate: "9999-12-31" },
          file: { name: "a.csv", content: "x" },
          fieldIds: ["reconciliation-upload-provider", "reconciliation-upload-businessDate"],
        },
        { fields: good, file: { name: "empty.csv", content: "" }, fieldIds: ["reconciliation-upload-file"] },
        {
          fields: good,
          file: { name: "report.csv", content: 'Transaction Date,Amount\r\n2026-12-01 10:00:00,"1800\r\n' },
          fieldIds: ["reconciliation-upload-file"],
        },
        { fields: good, file: { name: "report.csv", content: "CheckMacValue Error" }, fieldIds: ["reconciliation-upload-file"] },
        {
          fields: good,
          file: { name: "report.csv", content: new Uint8Array([0x80, 0xff, 0x00, 0x0a]) },
          fieldIds: ["reconciliation-upload-file"],
        },
        {
          fields: { ...good, provider: "ecpay" },
          file: { name: "x.pdf", content: "%PDF-1.7\n%\u00e2\u00e3" },
          fieldIds: ["reconciliation-upload-file"],
        },
      ];
      for (const { fields, file, fieldIds } of cases) {
        const label = `upload ${JSON.stringify(fields)} ${file?.name ?? "no file"}`;
        const body = await expectHandled(await upload(fields, file), label, (status) => status === 400);
        expect(body, label).toContain('class="error-summary"');
        for (const id of fieldIds) expect(body, `${label}: ${id}`).toContain(`href="#${id}"`);
        if (fields.businessDate === good.businessDate) expect(body, label).toContain(`value="${good.businessDate}"`);
      }
      // Past the form's limit the body is not read at all.
      const huge = await upload(good, { name: "huge.csv", content: "x".repeat(7 * 1024 * 1024) });
      await expectHandled(huge, "an upload over the limit", (status) => status === 413);
      // A real report of a day without payments: taken, and the day has its page.
      const header =
        "Transaction Date,Transaction Type,Transaction ID,Original Transaction ID,Order ID,Payment Method,Currency,Amount,Fee,Settlement Amount";
      const done = await expectHandled(
        await upload(good, { name: "report.csv", content: `\uFEFF${header}\r\n` }),
        "a good upload",
        (status) => status === 200,
      );
      expect(done).toContain(`href="/back-office/reconciliation/${good.businessDate}"`);
      await expectHandled(
        await get("police-accounting", `/back-office/reconciliation/${good.businessDate}`),
        "the day",
        (status) => status === 200,
      );
      // Resolving what is not there, or with nothing to say.
      for (const fields of [
        { intent: "resolve" },
        { intent: "resolve", itemId: "1", note: "" },
        { intent: "resolve", itemId: "-1", note: "x" },
        { intent: "resolve", itemId: "99999999999999999999", note: "x" },
        { intent: "resolve", itemId: "%00", note: "\u0000" },
      ] as Array<Record<string, string>>) {
        const response = await post("police-accounting", `/back-office/reconciliation/${good.businessDate}`, form(fields));
        await expectHandled(response, `resolve ${JSON.stringify(fields)}`, (status) => status === 404);
      }
      // Staff without the work permission are refused the forms.
      const asAuditor = await staff.auditor.browser.request(`${origin}/back-office/reconciliation`, {
        method: "POST",
        headers: { origin, "content-type": FORM },
        body: form({ intent: "fetch", ...good }),
      });
      await expectHandled(asAuditor, "fetch as the auditor", (status) => status === 403);
      await expectNoErrorLogged();
    }, 120_000);

    it("answers a seeded fuzz of search parameters and form fields with no 5xx", async () => {
      const random = seeded(2026);
      const message = await aMessage();
      const handler = await staffIdOf("police-handler");
      const forms: Array<{ who: StaffName; path: string; fields: string[]; intents: string[] }> = [
        { who: "auditor", path: "/back-office/audit", fields: ["intent"], intents: ["verify"] },
        {
          who: "police-handler",
          path: "/back-office/proxies",
          fields: ["intent", "proxyId", "grant", "startsAt", "endsAt", "periodId"],
          intents: ["set-proxy", "revoke-proxy"],
        },
        {
          who: "police-handler",
          path: `/back-office/inbox/${message}`,
          fields: ["intent", "status", "note", "reply", "channel", "reason", "detail", "credential"],
          intents: ["status", "note", "reply", "reveal-prepare", "reveal-confirm"],
        },
        {
          who: "city-admin",
          path: `/back-office/staff/${handler}`,
          fields: ["intent", "role", "agencyCode", "grantId", "proxyId", "grant", "startsAt", "endsAt", "periodId"],
          intents: ["grant-role", "revoke-role", "set-proxy", "revoke-proxy"],
        },
        { who: "city-admin", path: "/back-office/staff", fields: ["subject", "displayName", "agencyCode"], intents: [] },
      ];
      for (let i = 0; i < 150; i++) {
        const search = random.pick(SEARCHES);
        const query = Array.from({ length: random.int(1, 4) }, () => `${random.pick(search.fields)}=${random.pick(ODD_VALUES)}`).join("&");
        await expectHandled(await get(search.as, `${search.path}?${query}`), `fuzz GET ${search.path}?${query.slice(0, 60)}`);

        const target = random.pick(forms);
        const body = Array.from({ length: random.int(0, 5) }, () => {
          const field = random.pick(target.fields);
          const value =
            field === "intent" && target.intents.length > 0 && random.int(0, 1) === 0
              ? random.pick(target.intents)
              : random.pick(ODD_VALUES);
          return `${field}=${value}`;
        }).join("&");
        // Destructive intents are left out of the fuzz: it must not deactivate the staff it signs in as.
        await expectHandled(await post(target.who, target.path, body), `fuzz POST ${target.path} ${body.slice(0, 60)}`);
      }
      await expectNoErrorLogged();
    }, 120_000);

    /** The actions that tell their forms apart by `intent`, each with someone who may use it. */
    async function actionsWithIntents(): Promise<Array<[StaffName, string]>> {
      return [
        ["auditor", "/back-office/audit"],
        ["police-handler", "/back-office/proxies"],
        ["police-handler", `/back-office/inbox/${await aMessage()}`],
        ["city-admin", `/back-office/staff/${await staffIdOf("city-admin")}`],
        ["police-accounting", "/back-office/reconciliation"],
        ["police-accounting", "/back-office/reconciliation/2026-12-01"],
      ];
    }

    /** A contact message routed to the police (the handler's agency), written by a resident. */
    let messageId: string | undefined;
    async function aMessage(): Promise<string> {
      if (messageId) return messageId;
      const sent = await fetch(`${origin}/contact`, {
        method: "POST",
        redirect: "manual",
        headers: { origin, "content-type": FORM },
        body: form({
          topic: "bill_question",
          agency: "police",
          name: "測試居民",
          email: "resident@example.tw",
          phone: "",
          message: "請問這張罰單的繳費期限是什麼時候？",
        }),
      });
      expect(sent.status).toBe(303);
      const inbox = await get("police-handler", `/back-office/inbox?_data=${encodeURIComponent("routes/back-office.inbox._index")}`);
      const { items } = (await inbox.json()) as { items: Array<{ id: string }> };
      expect(items.length).toBeGreaterThan(0);
      messageId = items[0]!.id;
      return messageId;
    }

    /** A demo staff member's id, from the administrator's list. */
    let staffList: Array<{ id: string; subject: string }> | undefined;
    async function staffIdOf(username: string): Promise<string> {
      if (!staffList) {
        const list = await get("city-admin", `/back-office/staff?_data=${encodeURIComponent("routes/back-office.staff._index")}`);
        staffList = ((await list.json()) as { staff: Array<{ id: string; subject: string }> }).staff;
      }
      const found = staffList.find((member) => member.subject === `st-${username}`);
      expect(found, username).toBeTruthy();
      return found!.id;
    }
  });
}
