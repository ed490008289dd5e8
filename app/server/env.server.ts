import { z } from "zod";

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
} as const;

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

const agencyLinkKeys = z
  .string()
  .transform((value, ctx) => {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: 'must be JSON: [{"id":"police-2026","agency":"police","secret":"…"}]' });
      return z.NEVER;
    }
  })
  .pipe(
    z.array(
      z.object({
        id: z.string().regex(/^[a-z0-9][a-z0-9-]{2,40}$/, "key ids are lower-case letters, digits and dashes"),
        agency: z.string().min(1),
        secret: z.string().min(32, "key secrets must be at least 32 characters"),
      }),
      { error: 'must be a JSON array of {"id","agency","secret"}' },
    ),
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
    RATE_LIMIT_LOOKUPS_PER_ADDRESS: rateLimit.default({ limit: 60, windowSeconds: 600 }),
    RATE_LIMIT_LOOKUP_FAILURES_PER_ADDRESS: rateLimit.default({ limit: 10, windowSeconds: 600 }),
    RATE_LIMIT_LOOKUP_FAILURES_PER_NUMBER: rateLimit.default({ limit: 5, windowSeconds: 900 }),
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
  .transform((env) => ({
    ...env,
    PII_HMAC_KEY: env.PII_HMAC_KEY ?? DEMO_SECRETS.PII_HMAC_KEY,
    SESSION_SECRET: env.SESSION_SECRET ?? DEMO_SECRETS.SESSION_SECRET,
    CAPTCHA_SECRET: env.CAPTCHA_SECRET ?? DEMO_SECRETS.CAPTCHA_SECRET,
    AGENCY_LINK_KEYS: env.AGENCY_LINK_KEYS ?? [],
    SEED_DEMO_DATA: env.SEED_DEMO_DATA ?? env.DEMO_MODE,
    isProduction: env.NODE_ENV === "production",
    publicUrlIsHttps: env.PUBLIC_URL.startsWith("https://"),
  }));

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
