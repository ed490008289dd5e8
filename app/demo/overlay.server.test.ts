import { describe, expect, it } from "vitest";
import { parseEnv } from "~/base/env.server";
import { demoOverlay } from "./overlay.server";

function overlaid(source: Record<string, string>) {
  const overlay = demoOverlay(source);
  if (!overlay.ok) throw new Error(overlay.problems.join("; "));
  return { env: parseEnv(overlay.environment), services: overlay.services };
}

const refusals = (source: Record<string, string>) => {
  const overlay = demoOverlay(source);
  return overlay.ok ? [] : overlay.problems;
};

describe("the demo overlay", () => {
  it("fills in the sandboxes, the local identity providers, the simulators and the demo keys", () => {
    const { env, services } = overlaid({
      PUBLIC_URL: "http://127.0.0.1:3100",
      SANDBOX_PORT: "4001",
      IDP_PORT: "3103",
      STAFF_IDP_PORT: "3105",
    });
    expect(env.DEMO_MODE).toBe(true);
    expect(env.SERVICE_NOTICE).toBe("demo");
    expect(env.linePay?.apiUrl).toBe("http://127.0.0.1:4001");
    expect(env.ecpay?.checkoutUrl).toBe("http://localhost:4001/Cashier/AioCheckOut/V5");
    // The identity provider on the portal's own host name, so the login's cookie comes back.
    expect(env.oidc).toMatchObject({ issuer: "http://127.0.0.1:3103", allowHttp: true });
    // The staff directory is an issuer of its own, beside the residents'.
    expect(env.staffOidc).toMatchObject({ issuer: "http://127.0.0.1:3105", clientId: "back-office", allowHttp: true });
    // The back office answers this machine only.
    expect(env.backOfficeNetworks).toHaveLength(2);
    expect(env.billSources.map((source) => source.source)).toEqual(["water", "power", "parking"]);
    // The e-counter's simulator beside the bill sources', with the demo's public keys.
    expect(env.ecounter).toMatchObject({ url: "http://127.0.0.1:3004/ecounter", keyId: "ecounter-demo" });
    expect(env.AGENCY_LINK_KEYS.map((key) => key.id)).toContain("police-demo");
    expect(services).toMatchObject({
      sandboxPort: 4001,
      identityProviderPort: 3103,
      staffIdentityProviderPort: 3105,
      sourcesPort: 3004,
      embedded: true,
      seed: true,
    });
  });

  it("keeps what is configured: real identity providers, bill sources and e-counter need no stand-ins", () => {
    const { env, services } = overlaid({
      OIDC_ISSUER: "https://id.taichung.example",
      OIDC_CLIENT_ID: "portal",
      OIDC_CLIENT_SECRET: "x".repeat(32),
      STAFF_OIDC_ISSUER: "https://staff-id.taichung.example",
      STAFF_OIDC_CLIENT_ID: "back-office",
      STAFF_OIDC_CLIENT_SECRET: "s".repeat(32),
      BACK_OFFICE_NETWORKS: "10.20.0.0/16",
      BILL_SOURCES: JSON.stringify([{ source: "water", url: "https://water.example/api", keyId: "k1", secret: "w".repeat(32) }]),
      ECOUNTER_URL: "https://ecounter.taichung.example/portal",
      ECOUNTER_KEY_ID: "portal",
      ECOUNTER_SECRET: "e".repeat(32),
      ECOUNTER_APPLICANT_KEY: "a".repeat(32),
      SEED_DEMO_DATA: "false",
    });
    expect(env.ecounter).toMatchObject({ url: "https://ecounter.taichung.example/portal", keyId: "portal" });
    expect(env.oidc).toMatchObject({ issuer: "https://id.taichung.example", allowHttp: false });
    expect(env.staffOidc).toMatchObject({ issuer: "https://staff-id.taichung.example", allowHttp: false });
    expect(env.backOfficeNetworks).toHaveLength(1);
    expect(services).toMatchObject({
      identityProviderPort: null,
      staffIdentityProviderPort: null,
      sourcesPort: null,
      ecounterSimulator: null,
      seed: false,
    });
  });

  it("refuses payment providers that are not sandboxes: demo mode never takes real money", () => {
    expect(refusals({ LINE_PAY_API_URL: "https://api-pay.line.me" })).toEqual([
      "LINE_PAY_API_URL must be a sandbox in demo mode (this machine, sandbox-api-pay.line.me, payment-stage.ecpay.com.tw or vendor-stage.ecpay.com.tw): demo mode never takes real money",
    ]);
    expect(
      refusals({
        ECPAY_CHECKOUT_URL: "https://payment.ecpay.com.tw/Cashier/AioCheckOut/V5",
        ECPAY_API_URL: "https://payment.ecpay.com.tw",
      }),
    ).toHaveLength(2);
    expect(refusals({ LINE_PAY_API_URL: "https://sandbox-api-pay.line.me", ECPAY_API_URL: "https://payment-stage.ecpay.com.tw" })).toEqual(
      [],
    );
  });

  it("sends a demo's mails to its own mail server, or to another on this machine only: demo mode never mails real people", () => {
    const { env, services } = overlaid({ MAIL_SANDBOX_PORT: "4006" });
    expect(env.SMTP_URL).toBe("smtp://127.0.0.1:4006");
    expect(env.MAIL_FROM).toContain("no-reply@");
    expect(services.mailSandboxPort).toBe(4006);
    // A tester's own local server (such as Mailpit) is used instead, and the demo's is not started.
    expect(overlaid({ SMTP_URL: "smtp://localhost:1025" }).services.mailSandboxPort).toBeNull();
    expect(refusals({ SMTP_URL: "smtps://user:secret@smtp.example.com:465" })).toEqual([
      expect.stringContaining("SMTP_URL must be a mail server on this machine"),
    ]);
  });
});
