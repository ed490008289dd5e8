import { createHmac } from "node:crypto";

/**
 * Every key of demo mode, in one place. They are public (they are in this
 * repository): the configuration refuses any value that starts with
 * "demo-only-" outside demo mode, and demo mode refuses real providers and
 * receivers (overlay.server.ts), so these keys can never move real money.
 */

export const DEMO_SECRETS = {
  PII_HMAC_KEY: "demo-only-pii-hmac-key-do-not-use-in-production-0001",
  SESSION_SECRET: "demo-only-session-secret-do-not-use-in-production-01",
  CAPTCHA_SECRET: "demo-only-captcha-secret-do-not-use-in-production-01",
  RECEIPT_SECRET: "demo-only-receipt-secret-do-not-use-in-production-01",
  // 32 bytes, base64 ("demo-only-bindings-key-32bytes!!"): AES-256-GCM key of members' bound numbers.
  BINDING_ENCRYPTION_KEY: "ZGVtby1vbmx5LWJpbmRpbmdzLWtleS0zMmJ5dGVzISE=",
} as const;

/** The local identity provider's client. */
export const DEMO_OIDC_CLIENT = { clientId: "bill-portal", clientSecret: "demo-only-oidc-client-secret-do-not-use-in-production" } as const;

/** The back office's client at the local staff identity provider. */
export const DEMO_STAFF_OIDC_CLIENT = {
  clientId: "back-office",
  clientSecret: "demo-only-staff-oidc-client-secret-do-not-use-in-production",
} as const;

/**
 * Credentials of the sandbox gateway. The ECPay ones are ECPay's own
 * published test merchant, so the same values work on ECPay's stage host.
 */
export const SANDBOX_CREDENTIALS = {
  linePayChannelId: "1656000000",
  linePayChannelSecret: "demo-only-line-pay-channel-secret",
  ecpayMerchantId: "3002607",
  ecpayHashKey: "pwFHCqoQZGmho4w6",
  ecpayHashIv: "EkRm7iFT261dpevs",
  ecpayCreditCheckCode: "59997889",
} as const;

const MASTERS = {
  webhook: "demo-only-agency-webhook-master-do-not-use-in-production",
  link: "demo-only-agency-link-master-do-not-use-in-production",
  source: "demo-only-bill-source-master-do-not-use-in-production",
  apiKey: "demo-only-agency-api-key-master-do-not-use-in-production",
  applicant: "demo-only-ecounter-applicant-master-do-not-use-in-production",
} as const;

/** A demo key's secret, derived from a public master: base64url(HMAC-SHA256(master, id)). */
function derived(master: string, id: string): string {
  return createHmac("sha256", master).update(id).digest("base64url");
}

/** The secret an agency's write-off receiver (the simulator) checks notices with. */
export const demoWebhookSecret = (agency: string) => derived(MASTERS.webhook, agency);

/** The secret of an agency's paper-bill QR links, key id `<agency>-demo`. */
export const demoLinkKey = (agency: string) => ({ id: `${agency}-demo`, agency, secret: derived(MASTERS.link, `${agency}-demo`) });

/** The secret the portal signs its questions to a bill source's simulator with. */
export const demoSourceSecret = (source: string) => derived(MASTERS.source, source);

/** The key the portal and the e-counter's simulator derive applicants' digests with. */
export const demoEcounterApplicantKey = () => derived(MASTERS.applicant, "ecounter");

/**
 * The agency API key of an agency's simulator (seeded in demo mode only): its
 * id says "demo", its secret derives from a public master.
 */
export const demoApiKey = (agency: string) => {
  const id = `${agency}.demodemodemodemo`;
  return { id, agency, secret: derived(MASTERS.apiKey, id) };
};
