import { describe, expect, it } from "vitest";
import { ConfigurationError, demoModeRequested, parseEnv } from "./env.server";

function problems(source: Record<string, string>): string[] {
  try {
    parseEnv(source);
  } catch (error) {
    if (error instanceof ConfigurationError) return error.problems;
    throw error;
  }
  return [];
}

/** The portal's own secrets, made up for the tests. */
const SECRETS = {
  PII_HMAC_KEY: "p".repeat(40),
  SESSION_SECRET: "s".repeat(40),
  CAPTCHA_SECRET: "c".repeat(40),
  RECEIPT_SECRET: "r".repeat(40),
  BINDING_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString("base64"),
};

describe("configuration", () => {
  it("runs the demo on the embedded database unless told otherwise, and never by default on PostgreSQL", () => {
    expect(demoModeRequested({})).toBe(true);
    expect(demoModeRequested({ DATABASE_URL: "postgres://db/portal" })).toBe(false);
    expect(demoModeRequested({ DATABASE_URL: "postgres://db/portal", DEMO_MODE: "true" })).toBe(true);
    expect(demoModeRequested({ DEMO_MODE: "false" })).toBe(false);
  });

  it("needs its secrets given, and says which", () => {
    expect(problems({ DEMO_MODE: "false" })).toEqual([
      "PII_HMAC_KEY is required",
      "SESSION_SECRET is required",
      "CAPTCHA_SECRET is required",
      "RECEIPT_SECRET is required",
      "BINDING_ENCRYPTION_KEY is required",
    ]);
    const env = parseEnv({ DEMO_MODE: "false", ...SECRETS });
    expect(env).toMatchObject({ PORT: 3000, DEMO_MODE: false, SERVICE_NOTICE: "none", DATA_DIR: ".data" });
  });

  it("serves metrics only when METRICS_PORT is given, on this machine unless METRICS_HOST says otherwise, never on PORT", () => {
    const env = parseEnv({ ...SECRETS });
    expect(env.METRICS_PORT).toBeUndefined();
    expect(env.METRICS_HOST).toBe("127.0.0.1");
    expect(parseEnv({ ...SECRETS, METRICS_PORT: "9464", METRICS_HOST: "10.0.0.5" })).toMatchObject({
      METRICS_PORT: 9464,
      METRICS_HOST: "10.0.0.5",
    });
    expect(problems({ ...SECRETS, METRICS_PORT: "metrics" })).toEqual([
      `METRICS_PORT must be a port number (the Prometheus metrics' own port) (got "metrics")`,
    ]);
    expect(problems({ ...SECRETS, PORT: "8080", METRICS_PORT: "8080" })).toEqual([
      'METRICS_PORT must not be PORT: the metrics are never served on the public port (got "8080")',
    ]);
  });

  it("names the variable, what is expected and what was given", () => {
    expect(problems({ ...SECRETS, PORT: "abc" })).toEqual(['PORT must be a port number (got "abc")']);
    expect(problems({ ...SECRETS, PORT: "70000" })).toEqual(['PORT must be between 1 and 65535 (got "70000")']);
    expect(problems({ ...SECRETS, LOG_LEVEL: "loud" })).toEqual([
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
    ]);
    expect(problems({ ...SECRETS, DEMO_MODE: "maybe" })).toEqual(['DEMO_MODE must be true or false (got "maybe")']);
  });

  it("never echoes secrets or connection strings in its messages", () => {
    const [message] = problems({ ...SECRETS, DATABASE_URL: "mysql://user:hunter2@db/x" });
    expect(message).toBe("DATABASE_URL must be a postgres:// connection URL");
    expect(message).not.toContain("hunter2");
  });

  it("refuses every public demo key outside demo mode, and the plain-http identity provider", () => {
    expect(problems({ DEMO_MODE: "false", ...SECRETS, SESSION_SECRET: "demo-only-session-secret-do-not-use-in-production-01" })).toEqual([
      "SESSION_SECRET must not be a public demo key outside demo mode",
    ]);
    // The demo binding key is base64 of "demo-only-…".
    expect(problems({ DEMO_MODE: "false", ...SECRETS, BINDING_ENCRYPTION_KEY: "ZGVtby1vbmx5LWJpbmRpbmdzLWtleS0zMmJ5dGVzISE=" })).toEqual([
      "BINDING_ENCRYPTION_KEY must not be a public demo key outside demo mode",
    ]);
    expect(problems({ DEMO_MODE: "false", ...SECRETS, OIDC_ALLOW_HTTP: "true" })).toEqual([
      'OIDC_ALLOW_HTTP is for the local identity provider of demo mode only (got "true")',
    ]);
    // With DATABASE_URL and no DEMO_MODE, it is not a demo either.
    expect(
      problems({
        DATABASE_URL: "postgres://db/portal",
        ...SECRETS,
        CAPTCHA_SECRET: "demo-only-captcha-secret-do-not-use-in-production-01",
      }),
    ).toEqual(["CAPTCHA_SECRET must not be a public demo key outside demo mode"]);
  });

  it("refuses the retired AGENCY_WEBHOOKS (receivers are kept in the database), without echoing its secrets", () => {
    const hooks = JSON.stringify([{ agency: "police", url: "https://police.example.gov.tw/hook", secret: "s".repeat(40) }]);
    expect(() => parseEnv({ DEMO_MODE: "false", ...SECRETS, AGENCY_WEBHOOKS: hooks })).toThrow(/AGENCY_WEBHOOKS is no longer read/);
    expect(() => parseEnv({ DEMO_MODE: "false", ...SECRETS, AGENCY_WEBHOOKS: hooks })).not.toThrow(/s{40}/);
  });

  it("leaves every outside service off until it is configured", () => {
    const env = parseEnv({ DEMO_MODE: "false", ...SECRETS });
    expect(env.linePay).toBeNull();
    expect(env.ecpay).toBeNull();
    expect(env.oidc).toBeNull();
    expect(env.billSources).toEqual([]);
    expect(env.AGENCY_LINK_KEYS).toEqual([]);
  });

  it("configures providers, members' login and bill sources as given", () => {
    const env = parseEnv({
      DEMO_MODE: "false",
      ...SECRETS,
      LINE_PAY_API_URL: "https://api-pay.line.me/",
      LINE_PAY_CHANNEL_ID: "1234567890",
      LINE_PAY_CHANNEL_SECRET: "0123456789abcdef0123",
      OIDC_ISSUER: "https://id.taichung.example/",
      OIDC_CLIENT_ID: "portal",
      OIDC_CLIENT_SECRET: "x".repeat(32),
      BILL_SOURCES: JSON.stringify([{ source: "water", url: "https://water.example/api", keyId: "k1", secret: "w".repeat(32) }]),
    });
    expect(env.linePay).toEqual({
      apiUrl: "https://api-pay.line.me",
      channelId: "1234567890",
      channelSecret: "0123456789abcdef0123",
      webOrigin: undefined,
    });
    expect(env.oidc).toEqual({ issuer: "https://id.taichung.example", clientId: "portal", clientSecret: "x".repeat(32), allowHttp: false });
    expect(env.billSources.map((source) => source.source)).toEqual(["water"]);
    expect(
      problems({
        ...SECRETS,
        BILL_SOURCES: JSON.stringify([{ source: "gas", url: "https://gas.example", keyId: "k", secret: "g".repeat(32) }]),
      }),
    ).toEqual(["BILL_SOURCES.0.source sources are water, power, parking"]);
    // The e-counter is no binding source: it has settings of its own, all four or none.
    expect(
      problems({
        ...SECRETS,
        BILL_SOURCES: JSON.stringify([{ source: "ecounter", url: "https://e.example", keyId: "k", secret: "e".repeat(32) }]),
      }),
    ).toEqual(["BILL_SOURCES.0.source sources are water, power, parking"]);
    expect(problems({ ...SECRETS, ECOUNTER_URL: "https://ecounter.example", ECOUNTER_SECRET: "e".repeat(32) })).toEqual([
      "ECOUNTER_KEY_ID is required with the other ECOUNTER_ settings",
      "ECOUNTER_APPLICANT_KEY is required with the other ECOUNTER_ settings",
    ]);
    expect(problems({ ...SECRETS, BINDING_ENCRYPTION_KEY: "c2hvcnQ=" })).toEqual([
      "BINDING_ENCRYPTION_KEY must be 32 bytes, base64-encoded (openssl rand -base64 32)",
    ]);
  });

  it("reads rate limits as COUNT/SECONDS and agency link keys as JSON", () => {
    expect(parseEnv({ ...SECRETS, RATE_LIMIT_LOOKUP_FAILURES_PER_ADDRESS: "3/60" }).RATE_LIMIT_LOOKUP_FAILURES_PER_ADDRESS).toEqual({
      limit: 3,
      windowSeconds: 60,
    });
    expect(problems({ ...SECRETS, RATE_LIMITS_PER_ADDRESS: "x", RATE_LIMIT_LOOKUPS_PER_ADDRESS: "ten" })).toEqual([
      'RATE_LIMIT_LOOKUPS_PER_ADDRESS must be COUNT/SECONDS, for example 10/600 (got "ten")',
    ]);
    const keys = [{ id: "police-2026", agency: "police", secret: "x".repeat(32) }];
    expect(parseEnv({ ...SECRETS, AGENCY_LINK_KEYS: JSON.stringify(keys) }).AGENCY_LINK_KEYS).toEqual(keys);
    expect(problems({ ...SECRETS, AGENCY_LINK_KEYS: "{not json" })).toEqual([
      'AGENCY_LINK_KEYS must be JSON: [{"id":"police-2026","agency":"police","secret":"…"}]',
    ]);
    const [weak] = problems({ ...SECRETS, AGENCY_LINK_KEYS: JSON.stringify([{ id: "police-2026", agency: "police", secret: "short" }]) });
    expect(weak).toContain("key secrets must be at least 32 characters");
    expect(weak).not.toContain("short");
  });

  it("reads the back office's networks, and names the variable and the item that is no network", () => {
    expect(parseEnv({ ...SECRETS }).backOfficeNetworks).toEqual([]);
    expect(parseEnv({ ...SECRETS, BACK_OFFICE_NETWORKS: "10.20.0.0/16, 192.168.1.10 2001:db8::/32" }).backOfficeNetworks).toEqual([
      { address: "10.20.0.0", prefix: 16, family: "ipv4" },
      { address: "192.168.1.10", prefix: 32, family: "ipv4" },
      { address: "2001:db8::", prefix: 32, family: "ipv6" },
    ]);
    for (const bad of ["10.20.0.0/33", "city-hall.example", "10.20.0.0/16;"]) {
      const [message, ...more] = problems({ ...SECRETS, BACK_OFFICE_NETWORKS: `127.0.0.1, ${bad}` });
      expect(more).toEqual([]);
      expect(message).toBe(
        `BACK_OFFICE_NETWORKS "${bad}" is not an address or CIDR network (like 10.0.0.0/8 or 2001:db8::/32) (got "127.0.0.1, ${bad}")`,
      );
    }
    expect(problems({ ...SECRETS, BACK_OFFICE_NETWORKS: "10.0.0.0/8, ::1/129, localhost" })).toHaveLength(2);
  });

  it("reads an agency's own networks as JSON, and says which entry is wrong", () => {
    const agencies = [{ agency: "police", networks: ["10.20.0.0/16", "2001:db8:20::/48"] }];
    expect(parseEnv({ ...SECRETS, BACK_OFFICE_AGENCY_NETWORKS: JSON.stringify(agencies) }).backOfficeAgencyNetworks).toEqual([
      {
        agency: "police",
        networks: [
          { address: "10.20.0.0", prefix: 16, family: "ipv4" },
          { address: "2001:db8:20::", prefix: 48, family: "ipv6" },
        ],
      },
    ]);
    expect(
      problems({
        ...SECRETS,
        BACK_OFFICE_AGENCY_NETWORKS: JSON.stringify([
          { agency: "water", networks: ["10.30.0.0/8"] },
          { agency: "police", networks: ["10.20.0.0/40"] },
        ]),
      }),
    ).toEqual(['BACK_OFFICE_AGENCY_NETWORKS.1.networks "10.20.0.0/40" is not an address or CIDR network']);
    expect(problems({ ...SECRETS, BACK_OFFICE_AGENCY_NETWORKS: "police=10.20.0.0/16" })).toEqual([
      'BACK_OFFICE_AGENCY_NETWORKS must be JSON: [{"agency":"police","networks":["10.20.0.0/16"]}] (got "police=10.20.0.0/16")',
    ]);
    expect(problems({ ...SECRETS, BACK_OFFICE_AGENCY_NETWORKS: '{"police":["10.20.0.0/16"]}' })[0]).toMatch(
      /^BACK_OFFICE_AGENCY_NETWORKS must be a JSON array like /,
    );
  });

  it("reports every bad variable at once, and treats an empty variable as unset", () => {
    expect(problems({ ...SECRETS, PORT: "x", PUBLIC_URL: "ftp://example" })).toHaveLength(2);
    const env = parseEnv({ ...SECRETS, PORT: "", DATABASE_URL: "" });
    expect(env.PORT).toBe(3000);
    expect(env.DATABASE_URL).toBeUndefined();
  });
});
