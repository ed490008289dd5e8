import path from "node:path";
import { z } from "zod";
import { BINDING_SOURCE_IDS, type BindingSourceId } from "~/domain/member";
import { PAYMENT_PROVIDERS } from "~/domain/payment-order";
import { PAYMENT_TOOLS } from "~/domain/payment-tools";
import type { FeeRule } from "~/domain/reconciliation";
import { parseNetwork } from "./networks.server";

/**
 * The one configuration schema. Every environment variable the portal reads is
 * declared here, validated once at start-up, and documented in the README's
 * configuration table. Production needs its secrets and services given: an
 * outside service not configured (a payment provider, the identity provider,
 * bill sources, agencies' receivers) is off. Demo mode is an overlay that
 * fills them in before this schema sees them (app/demo/overlay.server.ts); the
 * schema's only part in it is refusing the public demo keys outside it.
 */

const booleanFlag = z
  .enum(["true", "false", "1", "0", "yes", "no"], {
    error: "must be true or false",
  })
  .transform((value) => value === "true" || value === "1" || value === "yes");

/** Every demo key starts so (app/demo/keys.ts): public, so never accepted outside demo mode. */
const DEMO_KEY_PREFIX = "demo-only-";
const isDemoKey = (value: string) =>
  value.startsWith(DEMO_KEY_PREFIX) || Buffer.from(value, "base64").toString("latin1").startsWith(DEMO_KEY_PREFIX);

/** Secrets of the portal's own: required, and never a public demo key outside demo mode. */
const SECRET_NAMES = ["PII_HMAC_KEY", "SESSION_SECRET", "CAPTCHA_SECRET", "RECEIPT_SECRET", "BINDING_ENCRYPTION_KEY"] as const;

/**
 * Whether the portal runs its demo: DEMO_MODE when given, otherwise only on
 * the embedded database (a fresh clone's `npm start`). With DATABASE_URL
 * set, demo mode must be asked for. Read by the composition root, which
 * loads the demo wing then, and by the schema below.
 */
export function demoModeRequested(source: Record<string, string | undefined>): boolean {
  const flag = source.DEMO_MODE?.trim();
  if (flag) return ["true", "1", "yes"].includes(flag);
  return !source.DATABASE_URL;
}

/** "10/600": at most 10 in any 600-second window. */
const rateLimit = z
  .string()
  .regex(/^\d+\/\d+$/, "must be COUNT/SECONDS, for example 10/600")
  .transform((value) => {
    const [limit, windowSeconds] = value.split("/").map(Number) as [number, number];
    return { limit, windowSeconds };
  })
  .refine((rule) => rule.limit >= 1 && rule.windowSeconds >= 1, "must have a count and a window of at least 1");

/** A JSON array of objects in one variable, with messages that show the expected shape. */
function jsonList<T extends z.ZodType>(item: T, shape: string) {
  return z
    .string()
    .transform((value, ctx) => {
      try {
        return JSON.parse(value) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: `must be JSON: ${shape}` });
        return z.NEVER;
      }
    })
    .pipe(z.array(item, { error: `must be a JSON array like ${shape}` }));
}

const billSources = jsonList(
  z.object({
    source: z.enum(BINDING_SOURCE_IDS as [BindingSourceId, ...BindingSourceId[]], {
      error: `sources are ${BINDING_SOURCE_IDS.join(", ")}`,
    }),
    url: z.url({ protocol: /^https?$/, error: "source urls must be http(s) URLs" }),
    keyId: z.string().min(1),
    secret: z.string().min(32, "source secrets must be at least 32 characters"),
  }),
  '[{"source":"water","url":"https://…","keyId":"…","secret":"…"}]',
);

const providerFees = jsonList(
  z
    .object({
      provider: z.enum(PAYMENT_PROVIDERS, { error: `providers are ${PAYMENT_PROVIDERS.join(", ")}` }),
      tool: z.enum(PAYMENT_TOOLS, { error: `tools are ${PAYMENT_TOOLS.join(", ")}` }),
      percent: z
        .number({ error: "percent must be a number" })
        .min(0, "percent must be 0 or more")
        .max(100, "percent must be at most 100")
        .refine((value) => Math.abs(value * 100 - Math.round(value * 100)) < 1e-9, "percent has at most two decimals (2.75)"),
      fixed: z.number({ error: "fixed must be a number" }).int("fixed is whole NT dollars").min(0).default(0),
    })
    .transform(({ provider, tool, percent, fixed }) => ({ provider, tool, basisPoints: Math.round(percent * 100), fixed })),
  '[{"provider":"line_pay","tool":"line_pay","percent":2.2,"fixed":0}]',
);

const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).transform((value) => value.replace(/\/+$/, ""));

const agencyLinkKeys = jsonList(
  z.object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{2,40}$/, "key ids are lower-case letters, digits and dashes"),
    agency: z.string().min(1),
    secret: z.string().min(32, "key secrets must be at least 32 characters"),
  }),
  '[{"id":"police-2026","agency":"police","secret":"…"}]',
);

/** "10.0.0.0/8, 192.168.1.10, ::1/128": networks in CIDR notation (a bare address is one host). */
const networkList = z.string().transform((value, ctx) => {
  const networks = value
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((item) => ({ item, network: parseNetwork(item) }));
  for (const { item, network } of networks) {
    if (!network)
      ctx.addIssue({ code: "custom", message: `"${item}" is not an address or CIDR network (like 10.0.0.0/8 or 2001:db8::/32)` });
  }
  return networks.map(({ network }) => network!).filter(Boolean);
});

const agencyNetworks = jsonList(
  z.object({
    agency: z.string().min(1),
    networks: z.array(z.string()).transform((items, ctx) =>
      items.map((item) => {
        const network = parseNetwork(item);
        if (!network) ctx.addIssue({ code: "custom", message: `"${item}" is not an address or CIDR network` });
        return network!;
      }),
    ),
  }),
  '[{"agency":"police","networks":["10.20.0.0/16"]}]',
);

const schema = z
  .object({
    NODE_ENV: z
      .enum(["development", "production", "test"], {
        error: "must be development, production or test",
      })
      .default("production"),
    HOST: z.string().min(1, "must not be empty").default("0.0.0.0"),
    PORT: z.coerce
      .number({ error: "must be a port number" })
      .int("must be a whole number")
      .min(1, "must be between 1 and 65535")
      .max(65535, "must be between 1 and 65535")
      .default(3000),
    /**
     * The Prometheus metrics' own port (/metrics), never the public one;
     * unset, there are no metrics. On 127.0.0.1 unless METRICS_HOST says
     * otherwise (a scraper on another machine: a private address).
     */
    METRICS_PORT: z.coerce
      .number({ error: "must be a port number (the Prometheus metrics' own port)" })
      .int("must be a whole number")
      .min(1, "must be between 1 and 65535")
      .max(65535, "must be between 1 and 65535")
      .optional(),
    METRICS_HOST: z.string().min(1, "must be an address to listen on, such as 127.0.0.1").default("127.0.0.1"),
    PUBLIC_URL: z
      .url({ protocol: /^https?$/, error: "must be an http(s) URL such as https://pay.example.gov.tw" })
      .transform((value) => value.replace(/\/+$/, ""))
      .default("http://localhost:3000"),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\/.+/, "must be a postgres:// connection URL")
      .optional(),
    DATA_DIR: z.string().min(1, "must be a directory path").default(".data"),
    /**
     * The control socket through which operators on this machine have the running
     * portal carry out their commands (`node cli.js refund`, `audit`): DATA_DIR/control.sock
     * unless set, "off" for none (docs/decisions/023).
     */
    CONTROL_SOCKET: z.string().min(1, "must be a file path, or off").optional(),
    DATABASE_POOL_SIZE: z.coerce
      .number({ error: "must be a number" })
      .int("must be a whole number")
      .min(1, "must be at least 1")
      .max(100, "must be at most 100")
      .default(10),
    LOG_LEVEL: z
      .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
        error: "must be one of fatal, error, warn, info, debug, trace, silent",
      })
      .default("info"),
    DEMO_MODE: booleanFlag.optional(),
    /** A notice at the top of every page: "demo" says no money moves here. */
    SERVICE_NOTICE: z.enum(["none", "demo"], { error: "must be none or demo" }).default("none"),
    TRUST_PROXY: z.coerce
      .number({ error: "must be the number of proxies in front of the portal" })
      .int("must be a whole number")
      .min(0, "must be 0 or more")
      .default(0),
    PII_HMAC_KEY: z.string({ error: "is required" }).min(32, "must be at least 32 characters"),
    SESSION_SECRET: z.string({ error: "is required" }).min(32, "must be at least 32 characters"),
    CAPTCHA_SECRET: z.string({ error: "is required" }).min(32, "must be at least 32 characters"),
    AGENCY_LINK_KEYS: agencyLinkKeys.optional(),
    RECEIPT_SECRET: z.string({ error: "is required" }).min(32, "must be at least 32 characters"),
    // Receivers and their secrets live in the database since issue 16 (docs/decisions/024): a setting left behind is refused, never silently dropped.
    AGENCY_WEBHOOKS: z
      .never({
        error:
          "is no longer read: each agency's webhook receiver and secret are set in the back office (Catalogue → the agency → Integration), see docs/agency-write-off-webhooks.md",
      })
      .optional(),
    LINE_PAY_API_URL: httpUrl.optional(),
    LINE_PAY_CHANNEL_ID: z
      .string()
      .regex(/^\d{6,12}$/, "must be the channel id (digits)")
      .optional(),
    LINE_PAY_CHANNEL_SECRET: z.string().min(16, "must be the channel secret").optional(),
    /** Where payers approve LINE Pay payments; known for LINE Pay's own hosts, needed for any other. */
    LINE_PAY_WEB_ORIGIN: httpUrl.optional(),
    ECPAY_CHECKOUT_URL: httpUrl.optional(),
    ECPAY_API_URL: httpUrl.optional(),
    ECPAY_MERCHANT_ID: z
      .string()
      .regex(/^\d{7,10}$/, "must be the merchant id (digits)")
      .optional(),
    ECPAY_HASH_KEY: z.string().min(16, "must be the HashKey").optional(),
    ECPAY_HASH_IV: z.string().min(16, "must be the HashIV").optional(),
    /** 商家檢查碼, for the credit-card query that says whether a refund whose answer was lost went through. */
    ECPAY_CREDIT_CHECK_CODE: z
      .string()
      .regex(/^\d{8}$/, "must be the 8-digit CreditCheckCode")
      .optional(),
    /** LINE Pay has no settlement download API: where the channel's daily report can be fetched, if anywhere (else staff upload it). */
    LINE_PAY_SETTLEMENT_URL: httpUrl.optional(),
    /** ECPay's vendor host, whose /PaymentMedia/TradeNoAio gives the day's media file (a host apart from the payment API's). */
    ECPAY_VENDOR_URL: httpUrl.optional(),
    /** The merchant contracts' fees per provider and tool, checked against every settlement line. */
    PROVIDER_FEES: providerFees.optional(),
    /** From this hour (Taiwan time) the daily job fetches and reconciles the previous day's settlement files. */
    RECONCILIATION_HOUR: z.coerce.number({ error: "must be an hour from 0 to 23" }).int("must be a whole hour").min(0).max(23).default(6),
    PROVIDER_TIMEOUT_MS: z.coerce.number({ error: "must be a number of milliseconds" }).int().min(100).max(120_000).default(15_000),
    PAYMENT_WINDOW_MINUTES: z.coerce.number({ error: "must be a number of minutes" }).int().min(1).max(120).default(20),
    /** Days an ATM virtual account stays open for the transfer (ECPay ExpireDate, 1 to 60). */
    ECPAY_ATM_EXPIRE_DAYS: z.coerce.number({ error: "must be a number of days" }).int().min(1).max(60).default(3),
    /** Minutes a convenience-store payment code stays valid (ECPay StoreExpireDate for CVS). */
    ECPAY_STORE_CODE_EXPIRE_MINUTES: z.coerce.number({ error: "must be a number of minutes" }).int().min(60).max(43_200).default(4320),
    /** Days convenience-store barcodes stay valid (ECPay StoreExpireDate for BARCODE, 1 to 30). */
    ECPAY_STORE_BARCODE_EXPIRE_DAYS: z.coerce.number({ error: "must be a number of days" }).int().min(1).max(30).default(3),
    /**
     * The SMTP server mails are sent through (smtp:// or smtps://, user and
     * password in the URL); unset: mails wait in the outbox and nothing is sent.
     */
    SMTP_URL: z
      .string()
      .regex(/^smtps?:\/\/.+/, "must be an smtp:// or smtps:// URL")
      .optional(),
    /** The sender of every mail, as "Name <address>". */
    MAIL_FROM: z
      .string()
      .min(3, "must be a sender such as 臺中市支付繳費通 <no-reply@pay.example.gov.tw>")
      .default("支付繳費通 <no-reply@localhost>"),
    /** How many days before a bound bill is due its member is reminded (and again the day after it is overdue). */
    DUE_REMINDER_DAYS: z.coerce.number({ error: "must be a number of days" }).int().min(1).max(30).default(3),
    RECOVERY_AFTER_SECONDS: z.coerce.number({ error: "must be a number of seconds" }).int().min(0).max(3600).default(180),
    JOBS_INTERVAL_MS: z.coerce.number({ error: "must be a number of milliseconds" }).int().min(0).max(3_600_000).default(15_000),
    OIDC_ISSUER: httpUrl.optional(),
    OIDC_CLIENT_ID: z.string().min(1, "must not be empty").optional(),
    OIDC_CLIENT_SECRET: z.string().min(16, "must be the client secret").optional(),
    BINDING_ENCRYPTION_KEY: z
      .string({ error: "is required" })
      .refine((value) => Buffer.from(value, "base64").length === 32, "must be 32 bytes, base64-encoded (openssl rand -base64 32)"),
    /** The identity provider may be reached over plain http (the local one of demo mode only). */
    OIDC_ALLOW_HTTP: booleanFlag.default(false),
    STAFF_OIDC_ISSUER: httpUrl.optional(),
    STAFF_OIDC_CLIENT_ID: z.string().min(1, "must not be empty").optional(),
    STAFF_OIDC_CLIENT_SECRET: z.string().min(16, "must be the client secret").optional(),
    STAFF_IDLE_MINUTES: z.coerce.number({ error: "must be a number of minutes" }).int().min(2).max(60).default(10),
    STAFF_SESSION_HOURS: z.coerce.number({ error: "must be a number of hours" }).int().min(1).max(12).default(8),
    /** Networks the back office answers (CIDR list); unset: it answers nobody. */
    BACK_OFFICE_NETWORKS: networkList.optional(),
    /** Narrower networks for an agency's staff, where the agency registered its own. */
    BACK_OFFICE_AGENCY_NETWORKS: agencyNetworks.optional(),
    /**
     * Where staff reach the back office (its own host, as cities usually give
     * it; the same server): its staff sign-in callback and the origin its
     * passkeys are bound to. The portal's PUBLIC_URL unless set.
     */
    BACK_OFFICE_URL: httpUrl.optional(),
    /** The WebAuthn relying party id: the portal's host name unless set (a parent domain, say). */
    WEBAUTHN_RP_ID: z
      .string()
      .regex(/^[a-z0-9.-]+$/, "must be a host name")
      .optional(),
    MEMBER_IDLE_MINUTES: z.coerce.number({ error: "must be a number of minutes" }).int().min(2).max(240).default(15),
    MEMBER_SESSION_HOURS: z.coerce.number({ error: "must be a number of hours" }).int().min(1).max(72).default(8),
    BILL_SOURCES: billSources.optional(),
    BILL_SOURCE_TIMEOUT_MS: z.coerce.number({ error: "must be a number of milliseconds" }).int().min(50).max(60_000).default(1500),
    /**
     * The e-counter (服務e櫃檯) members' applications and their fees come from
     * (docs/ecounter-cases.md): its URL, the portal's key id and secret for
     * signing, and the key both use to derive an applicant's digest from a
     * national ID. All four or none; unset, no cases are shown.
     */
    ECOUNTER_URL: httpUrl.optional(),
    ECOUNTER_KEY_ID: z.string().min(1).optional(),
    ECOUNTER_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
    ECOUNTER_APPLICANT_KEY: z.string().min(32, "must be at least 32 characters").optional(),
    ECOUNTER_TIMEOUT_MS: z.coerce.number({ error: "must be a number of milliseconds" }).int().min(50).max(60_000).default(2000),
    /** How often the e-counter's feed of case status changes is read (the status e-mails). */
    CASE_CHANGES_POLL_SECONDS: z.coerce.number({ error: "must be a number of seconds" }).int().min(1).max(3600).default(60),
    MEMBER_BILLS_CACHE_SECONDS: z.coerce.number({ error: "must be a number of seconds" }).int().min(0).max(3600).default(60),
    RATE_LIMIT_LOOKUPS_PER_ADDRESS: rateLimit.default({ limit: 60, windowSeconds: 600 }),
    RATE_LIMIT_LOOKUP_FAILURES_PER_ADDRESS: rateLimit.default({ limit: 10, windowSeconds: 600 }),
    RATE_LIMIT_LOOKUP_FAILURES_PER_NUMBER: rateLimit.default({ limit: 5, windowSeconds: 900 }),
    RATE_LIMIT_FEEDBACK_PER_ADDRESS: rateLimit.default({ limit: 10, windowSeconds: 3600 }),
    /** Signed calls to the agency API per key (docs/agency-api.md): answered 429 with Retry-After past it. */
    AGENCY_API_RATE_LIMIT: rateLimit.default({ limit: 600, windowSeconds: 60 }),
    /** Worker processes serving PORT together (node:cluster), on PostgreSQL; 1: no cluster, the portal is this one process. */
    WEB_CONCURRENCY: z.coerce
      .number({ error: "must be the number of worker processes" })
      .int("must be a whole number")
      .min(1, "must be at least 1")
      .max(64, "must be at most 64")
      .default(1),
    SHUTDOWN_TIMEOUT_MS: z.coerce
      .number({ error: "must be a number of milliseconds" })
      .int("must be a whole number")
      .min(0, "must be 0 or more")
      .default(10_000),
  })
  .superRefine((env, ctx) => {
    if (env.METRICS_PORT !== undefined && env.METRICS_PORT === env.PORT)
      ctx.addIssue({
        code: "custom",
        path: ["METRICS_PORT"],
        message: "must not be PORT: the metrics are never served on the public port",
      });
    const ecounterParts = [env.ECOUNTER_URL, env.ECOUNTER_KEY_ID, env.ECOUNTER_SECRET, env.ECOUNTER_APPLICANT_KEY];
    if (ecounterParts.some(Boolean) && !ecounterParts.every(Boolean)) {
      for (const name of ["ECOUNTER_URL", "ECOUNTER_KEY_ID", "ECOUNTER_SECRET", "ECOUNTER_APPLICANT_KEY"] as const) {
        if (!env[name]) ctx.addIssue({ code: "custom", path: [name], message: "is required with the other ECOUNTER_ settings" });
      }
    }
    if (env.DEMO_MODE ?? !env.DATABASE_URL) return;
    for (const name of SECRET_NAMES) {
      if (isDemoKey(env[name])) ctx.addIssue({ code: "custom", path: [name], message: "must not be a public demo key outside demo mode" });
    }
    if (env.OIDC_ALLOW_HTTP)
      ctx.addIssue({ code: "custom", path: ["OIDC_ALLOW_HTTP"], message: "is for the local identity provider of demo mode only" });
  })
  .transform((env) => {
    const linePay =
      env.LINE_PAY_API_URL && env.LINE_PAY_CHANNEL_ID && env.LINE_PAY_CHANNEL_SECRET
        ? {
            apiUrl: env.LINE_PAY_API_URL,
            channelId: env.LINE_PAY_CHANNEL_ID,
            channelSecret: env.LINE_PAY_CHANNEL_SECRET,
            webOrigin: env.LINE_PAY_WEB_ORIGIN,
            settlementUrl: env.LINE_PAY_SETTLEMENT_URL,
          }
        : null;
    const ecpay =
      env.ECPAY_CHECKOUT_URL && env.ECPAY_API_URL && env.ECPAY_MERCHANT_ID && env.ECPAY_HASH_KEY && env.ECPAY_HASH_IV
        ? {
            checkoutUrl: env.ECPAY_CHECKOUT_URL,
            apiUrl: env.ECPAY_API_URL,
            merchantId: env.ECPAY_MERCHANT_ID,
            hashKey: env.ECPAY_HASH_KEY,
            hashIv: env.ECPAY_HASH_IV,
            creditCheckCode: env.ECPAY_CREDIT_CHECK_CODE ?? null,
            vendorUrl: env.ECPAY_VENDOR_URL,
          }
        : null;
    const ecounter =
      env.ECOUNTER_URL && env.ECOUNTER_KEY_ID && env.ECOUNTER_SECRET && env.ECOUNTER_APPLICANT_KEY
        ? {
            source: "ecounter" as const,
            url: env.ECOUNTER_URL,
            keyId: env.ECOUNTER_KEY_ID,
            secret: env.ECOUNTER_SECRET,
            applicantKey: env.ECOUNTER_APPLICANT_KEY,
            timeoutMs: env.ECOUNTER_TIMEOUT_MS,
          }
        : null;
    const oidc =
      env.OIDC_ISSUER && env.OIDC_CLIENT_ID && env.OIDC_CLIENT_SECRET
        ? { issuer: env.OIDC_ISSUER, clientId: env.OIDC_CLIENT_ID, clientSecret: env.OIDC_CLIENT_SECRET, allowHttp: env.OIDC_ALLOW_HTTP }
        : null;
    const staffOidc =
      env.STAFF_OIDC_ISSUER && env.STAFF_OIDC_CLIENT_ID && env.STAFF_OIDC_CLIENT_SECRET
        ? {
            issuer: env.STAFF_OIDC_ISSUER,
            clientId: env.STAFF_OIDC_CLIENT_ID,
            clientSecret: env.STAFF_OIDC_CLIENT_SECRET,
            allowHttp: env.OIDC_ALLOW_HTTP,
          }
        : null;
    return {
      ...env,
      DEMO_MODE: env.DEMO_MODE ?? !env.DATABASE_URL,
      oidc,
      staffOidc,
      backOfficeNetworks: env.BACK_OFFICE_NETWORKS ?? [],
      backOfficeAgencyNetworks: env.BACK_OFFICE_AGENCY_NETWORKS ?? [],
      backOfficeUrl: env.BACK_OFFICE_URL ?? env.PUBLIC_URL,
      backOfficeIsHttps: (env.BACK_OFFICE_URL ?? env.PUBLIC_URL).startsWith("https://"),
      // Browsers refuse an IP address as a passkey's relying party: serve the back office under a host name.
      webauthnRpId: env.WEBAUTHN_RP_ID ?? new URL(env.BACK_OFFICE_URL ?? env.PUBLIC_URL).hostname,
      billSources: env.BILL_SOURCES ?? [],
      ecounter,
      controlSocket: env.CONTROL_SOCKET === "off" ? null : path.resolve(env.CONTROL_SOCKET ?? path.join(env.DATA_DIR, "control.sock")),
      linePay,
      ecpay,
      providerFees: (env.PROVIDER_FEES ?? []) as FeeRule[],
      AGENCY_LINK_KEYS: env.AGENCY_LINK_KEYS ?? [],
      isProduction: env.NODE_ENV === "production",
      publicUrlIsHttps: env.PUBLIC_URL.startsWith("https://"),
    };
  });

export type Env = z.output<typeof schema>;

export class ConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigurationError";
  }
}

/** Parses a set of variables; throws ConfigurationError naming every bad variable. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  // An empty variable means "not set", as in most shells' `VAR= cmd`.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ""));
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join(".") || "(environment)";
    const given = cleaned[name];
    const shown = given === undefined || /KEY|SECRET|PASSWORD|URL|WEBHOOK/.test(name) ? "" : ` (got "${given}")`;
    return `${name} ${issue.message}${shown}`;
  });
  throw new ConfigurationError(problems);
}

let cached: Env | undefined;

/** The composition root installs the configuration it composed (in demo mode, with the demo overlay). */
export function installConfiguration(env: Env): void {
  cached = env;
}

/** The validated configuration of this process: the one installed, or the environment's, parsed on first use. */
export function getEnv(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}
