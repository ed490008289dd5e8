// Fuzzing the portal's form actions, provider callbacks and query strings
// over raw TCP: fetch and node:http would refuse or normalize most of what is
// sent here (bytes that are not UTF-8, CJK in a request line, broken
// multipart, half-written bodies). The inputs are a pure function of the seed;
// what the server answers is counted by status class, and any connection that
// ends without a whole answer is a drop.
import { execFileSync } from "node:child_process";
import net from "node:net";
import { ROOT } from "../support/portal-process.mjs";

/** xorshift32: the same inputs for the same seed, on any machine. */
export function seeded(seed) {
  let x = (Number(seed) >>> 0) ^ 0x9e3779b9 || 1;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => items[Math.floor(next() * items.length)],
    chance: (p) => next() < p,
  };
}

// ---- What a field's value can be -------------------------------------------------
// `escaped` goes into query strings and urlencoded bodies as it is (a broken
// percent-escape must stay broken); `text` is encoded the way a browser would.

const BAD_ESCAPES = [
  "%00",
  "a%00b",
  "%C3%28",
  "%FF",
  "%FE%FF",
  "%ED%A0%80",
  "%C0%AF",
  "%E0%A4%A",
  "%F0%9F%98",
  "%",
  "%4",
  "%ZZ",
  "100%",
  "%%",
  "%u4E2D",
  "%0D%0A",
  "%E2%80%A8",
];
const TEXTS = [
  "",
  " ",
  "繳費通中文測試",
  "林美芯",
  "💸🧾👍🏽👨‍👩‍👧",
  "\uD800",
  "a\uDFFFb",
  "\u0000",
  "x\u0000y",
  "\r\n\t\u0007\u001b",
  "\u202e\u200b\ufeff",
  "<script>alert(1)</script>",
  "' OR 1=1 --",
  "-1",
  "0",
  "1e309",
  "NaN",
  "99999999999999999999",
  "true",
  "null",
  "../../etc/passwd",
  "GF11500019",
  "P2601010000000000A",
];
const REDIRECTS = [
  "/",
  "/bills",
  "/中文",
  "/bills?中=文",
  "/💸",
  "/a b",
  "/\r\nSet-Cookie: x=1",
  "/\u2028",
  "/\u0000",
  "//evil.example",
  "/\\evil.example",
  "https://evil.example/",
  "/%0d%0aX: y",
  "/ä",
  "/\uD800",
];
const KEYS = ["__proto__", "constructor[prototype][x]", "a[]", "a[b][c]", "", "中文", "x".repeat(300)];

/** @returns {{ text?: string, escaped?: string }} */
function oddValue(r) {
  switch (r.int(0, 5)) {
    case 0:
      return { escaped: r.pick(BAD_ESCAPES) };
    case 1:
      return { escaped: `GF${r.pick(BAD_ESCAPES)}19` };
    case 2:
      return { text: r.pick(["A", "中", "💸", "%"]).repeat(r.pick([100, 2_001, 20_000, 70_000])) };
    default:
      return { text: r.pick(TEXTS) };
  }
}

// ---- The routes ------------------------------------------------------------------

const ECPAY_FIELDS = (f) => [
  ["MerchantID", "3002607"],
  ["MerchantTradeNo", f.orderReference],
  ["RtnCode", "1"],
  ["RtnMsg", "Succeeded"],
  ["TradeNo", "2601010000000001"],
  ["TradeAmt", "1800"],
  ["PaymentDate", "2026/01/01 10:00:00"],
  ["PaymentType", "Credit_CreditCard"],
  ["CheckMacValue", "0".repeat(64)],
];

/** Form posts: a browser's fields for each action, mutated below. */
const FORMS = [
  {
    name: "lookup",
    path: "/lookup/traffic-fine",
    fields: (f) => [
      ["intent", "lookup"],
      ["writeOffNumber", "GF11500019"],
      ["captchaToken", f.captchaToken],
      ["captchaAnswer", "12345"],
    ],
  },
  {
    name: "lookup-records",
    path: "/lookup/water-bill?for=records",
    fields: (f) => [
      ["writeOffNumber", "1150400000000012"],
      ["captchaToken", f.captchaToken],
      ["captchaAnswer", "00000"],
    ],
  },
  {
    name: "lookup-refresh",
    path: "/lookup/parking-fee",
    fields: (f) => [
      ["intent", "refresh"],
      ["writeOffNumber", "1150200000000018"],
      ["captchaToken", f.captchaToken],
    ],
  },
  { name: "lookup-unknown-type", path: "/lookup/%E4%B8%AD", fields: () => [["writeOffNumber", "1"]] },
  {
    name: "pay",
    path: "/pay",
    fields: (f) => [
      ["bill", f.billId],
      ["tool", "line_pay"],
      ["idempotencyKey", f.idempotencyKey()],
    ],
  },
  {
    name: "contact",
    path: "/contact",
    fields: () => [
      ["topic", "other"],
      ["name", "測試"],
      ["email", "fuzz@example.tw"],
      ["phone", "0912345678"],
      ["message", "這是一則測試訊息，內容足夠長。"],
    ],
  },
  {
    name: "language",
    path: "/language",
    fields: () => [
      ["lng", "en"],
      ["redirectTo", "/bills"],
    ],
  },
  {
    name: "scan",
    path: "/scan",
    fields: () => [
      ["barcode1", "150131GF3"],
      ["barcode2", "GF11500019"],
      ["barcode3", "0131001800"],
      ["source", "manual"],
    ],
  },
  {
    name: "bindings",
    path: "/account/bindings",
    fields: () => [
      ["intent", "add"],
      ["kind", "vehicle_plate"],
      ["value", "BKR-2046"],
      ["label", "車"],
    ],
  },
  { name: "logout", path: "/logout", fields: () => [] },
  { name: "keep-alive", path: "/account/keep-alive", fields: () => [] },
  { name: "payment-cancel", path: "/payments/P2601010000000000A", fields: () => [["intent", "cancel"]] },
  { name: "ecpay-notify", path: "/payments/callbacks/ecpay/notify", provider: true, fields: ECPAY_FIELDS },
  { name: "ecpay-return", path: "/payments/callbacks/ecpay/return", provider: true, fields: ECPAY_FIELDS },
];

/** Addresses with query strings: provider returns and the pages that read their query. */
const QUERIES = [
  {
    name: "line-pay-return",
    path: "/payments/callbacks/line-pay/return",
    query: (f) => [
      ["transactionId", "2026010100000000001"],
      ["orderId", f.orderReference],
    ],
  },
  {
    name: "line-pay-cancel",
    path: "/payments/callbacks/line-pay/cancel",
    query: (f) => [
      ["order", f.orderReference],
      ["transactionId", "2026010100000000001"],
      ["orderId", f.orderReference],
    ],
  },
  { name: "ecpay-cancel", path: "/payments/callbacks/ecpay/cancel", query: (f) => [["order", f.orderReference]] },
  {
    name: "q",
    path: "/q",
    query: () => [
      ["t", "traffic-fine"],
      ["n", "GF11500019"],
      ["e", "4102415999"],
      ["k", "police-demo"],
      ["s", "ki_8jFJxBWYryYgrRIJiKH"],
    ],
  },
  {
    name: "receipts-verify",
    path: "/receipts/verify",
    query: () => [
      ["n", "R20260101-ABCDEF"],
      ["s", "abc"],
    ],
  },
  { name: "captcha-image", path: "/captcha/image", query: (f) => [["token", f.captchaToken]] },
  {
    name: "captcha-audio",
    path: "/captcha/audio",
    query: (f) => [
      ["token", f.captchaToken],
      ["lng", "zh-TW"],
    ],
  },
  { name: "login", path: "/login", query: () => [["returnTo", "/account"]] },
  {
    name: "auth-callback",
    path: "/auth/callback",
    query: () => [
      ["code", "abc"],
      ["state", "xyz"],
    ],
  },
  { name: "contact-thanks", path: "/contact/thanks", query: () => [["ref", "FB-2026-0001"]] },
  { name: "pay-page", path: "/pay", query: (f) => [["bill", f.billId]] },
  { name: "lookup-page", path: "/lookup/traffic-fine", query: () => [["for", "records"]] },
  { name: "logged-out", path: "/logged-out", query: () => [["reason", "idle"]] },
  {
    name: "account-payments",
    path: "/account/payments",
    query: () => [
      ["from", "2026-01-01"],
      ["status", "paid"],
      ["page", "1"],
    ],
  },
];

const CONTENT_TYPES = [
  "urlencoded",
  "urlencoded",
  "urlencoded",
  "multipart",
  "multipart",
  "multipart-no-boundary",
  "multipart-wrong-boundary",
  "multipart-truncated",
  "multipart-garbage",
  "json",
  "json-broken",
  "text",
  "xml",
  "octet",
  "none",
  "urlencoded-charset",
  "urlencoded-but-json",
  "multipart-mixed",
];

const COOKIES = [
  (f) => f.cookie,
  () => "",
  () => "portal_session=%E0%A4%A",
  () => "portal_session=" + "a".repeat(6_000),
  () => "portal_session=eyJ.forged; portal_member=forged.signature",
  () => "portal_lng=xx-YY",
  (f) => `${f.cookie}; ${f.cookie}; portal_lng=en`,
  () => ";;;=;;; =x; portal_session",
  () => "portal_lng=中文",
  () => "portal_session=\u00ff\u00fe",
];

const METHODS = ["POST", "POST", "POST", "POST", "POST", "POST", "PUT", "PATCH", "DELETE", "GET", "HEAD", "OPTIONS", "PROPFIND", "FOO"];

// As a browser encodes a form: a lone surrogate becomes U+FFFD.
const escape = (value) => value.escaped ?? encodeURIComponent((value.text ?? "").toWellFormed()).replaceAll("%20", "+");
/** A value's bytes as sent raw (multipart, text): broken escapes turn into the bytes they stand for. */
const bytesOf = (value) =>
  value.escaped !== undefined
    ? Buffer.from(
        value.escaped.replace(/%([0-9A-Fa-f]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16))),
        "latin1",
      )
    : Buffer.from(value.text ?? "", "utf8");

function encodeBody(kind, fields, r) {
  const urlencoded = () => Buffer.from(fields.map(([k, v]) => `${escape({ text: k })}=${escape(v)}`).join("&"), "latin1");
  const boundary = `----fuzz${r.int(100000, 999999)}`;
  const multipart = (used) =>
    Buffer.concat([
      ...fields.map(([k, v]) =>
        Buffer.concat([
          Buffer.from(`--${used}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n`, "utf8"),
          bytesOf(v),
          Buffer.from("\r\n"),
        ]),
      ),
      Buffer.from(`--${used}--\r\n`),
    ]);
  const json = () => JSON.stringify(Object.fromEntries(fields.map(([k, v]) => [k, v.text ?? v.escaped])));
  switch (kind) {
    case "urlencoded":
      return { type: "application/x-www-form-urlencoded", body: urlencoded() };
    case "urlencoded-charset":
      return {
        type: `application/x-www-form-urlencoded; charset=${r.pick(["latin1", "bogus-8", "utf-16", "shift_jis", "\u00e4"])}`,
        body: urlencoded(),
      };
    case "urlencoded-but-json":
      return { type: "application/x-www-form-urlencoded", body: Buffer.from(json()) };
    case "multipart":
      return { type: `multipart/form-data; boundary=${boundary}`, body: multipart(boundary) };
    case "multipart-no-boundary":
      return { type: "multipart/form-data", body: multipart(boundary) };
    case "multipart-wrong-boundary":
      return { type: `multipart/form-data; boundary=${boundary}x`, body: multipart(boundary) };
    case "multipart-truncated": {
      const whole = multipart(boundary);
      return {
        type: `multipart/form-data; boundary=${boundary}`,
        body: whole.subarray(0, Math.max(1, Math.floor(whole.length * r.next()))),
      };
    }
    case "multipart-garbage":
      return {
        type: `multipart/form-data; boundary="${boundary}"`,
        body: Buffer.from(`--${boundary}\r\nContent-Disposition: form-data\r\n\r\n\u0000\u00ff--${boundary}`, "latin1"),
      };
    case "multipart-mixed":
      return { type: `multipart/mixed; boundary=${boundary}`, body: multipart(boundary) };
    case "json":
      return { type: "application/json", body: Buffer.from(json()) };
    case "json-broken":
      return { type: "application/json; charset=utf-8", body: Buffer.from(`{"lng": "en", "redirectTo": [1, {`) };
    case "text":
      return {
        type: "text/plain;charset=UTF-8",
        body: Buffer.concat(fields.map(([k, v]) => Buffer.concat([Buffer.from(`${k}=`), bytesOf(v), Buffer.from("\r\n")]))),
      };
    case "xml":
      return {
        type: r.pick(["application/xml", "text/xml"]),
        body: Buffer.from(
          `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><form>${fields.map(([k]) => `<${k || "x"}>&e;</${k || "x"}>`).join("")}</form>`,
        ),
      };
    case "octet":
      return { type: "application/octet-stream", body: Buffer.from(Array.from({ length: r.int(1, 400) }, () => r.int(0, 255))) };
    default:
      return { type: null, body: urlencoded() };
  }
}

/** Changes to a list of fields: a few at a time. */
function mutateFields(fields, r, notes, target) {
  let out = fields.map(([k, v]) => [k, { text: v }]);
  const times = r.int(0, 3);
  for (let i = 0; i < times; i++) {
    const op = r.int(0, 7);
    if (op <= 2 && out.length > 0) {
      const at = r.int(0, out.length - 1);
      const redirect = out[at][0] === "redirectTo" || out[at][0] === "returnTo";
      const value = redirect && r.chance(0.7) ? { text: r.pick(REDIRECTS) } : oddValue(r);
      out[at] = [out[at][0], value];
      notes.push(`${out[at][0]}=${describe(value)}`);
    } else if (op === 3 && out.length > 0) {
      const at = r.int(0, out.length - 1);
      notes.push(`without ${out[at][0]}`);
      out.splice(at, 1);
    } else if (op === 4 && out.length > 0) {
      const at = r.int(0, out.length - 1);
      // Bodies stay under 2 MB: the portal reads and drops bodies up to its limit, not beyond.
      const length = escape(out[at][1]).length + out[at][0].length + 2;
      const copies = Math.min(r.pick([2, 3, 50, 2_000]), Math.max(2, Math.floor(1_000_000 / length)));
      notes.push(`${out[at][0]} ×${copies}`);
      out = [...out, ...Array.from({ length: copies - 1 }, () => out[at])];
    } else if (op === 5) {
      const key = r.pick(KEYS);
      notes.push(`extra field ${JSON.stringify(key.slice(0, 20))}`);
      out.push([key, oddValue(r)]);
    } else if (op === 6 && target.name === "language") {
      const value = { text: r.pick(REDIRECTS) };
      out = out.filter(([k]) => k !== "redirectTo").concat([["redirectTo", value]]);
      notes.push(`redirectTo=${describe(value)}`);
    } else if (op === 7 && r.chance(0.15)) {
      const size = r.pick([30_000, 300_000, 1_500_000]);
      notes.push(`huge field (${size} bytes)`);
      out.push(["message", { text: "x".repeat(size) }]);
    }
  }
  return out;
}

function describe(value) {
  const shown = value.escaped ?? JSON.stringify(value.text);
  return shown.length > 40 ? `${shown.slice(0, 30)}… (${shown.length} chars)` : shown;
}

/**
 * A request as bytes, whatever they are: the request line and headers are
 * written as given (UTF-8), then Connection and the body's framing.
 * @param {{ method: string, path: string, headers: Array<[string, string]>, body?: Buffer, chunked?: boolean, keepAlive?: boolean, framed?: boolean }} request
 * @returns {RawRequest}
 */
export function rawRequest({ method, path, headers, body = Buffer.alloc(0), chunked = false, keepAlive = true, framed = body.length > 0 }) {
  const all = [...headers, ["Connection", keepAlive ? "keep-alive" : "close"]];
  if (framed) all.push(chunked ? ["Transfer-Encoding", "chunked"] : ["Content-Length", String(body.length)]);
  const head = Buffer.from(`${method} ${path} HTTP/1.1\r\n${all.map(([k, v]) => `${k}: ${v}`).join("\r\n")}\r\n\r\n`, "utf8");
  return { method, head, body, chunked, keepAlive };
}

/**
 * A request ready to send: its head as bytes (any byte may appear), the body, how it is sent.
 * @typedef {{ method: string, head: Buffer, body: Buffer, chunked: boolean, keepAlive: boolean }} RawRequest
 */

/**
 * One fuzz input: a request, the route it is aimed at, and what was done to it.
 * @typedef {RawRequest & { index: number, target: string, notes: string[] }} FuzzCase
 */

/**
 * @param {number} seed
 * @param {number} count
 * @param {{ host: string, cookie: string, captchaToken: string, billId: string, orderReference: string }} fixtures
 * @returns {Generator<FuzzCase>}
 */
function* fuzzCases(seed, count, fixtures) {
  const r = seeded(seed);
  let key = 0;
  const f = { ...fixtures, idempotencyKey: () => `00000000-0000-4000-8000-${String(++key).padStart(12, "0")}` };
  for (let index = 0; index < count; index++) {
    const notes = [];
    const form = r.chance(0.7);
    const target = form ? r.pick(FORMS) : r.pick(QUERIES);
    let method = form ? (r.chance(0.15) ? r.pick(METHODS) : "POST") : r.chance(0.1) ? r.pick(METHODS) : "GET";
    let path = target.path;
    let body = Buffer.alloc(0);
    let type = null;
    if (form) {
      const fields = mutateFields(target.fields(f), r, notes, target);
      const kind = r.chance(0.35) ? r.pick(CONTENT_TYPES) : "urlencoded";
      if (kind !== "urlencoded") notes.push(`as ${kind}`);
      ({ type, body } = encodeBody(kind, fields, r));
    } else {
      const query = mutateFields(target.query(f), r, notes, target);
      path += `?${query.map(([k, v]) => `${escape({ text: k })}=${escape(v)}`).join("&")}`;
    }
    if (r.chance(0.12)) {
      const extra = r.pick([
        "%",
        "&&&",
        "=",
        "a=%00",
        "a=%C3%28",
        "_data=routes%2Fcontact",
        "_data=%00",
        "index&index",
        "for=%FF",
        `x=${"y".repeat(9_000)}`,
        "a[b][c][d][e][f]=1",
        "a[]=1&a[]=2",
      ]);
      path += (path.includes("?") ? "&" : "?") + extra;
      notes.push(`query +${extra.slice(0, 30)}`);
    }
    if (r.chance(0.05)) {
      const raw = r.pick([
        "/lookup/%00",
        "/lookup/%C3%28",
        "/lookup/中文",
        "/lookup/traffic-fine%2F..%2F",
        "/%E0%A4%A",
        "/payments/%FF",
        "/payments/callbacks/ecpay/%00",
      ]);
      path = raw + (path.includes("?") ? path.slice(path.indexOf("?")) : "");
      notes.push(`path ${raw}`);
    }
    if (method !== (form ? "POST" : "GET")) notes.push(`method ${method}`);

    const headers = [["Host", fixtures.host]];
    if (r.chance(0.03)) {
      headers[0] = ["Host", r.pick(["evil.example", "中文.example", "", "127.0.0.1:1"])];
      notes.push(`Host ${headers[0][1]}`);
    }
    if (type !== null) headers.push(["Content-Type", type]);
    const cookie = r.pick(COOKIES)(f);
    if (cookie) headers.push(["Cookie", cookie]);
    if (cookie !== f.cookie) notes.push(`cookie ${JSON.stringify(cookie.slice(0, 30))}`);
    // A browser's form post names its origin; the fuzzer sometimes does not, or lies.
    if (form && !target.provider) {
      const origin = r.int(0, 9);
      if (origin <= 5) headers.push(["Origin", `http://${fixtures.host}`]);
      else if (origin === 6) {
        headers.push(["Origin", r.pick(["null", "https://evil.example", "http://中文", "not a url"])]);
        notes.push(`origin ${headers.at(-1)[1]}`);
      } else if (origin === 7) {
        headers.push(["Sec-Fetch-Site", r.pick(["same-origin", "cross-site", "none"])]);
        notes.push(`no origin, Sec-Fetch-Site ${headers.at(-1)[1]}`);
      } else if (origin === 8) {
        headers.push(["Referer", r.pick([`http://${fixtures.host}/contact`, "https://evil.example/", "%%%"])]);
        notes.push(`no origin, Referer ${headers.at(-1)[1]}`);
      } else notes.push("no origin");
      if (r.chance(0.05)) {
        headers.push(["X-Forwarded-Host", "evil.example"], ["Origin", "http://evil.example"]);
        notes.push("forged X-Forwarded-Host");
      }
    }
    if (r.chance(0.1)) {
      const language = r.pick(["*;q=abc", "zh-TW;q=1.5,en", "xx", "中文", "en-US,".repeat(500)]);
      headers.push(["Accept-Language", language]);
      notes.push(`Accept-Language ${language.slice(0, 20)}`);
    }
    if (r.chance(0.05)) {
      headers.push(["X-Forwarded-For", r.pick(["not-an-ip", "1.2.3.4, 5.6.7.8", "::ffff:1.2.3.4", "中"])]);
      notes.push(`X-Forwarded-For ${headers.at(-1)[1]}`);
    }
    const chunked = body.length > 0 && r.chance(0.1);
    const keepAlive = r.chance(0.5);
    if (chunked) notes.push("chunked");
    if (!keepAlive) notes.push("Connection: close");
    const framed = body.length > 0 || (form && r.chance(0.5));
    if (method === "FOO" && r.chance(0.5)) method = "GET";
    yield { ...rawRequest({ method, path, headers, body, chunked, keepAlive, framed }), index, target: target.name, notes };
  }
}

// ---- Sending ---------------------------------------------------------------------

/**
 * Reads one HTTP response off `data`; null while it is incomplete.
 * @param {Buffer} data
 * @param {boolean} head whether the request was HEAD (no body follows)
 * @param {boolean} closed whether the connection has ended (a body without length ends there)
 */
function parseResponse(data, head, closed) {
  const end = data.indexOf("\r\n\r\n");
  if (end < 0) return null;
  const lines = data.subarray(0, end).toString("latin1").split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "")?.[1]);
  if (!status) return { status: 0, length: end + 4, headers: {} };
  const headers = Object.fromEntries(
    lines.slice(1).map((line) => [line.slice(0, line.indexOf(":")).toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]),
  );
  const start = end + 4;
  if (status < 200) return parseResponse(data.subarray(start), head, closed);
  if (head || status === 204 || status === 304) return { status, length: start, headers };
  if (headers["content-length"] !== undefined) {
    const length = start + Number(headers["content-length"]);
    return data.length >= length ? { status, length, headers, body: data.subarray(start, length) } : null;
  }
  if (/chunked/i.test(headers["transfer-encoding"] ?? "")) {
    let at = start;
    const parts = [];
    for (;;) {
      const lineEnd = data.indexOf("\r\n", at);
      if (lineEnd < 0) return null;
      const size = parseInt(data.subarray(at, lineEnd).toString("latin1"), 16);
      if (Number.isNaN(size)) return { status, length: data.length, headers, body: Buffer.concat(parts) };
      if (size === 0) {
        const trailerEnd = data.indexOf("\r\n", lineEnd + 2);
        return trailerEnd < 0 ? null : { status, length: trailerEnd + 2, headers, body: Buffer.concat(parts) };
      }
      if (data.length < lineEnd + 2 + size + 2) return null;
      parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
  }
  return closed ? { status, length: data.length, headers, body: data.subarray(start) } : null;
}

const CHUNK = 64 * 1024;
const FOLLOW_UP = (host) => Buffer.from(`GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);

/**
 * Sends one case on a connection of its own, the whole body even when the
 * answer comes first (as a browser does). When the connection is kept alive,
 * a second request follows on it: a server that left part of a body unread
 * would take it for the start of the next request, or never answer. A
 * connection that ends or is reset before all that is a drop.
 * @param {{ host: string, port: number }} server
 * @param {RawRequest} fuzzCase
 * @returns {Promise<{ status: number | null, dropped: string | null }>}
 */
export function send(server, fuzzCase, timeoutMs = 15_000) {
  return new Promise((resolve) => {
    const socket = net.connect(server.port, server.host);
    let received = Buffer.alloc(0);
    let first = null;
    let written = false;
    let followUpSent = false;
    let settled = false;
    const finish = (dropped) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ status: first?.status ?? null, dropped });
    };
    const stage = () =>
      !first
        ? "before an answer"
        : !written
          ? "while the body was still being sent"
          : followUpSent
            ? "before the follow-up request was answered"
            : "after the answer";
    const timer = setTimeout(() => finish(`timeout ${stage()}`), timeoutMs);
    const progress = (closed) => {
      if (!first) {
        first = parseResponse(received, fuzzCase.method === "HEAD", closed);
        if (!first) return;
        received = received.subarray(first.length);
      }
      if (!written) return;
      if (/close/i.test(first.headers.connection ?? "") || !fuzzCase.keepAlive) return finish(null);
      if (!followUpSent) {
        followUpSent = true;
        socket.write(FOLLOW_UP(`${server.host}:${server.port}`));
        return;
      }
      const second = parseResponse(received, false, closed);
      if (second) finish(second.status === 200 ? null : `follow-up request answered ${second.status}`);
    };
    socket.on("data", (chunk) => {
      received = Buffer.concat([received, chunk]);
      progress(false);
    });
    socket.on("end", () => {
      progress(true);
      finish(`connection closed ${stage()}`);
    });
    socket.on("error", (error) => finish(`${error.code ?? error.message} ${stage()}`));
    socket.on("connect", async () => {
      const write = (data) => new Promise((done) => (socket.write(data) ? done() : socket.once("drain", done)));
      try {
        await write(fuzzCase.head);
        for (let at = 0; at < fuzzCase.body.length && !socket.destroyed; at += CHUNK) {
          const part = fuzzCase.body.subarray(at, at + CHUNK);
          await write(fuzzCase.chunked ? Buffer.concat([Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from("\r\n")]) : part);
        }
        if (fuzzCase.chunked && !socket.destroyed) await write(Buffer.from("0\r\n\r\n"));
        written = true;
        progress(false);
      } catch {
        // the error event says what happened
      }
    });
  });
}

// ---- A run -----------------------------------------------------------------------

/**
 * The portal under fuzzing: every request comes from one address, so the
 * per-address limits are raised (the per-number limits still refuse with 429).
 */
export const FUZZ_SERVER_ENV = {
  RATE_LIMIT_LOOKUPS_PER_ADDRESS: "100000/600",
  RATE_LIMIT_LOOKUP_FAILURES_PER_ADDRESS: "100000/600",
  RATE_LIMIT_FEEDBACK_PER_ADDRESS: "300/3600",
};

/**
 * What every case needs that only the running server can give: a visitor's
 * session and captcha token, a bill granted to that session (through a paper
 * bill's signed link, made by the CLI), and a payment order's reference.
 * @param {string} baseUrl
 */
async function prepareFixtures(baseUrl) {
  const host = new URL(baseUrl).host;
  let cookie = "";
  /** A browser's request: the session cookie kept, as it changes. */
  const browse = async (path, init = {}) => {
    const response = await fetch(`${baseUrl}${path}`, { redirect: "manual", ...init, headers: { cookie, ...init.headers } });
    const set = response.headers.getSetCookie().map((c) => c.split(";")[0]);
    if (set.length) cookie = set.join("; ");
    return response;
  };
  const captchaToken = /name="captchaToken" value="([^"]+)"/.exec(await (await browse("/lookup/traffic-fine")).text())?.[1] ?? "";
  const link = execFileSync(
    process.execPath,
    ["cli.js", "bill-link", "--bill-type", "traffic-fine", "--number", "GF11500019", "--expires", "2099-12-31", "--key", "police-demo"],
    {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    },
  )
    .trim()
    .split("\n")
    .at(-1);
  const opened = new URL(link);
  await browse(`${opened.pathname}${opened.search}`);
  const bills = await (await browse("/bills")).text();
  const billId = /name="bill"[^>]*value="([0-9a-f-]{36})"/.exec(bills)?.[1] ?? "00000000-0000-4000-8000-000000000000";
  // An order of that bill at ECPay (the sandbox): callbacks then name a real order.
  const checkout = await (await browse(`/pay?bill=${billId}`)).text();
  const idempotencyKey = /name="idempotencyKey" value="([^"]+)"/.exec(checkout)?.[1] ?? "";
  const paid = await browse("/pay", {
    method: "POST",
    headers: { origin: baseUrl, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ bill: billId, tool: "credit_card", idempotencyKey }),
  });
  const orderReference = /name="MerchantTradeNo" value="([^"]+)"/.exec(await paid.text())?.[1] ?? "P2601010000000000A";
  return { host, cookie, captchaToken, billId, orderReference };
}

/**
 * Sends `count` cases made from `seed` to the portal at `baseUrl`, `concurrency` at a time.
 * @param {{ baseUrl: string, seed: number, count: number, concurrency?: number, onProgress?: (done: number) => void }} options
 */
export async function runFuzz({ baseUrl, seed, count, concurrency = 8, onProgress }) {
  const fixtures = await prepareFixtures(baseUrl);
  const cases = fuzzCases(seed, count, fixtures);
  const url = new URL(baseUrl);
  const server = { host: url.hostname, port: Number(url.port) };
  const summary = {
    seed,
    sent: 0,
    classes: { "1xx": 0, "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 },
    serverErrors: [],
    dropped: [],
    byTarget: {},
  };
  // Workers take the cases in order from one generator: the same inputs whatever the timing.
  const worker = async () => {
    for (const fuzzCase of cases) {
      const result = await send(server, fuzzCase);
      summary.sent += 1;
      const target = (summary.byTarget[fuzzCase.target] ??= { sent: 0, "5xx": 0, dropped: 0 });
      target.sent += 1;
      if (result.status) summary.classes[`${String(result.status)[0]}xx`] += 1;
      const failure = {
        index: fuzzCase.index,
        target: fuzzCase.target,
        status: result.status,
        dropped: result.dropped,
        notes: fuzzCase.notes,
        request: fuzzCase.head.toString("utf8").split("\r\n")[0].slice(0, 160),
      };
      if (result.status && result.status >= 500) {
        target["5xx"] += 1;
        summary.serverErrors.push(failure);
      }
      if (result.dropped) {
        target.dropped += 1;
        summary.dropped.push(failure);
      }
      onProgress?.(summary.sent);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  summary.serverErrors.sort((a, b) => a.index - b.index);
  summary.dropped.sort((a, b) => a.index - b.index);
  return summary;
}

/** The summary as a few lines for a terminal, with the first failing inputs. */
export function formatSummary(summary, { show = 5 } = {}) {
  const lines = [
    `seed ${summary.seed}: ${summary.sent} inputs sent`,
    `  ${Object.entries(summary.classes)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
    `  5xx: ${summary.serverErrors.length}, dropped connections: ${summary.dropped.length}`,
  ];
  const bad = Object.entries(summary.byTarget).filter(([, t]) => t["5xx"] || t.dropped);
  if (bad.length)
    lines.push(`  by route: ${bad.map(([name, t]) => `${name} ${t["5xx"]}×5xx ${t.dropped}×dropped (of ${t.sent})`).join("; ")}`);
  const example = (f) =>
    `    #${f.index} ${f.request}${f.dropped ? ` → ${f.dropped}` : ` → ${f.status}`}\n      ${f.notes.join("; ") || "unchanged"}`;
  if (summary.serverErrors.length) lines.push("  first 5xx:", ...summary.serverErrors.slice(0, show).map(example));
  if (summary.dropped.length) lines.push("  first dropped:", ...summary.dropped.slice(0, show).map(example));
  return lines.join("\n");
}
