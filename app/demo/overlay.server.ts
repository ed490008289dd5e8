import { z } from "zod";
import { BINDING_SOURCE_IDS } from "~/domain/member";
import { DEMO_AGENCIES } from "./data/catalogue";
import {
  DEMO_OIDC_CLIENT,
  DEMO_SECRETS,
  DEMO_STAFF_OIDC_CLIENT,
  SANDBOX_CREDENTIALS,
  demoEcounterApplicantKey,
  demoLinkKey,
  demoSourceSecret,
} from "./keys";
import { SANDBOX_FEES } from "./sandbox-fees";

/**
 * The demo configuration, composed as an overlay on the environment: what is
 * not set is filled in with the sandbox gateway, the agencies' write-off
 * simulator, the local identity providers (residents' and staff's), the
 * bill-source simulators and the demo keys, so `npm start` runs on a fresh machine with nothing configured.
 * What is set stays, within limits: demo mode refuses providers and
 * receivers that are not sandboxes, so it can never take real money or write
 * off a real bill. The portal itself never asks whether it runs a demo.
 */

/** Variables of the demo wing only: where its own servers listen, and whether to run them here. */
const demoVariables = z.object({
  HOST: z.string().default("0.0.0.0"),
  PUBLIC_URL: z.string().default("http://localhost:3000"),
  SANDBOX_PORT: z.coerce.number({ error: "must be a port number" }).int().min(1).max(65535).default(3001),
  SANDBOX_PUBLIC_URL: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
  AGENCY_SIMULATOR_PORT: z.coerce.number({ error: "must be a port number" }).int().min(1).max(65535).default(3002),
  IDP_PORT: z.coerce.number({ error: "must be a port number" }).int().min(1).max(65535).default(3003),
  SOURCES_SIMULATOR_PORT: z.coerce.number({ error: "must be a port number" }).int().min(1).max(65535).default(3004),
  STAFF_IDP_PORT: z.coerce.number({ error: "must be a port number" }).int().min(1).max(65535).default(3005),
  MAIL_SANDBOX_PORT: z.coerce.number({ error: "must be a port number" }).int().min(1).max(65535).default(3006),
  EMBEDDED_SANDBOX: z.enum(["true", "false"], { error: "must be true or false" }).default("true"),
  SEED_DEMO_DATA: z.enum(["true", "false"], { error: "must be true or false" }).default("true"),
});

/** Hosts a demo may talk to as a payment provider: this machine, or the providers' own test hosts. */
const SANDBOX_HOSTS = [
  "127.0.0.1",
  "localhost",
  "[::1]",
  "sandbox-api-pay.line.me",
  "sandbox-web-pay.line.me",
  "payment-stage.ecpay.com.tw",
  "vendor-stage.ecpay.com.tw",
];

export interface DemoServices {
  host: string;
  sandboxPort: number;
  sandboxPublicUrl: string;
  agencySimulatorPort: number;
  /** Set when the portal uses the local identity provider (no OIDC_ISSUER given). */
  identityProviderPort: number | null;
  /** Set when the back office uses the local staff identity provider (no STAFF_OIDC_ISSUER given). */
  staffIdentityProviderPort: number | null;
  /** Set when the portal uses the bill-source simulators (no BILL_SOURCES given) or the e-counter's (no ECOUNTER_URL given). */
  sourcesPort: number | null;
  /** The e-counter's simulator runs (at `/ecounter` on the sources' port), with these keys. */
  ecounterSimulator: { secret: string; applicantKey: string } | null;
  /** Set when mails go to the demo's own mail server (no SMTP_URL given). */
  mailSandboxPort: number | null;
  /** Run the servers above in the portal's own process. */
  embedded: boolean;
  /** Load the demo catalogue and bills into an empty database, and the demo staff where they have no role. */
  seed: boolean;
}

export type DemoOverlay =
  { ok: true; environment: Record<string, string | undefined>; services: DemoServices } | { ok: false; problems: string[] };

const hostOf = (url: string): string | null => {
  try {
    return new URL(url).host.replace(/:\d+$/, "");
  } catch {
    return null;
  }
};

export function demoOverlay(source: Record<string, string | undefined>): DemoOverlay {
  const given = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ""));
  const parsed = demoVariables.safeParse(given);
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`) };
  const vars = parsed.data;
  const problems: string[] = [];

  for (const name of [
    "LINE_PAY_API_URL",
    "LINE_PAY_WEB_ORIGIN",
    "LINE_PAY_SETTLEMENT_URL",
    "ECPAY_CHECKOUT_URL",
    "ECPAY_API_URL",
    "ECPAY_VENDOR_URL",
  ]) {
    const host = given[name] ? hostOf(given[name]) : null;
    if (given[name] && !SANDBOX_HOSTS.includes(host ?? "")) {
      problems.push(
        `${name} must be a sandbox in demo mode (this machine, sandbox-api-pay.line.me, payment-stage.ecpay.com.tw or vendor-stage.ecpay.com.tw): demo mode never takes real money`,
      );
    }
  }
  // Mails of a demo never leave this machine: its addresses are made up, or a tester's own.
  if (given.SMTP_URL && !["127.0.0.1", "localhost", "[::1]"].includes(hostOf(given.SMTP_URL) ?? "")) {
    problems.push(
      "SMTP_URL must be a mail server on this machine in demo mode (127.0.0.1 or localhost): demo mode never mails real people",
    );
  }
  if (problems.length > 0) return { ok: false, problems };

  const sandboxUrl = `http://127.0.0.1:${vars.SANDBOX_PORT}`;
  const sandboxPublicUrl = (vars.SANDBOX_PUBLIC_URL ?? `http://localhost:${vars.SANDBOX_PORT}`).replace(/\/+$/, "");
  const publicHost = hostOf(vars.PUBLIC_URL) ?? "localhost";
  // Staff come back to the back office's own host (BACK_OFFICE_URL): the staff provider is named by it.
  const backOfficeHost = hostOf(given.BACK_OFFICE_URL ?? vars.PUBLIC_URL) ?? publicHost;
  const linePayGiven = given.LINE_PAY_API_URL && given.LINE_PAY_CHANNEL_ID && given.LINE_PAY_CHANNEL_SECRET;
  const ecpayGiven =
    given.ECPAY_CHECKOUT_URL && given.ECPAY_API_URL && given.ECPAY_MERCHANT_ID && given.ECPAY_HASH_KEY && given.ECPAY_HASH_IV;
  const localIdentityProvider = !given.OIDC_ISSUER;
  const localStaffIdentityProvider = !given.STAFF_OIDC_ISSUER;
  const localSources = !given.BILL_SOURCES;
  const localEcounter = !given.ECOUNTER_URL;
  const configuredLinkKeys = given.AGENCY_LINK_KEYS ? (JSON.parse(given.AGENCY_LINK_KEYS) as unknown[]) : [];

  const environment: Record<string, string | undefined> = {
    ...DEMO_SECRETS,
    ...given,
    DEMO_MODE: "true",
    SERVICE_NOTICE: given.SERVICE_NOTICE ?? "demo",
    ...(linePayGiven
      ? {}
      : {
          LINE_PAY_API_URL: given.LINE_PAY_API_URL ?? sandboxUrl,
          LINE_PAY_CHANNEL_ID: SANDBOX_CREDENTIALS.linePayChannelId,
          LINE_PAY_CHANNEL_SECRET: SANDBOX_CREDENTIALS.linePayChannelSecret,
          LINE_PAY_WEB_ORIGIN: given.LINE_PAY_WEB_ORIGIN ?? new URL(sandboxPublicUrl).origin,
          LINE_PAY_SETTLEMENT_URL: given.LINE_PAY_SETTLEMENT_URL ?? `${sandboxUrl}/merchant/settlement-report`,
        }),
    ...(ecpayGiven
      ? {}
      : {
          ECPAY_CHECKOUT_URL: given.ECPAY_CHECKOUT_URL ?? `${sandboxPublicUrl}/Cashier/AioCheckOut/V5`,
          ECPAY_API_URL: given.ECPAY_API_URL ?? sandboxUrl,
          ECPAY_MERCHANT_ID: SANDBOX_CREDENTIALS.ecpayMerchantId,
          ECPAY_HASH_KEY: SANDBOX_CREDENTIALS.ecpayHashKey,
          ECPAY_HASH_IV: SANDBOX_CREDENTIALS.ecpayHashIv,
          ECPAY_CREDIT_CHECK_CODE: SANDBOX_CREDENTIALS.ecpayCreditCheckCode,
          ECPAY_VENDOR_URL: given.ECPAY_VENDOR_URL ?? sandboxUrl,
        }),
    // The sandbox's own fees, so that a demo day reconciles to "matched" unless a fault says otherwise.
    PROVIDER_FEES: given.PROVIDER_FEES ?? JSON.stringify(SANDBOX_FEES),
    ...(localIdentityProvider
      ? {
          // The same host name as the portal: the login's state cookie must come back (stack notes).
          OIDC_ISSUER: `http://${publicHost}:${vars.IDP_PORT}`,
          OIDC_CLIENT_ID: DEMO_OIDC_CLIENT.clientId,
          OIDC_CLIENT_SECRET: DEMO_OIDC_CLIENT.clientSecret,
          OIDC_ALLOW_HTTP: "true",
        }
      : {}),
    ...(localStaffIdentityProvider
      ? {
          STAFF_OIDC_ISSUER: `http://${backOfficeHost}:${vars.STAFF_IDP_PORT}`,
          STAFF_OIDC_CLIENT_ID: DEMO_STAFF_OIDC_CLIENT.clientId,
          STAFF_OIDC_CLIENT_SECRET: DEMO_STAFF_OIDC_CLIENT.clientSecret,
          OIDC_ALLOW_HTTP: "true",
        }
      : {}),
    // A demo answers its back office on this machine only: anyone else reaching the port is no staff member.
    BACK_OFFICE_NETWORKS: given.BACK_OFFICE_NETWORKS ?? "127.0.0.0/8,::1/128",
    ...(localSources
      ? {
          BILL_SOURCES: JSON.stringify(
            BINDING_SOURCE_IDS.map((id) => ({
              source: id,
              url: `http://127.0.0.1:${vars.SOURCES_SIMULATOR_PORT}/${id}`,
              keyId: `${id}-demo`,
              secret: demoSourceSecret(id),
            })),
          ),
        }
      : {}),
    ...(localEcounter
      ? {
          ECOUNTER_URL: `http://127.0.0.1:${vars.SOURCES_SIMULATOR_PORT}/ecounter`,
          ECOUNTER_KEY_ID: "ecounter-demo",
          ECOUNTER_SECRET: demoSourceSecret("ecounter"),
          ECOUNTER_APPLICANT_KEY: demoEcounterApplicantKey(),
        }
      : {}),
    SMTP_URL: given.SMTP_URL ?? `smtp://127.0.0.1:${vars.MAIL_SANDBOX_PORT}`,
    MAIL_FROM: given.MAIL_FROM ?? "支付繳費通（示範） <no-reply@demo.localhost>",
    AGENCY_LINK_KEYS: JSON.stringify([...configuredLinkKeys, ...DEMO_AGENCIES.map((agency) => demoLinkKey(agency.code))]),
  };
  return {
    ok: true,
    environment,
    services: {
      host: vars.HOST,
      sandboxPort: vars.SANDBOX_PORT,
      sandboxPublicUrl,
      agencySimulatorPort: vars.AGENCY_SIMULATOR_PORT,
      identityProviderPort: localIdentityProvider ? vars.IDP_PORT : null,
      staffIdentityProviderPort: localStaffIdentityProvider ? vars.STAFF_IDP_PORT : null,
      sourcesPort: localSources || localEcounter ? vars.SOURCES_SIMULATOR_PORT : null,
      ecounterSimulator: localEcounter ? { secret: demoSourceSecret("ecounter"), applicantKey: demoEcounterApplicantKey() } : null,
      mailSandboxPort: given.SMTP_URL ? null : vars.MAIL_SANDBOX_PORT,
      embedded: vars.EMBEDDED_SANDBOX === "true",
      seed: vars.SEED_DEMO_DATA === "true",
    },
  };
}
