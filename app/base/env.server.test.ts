import { describe, expect, it } from "vitest";
import { ConfigurationError, parseEnv } from "./env.server";

function problems(source: Record<string, string>): string[] {
  try {
    parseEnv(source);
  } catch (error) {
    if (error instanceof ConfigurationError) return error.problems;
    throw error;
  }
  return [];
}

describe("configuration", () => {
  it("starts in demo mode with nothing set", () => {
    const env = parseEnv({});
    expect(env).toMatchObject({ PORT: 3000, DEMO_MODE: true, SEED_DEMO_DATA: true, DATA_DIR: ".data" });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.PII_HMAC_KEY.length).toBeGreaterThanOrEqual(32);
  });

  it("names the variable, what is expected and what was given", () => {
    expect(problems({ PORT: "abc" })).toEqual(['PORT must be a port number (got "abc")']);
    expect(problems({ PORT: "70000" })).toEqual(['PORT must be between 1 and 65535 (got "70000")']);
    expect(problems({ LOG_LEVEL: "loud" })).toEqual([
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
    ]);
    expect(problems({ DEMO_MODE: "maybe" })).toEqual(['DEMO_MODE must be true or false (got "maybe")']);
  });

  it("never echoes secrets or connection strings in its messages", () => {
    const [message] = problems({ DATABASE_URL: "mysql://user:hunter2@db/x" });
    expect(message).toBe("DATABASE_URL must be a postgres:// connection URL");
    expect(message).not.toContain("hunter2");
  });

  it("requires real secrets outside demo mode and refuses the public demo keys", () => {
    expect(problems({ DEMO_MODE: "false" })).toEqual([
      "PII_HMAC_KEY is required when DEMO_MODE=false",
      "SESSION_SECRET is required when DEMO_MODE=false",
      "CAPTCHA_SECRET is required when DEMO_MODE=false",
      "RECEIPT_SECRET is required when DEMO_MODE=false",
      "BINDING_ENCRYPTION_KEY is required when DEMO_MODE=false",
    ]);
    const demo = parseEnv({});
    const real = {
      PII_HMAC_KEY: "p".repeat(40),
      SESSION_SECRET: "s".repeat(40),
      CAPTCHA_SECRET: "c".repeat(40),
      RECEIPT_SECRET: "r".repeat(40),
      BINDING_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString("base64"),
    };
    expect(problems({ DEMO_MODE: "false", ...real, SESSION_SECRET: demo.SESSION_SECRET })).toEqual([
      "SESSION_SECRET must not be the public demo key when DEMO_MODE=false",
    ]);
    const env = parseEnv({ DEMO_MODE: "false", ...real });
    expect(env.SEED_DEMO_DATA).toBe(false);
    // Outside demo mode an unconfigured provider is off, never the sandbox.
    expect(env.linePay).toBeNull();
    expect(env.ecpay).toBeNull();
    expect(env.embeddedSandbox).toBe(false);
    // Nor is there a demo identity provider or demo bill sources.
    expect(env.oidc).toBeNull();
    expect(env.billSources).toEqual([]);
    expect(env.embeddedIdentityProvider).toBe(false);
  });

  it("configures members' login and bill sources, with demo stand-ins in demo mode only", () => {
    const demo = parseEnv({ PUBLIC_URL: "http://127.0.0.1:3100", IDP_PORT: "3103" });
    // The identity provider on the portal's own host name, so the login's cookie comes back.
    expect(demo.oidc?.issuer).toBe("http://127.0.0.1:3103");
    expect(demo.embeddedIdentityProvider).toBe(true);
    expect(demo.billSources.map((source) => source.source)).toEqual(["water", "power", "parking"]);
    const real = parseEnv({
      OIDC_ISSUER: "https://id.taichung.example/",
      OIDC_CLIENT_ID: "portal",
      OIDC_CLIENT_SECRET: "x".repeat(32),
      BILL_SOURCES: JSON.stringify([{ source: "water", url: "https://water.example/api", keyId: "k1", secret: "w".repeat(32) }]),
    });
    expect(real.oidc).toEqual({ issuer: "https://id.taichung.example", clientId: "portal", clientSecret: "x".repeat(32) });
    expect(real.embeddedIdentityProvider).toBe(false);
    expect(real.embeddedBillSources).toBe(false);
    expect(problems({ BILL_SOURCES: JSON.stringify([{ source: "gas", url: "https://gas.example", keyId: "k", secret: "g".repeat(32) }]) })).toEqual([
      "BILL_SOURCES.0.source sources are water, power, parking",
    ]);
    expect(problems({ BINDING_ENCRYPTION_KEY: "c2hvcnQ=" })).toEqual(["BINDING_ENCRYPTION_KEY must be 32 bytes, base64-encoded (openssl rand -base64 32)"]);
  });

  it("reads rate limits as COUNT/SECONDS and agency link keys as JSON", () => {
    expect(parseEnv({ RATE_LIMIT_LOOKUP_FAILURES_PER_ADDRESS: "3/60" }).RATE_LIMIT_LOOKUP_FAILURES_PER_ADDRESS).toEqual({
      limit: 3,
      windowSeconds: 60,
    });
    expect(problems({ RATE_LIMIT_LOOKUPS_PER_ADDRESS: "ten" })).toEqual([
      'RATE_LIMIT_LOOKUPS_PER_ADDRESS must be COUNT/SECONDS, for example 10/600 (got "ten")',
    ]);
    const keys = [{ id: "police-2026", agency: "police", secret: "x".repeat(32) }];
    expect(parseEnv({ AGENCY_LINK_KEYS: JSON.stringify(keys) }).AGENCY_LINK_KEYS).toEqual(keys);
    expect(problems({ AGENCY_LINK_KEYS: "{not json" })).toEqual([
      'AGENCY_LINK_KEYS must be JSON: [{"id":"police-2026","agency":"police","secret":"…"}]',
    ]);
    const [weak] = problems({ AGENCY_LINK_KEYS: JSON.stringify([{ id: "police-2026", agency: "police", secret: "short" }]) });
    expect(weak).toContain("key secrets must be at least 32 characters");
    expect(weak).not.toContain("short");
  });

  it("points payment providers at the embedded sandbox in demo mode, and at configured endpoints otherwise", () => {
    const demo = parseEnv({ SANDBOX_PORT: "4001" });
    expect(demo.linePay?.apiUrl).toBe("http://127.0.0.1:4001");
    expect(demo.ecpay?.checkoutUrl).toBe("http://localhost:4001/Cashier/AioCheckOut/V5");
    const real = parseEnv({
      LINE_PAY_API_URL: "https://api-pay.line.me/",
      LINE_PAY_CHANNEL_ID: "1234567890",
      LINE_PAY_CHANNEL_SECRET: "0123456789abcdef0123",
    });
    expect(real.linePay).toEqual({ apiUrl: "https://api-pay.line.me", channelId: "1234567890", channelSecret: "0123456789abcdef0123" });
  });

  it("reports every bad variable at once", () => {
    expect(problems({ PORT: "x", PUBLIC_URL: "ftp://example" })).toHaveLength(2);
  });

  it("treats an empty variable as unset", () => {
    const env = parseEnv({ PORT: "", DATABASE_URL: "" });
    expect(env.PORT).toBe(3000);
    expect(env.DATABASE_URL).toBeUndefined();
  });
});
