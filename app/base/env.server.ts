import { createHmac } from "node:crypto";
import { z } from "zod";
import { BILL_SOURCE_IDS, type BillSourceId } from "~/domain/member";

/**
 * The one configuration schema. Every environment variable the portal reads is
 * declared here, validated once at start-up, and documented in the README's
 * configuration table. Defaults make `npm start` work on a fresh machine in
 * demo mode; with DEMO_MODE=false every secret must be given explicitly.
 */

const booleanFlag = z
  .enum(["true", "false", "1", "0", "yes", "no"], {
    error: "must be true or false",
  })
  .transform((value) => value === "true" || value === "1" || value === "yes");

// Development-only keys: public in this repository, so refused outside demo mode.
const DEMO_SECRETS = {
  PII_HMAC_KEY: "demo-only-pii-hmac-key-do-not-use-in-production-0001",
  SESSION_SECRET: "demo-only-session-secret-do-not-use-in-production-01",
  CAPTCHA_SECRET: "demo-only-captcha-secret-do-not-use-in-production-01",
  RECEIPT_SECRET: "demo-only-receipt-secret-do-not-use-in-production-01",
  // 32 bytes, base64: AES-256-GCM key of members' bound numbers.
  BINDING_ENCRYPTION_KEY: "ZGVtby1vbmx5LWJpbmRpbmdzLWtleS0zMmJ5dGVzISE=",
} as const;

/** A demo key's secret, derived from a public master: base64url(HMAC-SHA256(master, id)). Demo mode only. */
export function deriveDemoSecret(master: string, id: string): string {
  return createHmac("sha256", master).update(id).digest("base64url");
}

/** The embedded identity provider's client (demo mode only). */
export const DEMO_OIDC_CLIENT = { clientId: "bill-portal", clientSecret: "demo-only-oidc-client-secret-do-not-use-in-production" } as const;

/** Master secret of the demo bill sources' keys (demo mode only). */
export const DEMO_SOURCE_KEY_MASTER = "demo-only-bill-source-master-do-not-use-in-production";


/**
 * Credentials of the embedded sandbox gateway (demo mode only). The ECPay ones
 * are ECPay's own published test merchant, so the same values work on ECPay's
 * stage environment.
 */
export const SANDBOX_CREDENTIALS = {
  linePayChannelId: "1656000000",
  linePayChannelSecret: "demo-only-line-pay-channel-secret",
  ecpayMerchantId: "3002607",
  ecpayHashKey: "pwFHCqoQZGmho4w6",
  ecpayHashIv: "EkRm7iFT261dpevs",
} as const;

/** Master secret of the demo agencies' webhook keys; demo mode only. */
export const DEMO_WEBHOOK_KEY_MASTER = "demo-only-agency-webhook-master-do-not-use-in-production";

/** Master secret of the demo agencies' QR-link keys (`<agency>-demo`); demo mode only. */
export const DEMO_LINK_KEY_MASTER = "demo-only-agency-link-master-do-not-use-in-production";

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

const agencyWebhooks = jsonList(
  z.object({
    agency: z.string().min(1),
    url: z.url({ protocol: /^https?$/, error: "webhook urls must be http(s) URLs" }),
    secret: z.string().min(32, "webhook secrets must be at least 32 characters"),
  }),
  '[{"agency":"police","url":"https://…","secret":"…"}]',
);

const billSources = jsonList(
  z.object({
    source: z.enum(BILL_SOURCE_IDS as [BillSourceId, ...BillSourceId[]], { error: `sources are ${BILL_SOURCE_IDS.join(", ")}` }),
    url: z.url({ protocol: /^https?$/, error: "source urls must be http(s) URLs" }),
    keyId: z.string().min(1),
    secret: z.string().min(32, "source secrets must be at least 32 characters"),
  }),
  '[{"source":"water","url":"https://…","keyId":"…","secret":"…"}]',
);

const httpUrl = z
  .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
  .transform((value) => value.replace(/\/+$/, ""));

const agencyLinkKeys = jsonList(
  z.object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{2,40}$/, "key ids are lower-case letters, digits and dashes"),
    agency: z.string().min(1),
    secret: z.string().min(32, "key secrets must be at least 32 characters"),
  }),
  '[{"id":"police-2026","agency":"police","secret":"…"}]',
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
    PUBLIC_URL: z
      .url({ protocol: /^https?$/, error: "must be an http(s) URL such as https://pay.example.gov.tw" })
      .transform((value) => value.replace(/\/+$/, ""))
      .default("http://localhost:3000"),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\/.+/, "must be a postgres:// connection URL")
      .optional(),
    DATA_DIR: z.string().min(1, "must be a directory path").default(".data"),
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
    DEMO_MODE: booleanFlag.default(true),
    SEED_DEMO_DATA: booleanFlag.optional(),
    TRUST_PROXY: z.coerce
      .number({ error: "must be the number of proxies in front of the portal" })
      .int("must be a whole number")
      .min(0, "must be 0 or more")
      .default(0),
    PII_HMAC_KEY: z.string().min(32, "must be at least 32 characters").optional(),
    SESSION_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
    CAPTCHA_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
    AGENCY_LINK_KEYS: agencyLinkKeys.optional(),
    RECEIPT_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
    AGENCY_WEBHOOKS: agencyWebhooks.optional(),
    LINE_PAY_API_URL: httpUrl.optional(),
    LINE_PAY_CHANNEL_ID: z.string().regex(/^\d{6,12}$/, "must be the channel id (digits)").optional(),
    LINE_PAY_CHANNEL_SECRET: z.string().min(16, "must be the channel secret").optional(),
    /** Where payers approve LINE Pay payments; known for LINE Pay's own hosts, needed for any other. */
    LINE_PAY_WEB_ORIGIN: httpUrl.optional(),
    ECPAY_CHECKOUT_URL: httpUrl.optional(),
    ECPAY_API_URL: httpUrl.optional(),
    ECPAY_MERCHANT_ID: z.string().regex(/^\d{7,10}$/, "must be the merchant id (digits)").optional(),
    ECPAY_HASH_KEY: z.string().min(16, "must be the HashKey").optional(),
    ECPAY_HASH_IV: z.string().min(16, "must be the HashIV").optional(),
    /** Demo mode: run the sandbox gateway and agency simulator inside the portal's process. */
    EMBEDDED_SANDBOX: booleanFlag.optional(),
    SANDBOX_PORT: z.coerce.number({ error: "must be a port number" }).int().min(1).max(65535).default(3001),
    SANDBOX_PUBLIC_URL: httpUrl.optional(),
    AGENCY_SIMULATOR_PORT: z.coerce.number({ error: "must be a port number" }).int().min(1).max(65535).default(3002),
    PROVIDER_TIMEOUT_MS: z.coerce.number({ error: "must be a number of milliseconds" }).int().min(100).max(120_000).default(15_000),
    PAYMENT_WINDOW_MINUTES: z.coerce.number({ error: "must be a number of minutes" }).int().min(1).max(120).default(20),
    RECOVERY_AFTER_SECONDS: z.coerce.number({ error: "must be a number of seconds" }).int().min(0).max(3600).default(180),
    JOBS_INTERVAL_MS: z.coerce.number({ error: "must be a number of milliseconds" }).int().min(0).max(3_600_000).default(15_000),
    OIDC_ISSUER: httpUrl.optional(),
    OIDC_CLIENT_ID: z.string().min(1, "must not be empty").optional(),
    OIDC_CLIENT_SECRET: z.string().min(16, "must be the client secret").optional(),
    IDP_PORT: z.coerce.number({ error: "must be a port number" }).int().min(1).max(65535).default(3003),
    BINDING_ENCRYPTION_KEY: z
      .string()
      .refine((value) => Buffer.from(value, "base64").length === 32, "must be 32 bytes, base64-encoded (openssl rand -base64 32)")
      .optional(),
    MEMBER_IDLE_MINUTES: z.coerce.number({ error: "must be a number of minutes" }).int().min(2).max(240).default(15),
    MEMBER_SESSION_HOURS: z.coerce.number({ error: "must be a number of hours" }).int().min(1).max(72).default(8),
    BILL_SOURCES: billSources.optional(),
    BILL_SOURCE_TIMEOUT_MS: z.coerce.number({ error: "must be a number of milliseconds" }).int().min(50).max(60_000).default(1500),
    MEMBER_BILLS_CACHE_SECONDS: z.coerce.number({ error: "must be a number of seconds" }).int().min(0).max(3600).default(60),
    SOURCES_SIMULATOR_PORT: z.coerce.number({ error: "must be a port number" }).int().min(1).max(65535).default(3004),
    RATE_LIMIT_LOOKUPS_PER_ADDRESS: rateLimit.default({ limit: 60, windowSeconds: 600 }),
    RATE_LIMIT_LOOKUP_FAILURES_PER_ADDRESS: rateLimit.default({ limit: 10, windowSeconds: 600 }),
    RATE_LIMIT_LOOKUP_FAILURES_PER_NUMBER: rateLimit.default({ limit: 5, windowSeconds: 900 }),
    RATE_LIMIT_FEEDBACK_PER_ADDRESS: rateLimit.default({ limit: 10, windowSeconds: 3600 }),
    SHUTDOWN_TIMEOUT_MS: z.coerce
      .number({ error: "must be a number of milliseconds" })
      .int("must be a whole number")
      .min(0, "must be 0 or more")
      .default(10_000),
  })
  .superRefine((env, ctx) => {
    if (env.DEMO_MODE) return;
    for (const name of Object.keys(DEMO_SECRETS) as Array<keyof typeof DEMO_SECRETS>) {
      if (!env[name]) {
        ctx.addIssue({ code: "custom", path: [name], message: "is required when DEMO_MODE=false" });
      } else if (env[name] === DEMO_SECRETS[name]) {
        ctx.addIssue({ code: "custom", path: [name], message: "must not be the public demo key when DEMO_MODE=false" });
      }
    }
  })
  .transform((env) => {
    const embeddedSandbox = env.EMBEDDED_SANDBOX ?? env.DEMO_MODE;
    const sandboxUrl = `http://127.0.0.1:${env.SANDBOX_PORT}`;
    const sandboxPublicUrl = env.SANDBOX_PUBLIC_URL ?? `http://localhost:${env.SANDBOX_PORT}`;
    // In demo mode an unconfigured provider is the sandbox; outside it, unconfigured means off.
    const linePay =
      env.LINE_PAY_API_URL && env.LINE_PAY_CHANNEL_ID && env.LINE_PAY_CHANNEL_SECRET
        ? { apiUrl: env.LINE_PAY_API_URL, channelId: env.LINE_PAY_CHANNEL_ID, channelSecret: env.LINE_PAY_CHANNEL_SECRET, webOrigin: env.LINE_PAY_WEB_ORIGIN }
        : env.DEMO_MODE
          ? {
              apiUrl: env.LINE_PAY_API_URL ?? sandboxUrl,
              channelId: SANDBOX_CREDENTIALS.linePayChannelId,
              channelSecret: SANDBOX_CREDENTIALS.linePayChannelSecret,
              webOrigin: env.LINE_PAY_WEB_ORIGIN ?? new URL(sandboxPublicUrl).origin,
            }
          : null;
    const ecpay =
      env.ECPAY_CHECKOUT_URL && env.ECPAY_API_URL && env.ECPAY_MERCHANT_ID && env.ECPAY_HASH_KEY && env.ECPAY_HASH_IV
        ? { checkoutUrl: env.ECPAY_CHECKOUT_URL, apiUrl: env.ECPAY_API_URL, merchantId: env.ECPAY_MERCHANT_ID, hashKey: env.ECPAY_HASH_KEY, hashIv: env.ECPAY_HASH_IV }
        : env.DEMO_MODE
          ? {
              checkoutUrl: env.ECPAY_CHECKOUT_URL ?? `${sandboxPublicUrl}/Cashier/AioCheckOut/V5`,
              apiUrl: env.ECPAY_API_URL ?? sandboxUrl,
              merchantId: SANDBOX_CREDENTIALS.ecpayMerchantId,
              hashKey: SANDBOX_CREDENTIALS.ecpayHashKey,
              hashIv: SANDBOX_CREDENTIALS.ecpayHashIv,
            }
          : null;
    const publicHost = new URL(env.PUBLIC_URL).hostname;
    const oidc =
      env.OIDC_ISSUER && env.OIDC_CLIENT_ID && env.OIDC_CLIENT_SECRET
        ? { issuer: env.OIDC_ISSUER, clientId: env.OIDC_CLIENT_ID, clientSecret: env.OIDC_CLIENT_SECRET }
        : env.DEMO_MODE
          ? // The same host name as the portal: the login's state cookie must come back (stack notes).
            { issuer: env.OIDC_ISSUER ?? `http://${publicHost}:${env.IDP_PORT}`, ...DEMO_OIDC_CLIENT }
          : null;
    const billSourcesConfigured =
      env.BILL_SOURCES ??
      (env.DEMO_MODE
        ? BILL_SOURCE_IDS.map((source) => ({
            source,
            url: `http://127.0.0.1:${env.SOURCES_SIMULATOR_PORT}/${source}`,
            keyId: `${source}-demo`,
            secret: deriveDemoSecret(DEMO_SOURCE_KEY_MASTER, source),
          }))
        : []);
    return {
      ...env,
      oidc,
      // The local identity provider and bill-source simulators run with the sandbox, unless real ones are configured.
      embeddedIdentityProvider: embeddedSandbox && env.DEMO_MODE && !env.OIDC_ISSUER,
      embeddedBillSources: embeddedSandbox && env.DEMO_MODE && !env.BILL_SOURCES,
      billSources: billSourcesConfigured,
      BINDING_ENCRYPTION_KEY: env.BINDING_ENCRYPTION_KEY ?? DEMO_SECRETS.BINDING_ENCRYPTION_KEY,
      embeddedSandbox,
      sandboxPublicUrl,
      linePay,
      ecpay,
      AGENCY_WEBHOOKS: env.AGENCY_WEBHOOKS ?? [],
      RECEIPT_SECRET: env.RECEIPT_SECRET ?? DEMO_SECRETS.RECEIPT_SECRET,
      PII_HMAC_KEY: env.PII_HMAC_KEY ?? DEMO_SECRETS.PII_HMAC_KEY,
      SESSION_SECRET: env.SESSION_SECRET ?? DEMO_SECRETS.SESSION_SECRET,
      CAPTCHA_SECRET: env.CAPTCHA_SECRET ?? DEMO_SECRETS.CAPTCHA_SECRET,
      AGENCY_LINK_KEYS: env.AGENCY_LINK_KEYS ?? [],
      SEED_DEMO_DATA: env.SEED_DEMO_DATA ?? env.DEMO_MODE,
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
  const cleaned = Object.fromEntries(
    Object.entries(source).filter(([, value]) => value !== undefined && value !== ""),
  );
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join(".") || "(environment)";
    const given = cleaned[name];
    const shown = given === undefined || /KEY|SECRET|PASSWORD|URL/.test(name) ? "" : ` (got "${given}")`;
    return `${name} ${issue.message}${shown}`;
  });
  throw new ConfigurationError(problems);
}

let cached: Env | undefined;

/** The validated configuration of this process, parsed on first use. */
export function getEnv(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}
