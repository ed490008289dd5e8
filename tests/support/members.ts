import { createServer, type Server } from "node:http";
import { createHmac } from "node:crypto";
import type { PendingBillsContext } from "~/members/pending-bills.server";
import type { BillSourceId } from "~/domain/member";
import { createBillSourceSimulator } from "~/demo/bill-sources.server";
import { createIdentityProvider } from "~/demo/identity-provider.server";
import type { Database } from "~/base/db.server";
import type { Env } from "~/base/env.server";
import { DEMO_OIDC_CLIENT } from "~/demo/keys";
import { demoEnv } from "./env";
import { capturedLogger, listen } from "./payments";

/**
 * The members' world of a test: the local identity provider and the bill
 * source simulators, each on a port of its own, spoken to over real HTTP
 * with real signatures.
 */

const sourceSecret = (source: string) => createHmac("sha256", "test-bill-source-master").update(source).digest("base64url");

/** A server whose address is known before its handler: an identity provider needs its issuer URL to be made. */
export async function listenLater(): Promise<{ server: Server; url: string; handle(app: (req: never, res: never) => void): void }> {
  let handler: ((req: never, res: never) => void) | undefined;
  const server = createServer((req, res) => (handler ? handler(req as never, res as never) : res.writeHead(503).end()));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${port}`, handle: (app) => (handler = app) };
}

export async function startMemberWorld(db: Database, overrides: Record<string, string> = {}, sourceLatencyMs = 20) {
  const idpServer = await listenLater();
  const sources = createBillSourceSimulator((source) => sourceSecret(source), sourceLatencyMs);
  const sourcesServer = await listen(sources.app);
  const env: Env = demoEnv({
    PUBLIC_URL: "http://127.0.0.1:3999",
    OIDC_ISSUER: idpServer.url,
    OIDC_CLIENT_ID: DEMO_OIDC_CLIENT.clientId,
    OIDC_CLIENT_SECRET: DEMO_OIDC_CLIENT.clientSecret,
    // The test's own identity provider, over plain http on this machine.
    OIDC_ALLOW_HTTP: "true",
    BILL_SOURCES: JSON.stringify(
      (["water", "power", "parking"] as BillSourceId[]).map((source) => ({
        source,
        url: `${sourcesServer.url}/${source}`,
        keyId: `${source}-test`,
        secret: sourceSecret(source),
      })),
    ),
    // Sources and PGlite share this process: a query of the portal's own bills holds up a source's answer meanwhile.
    BILL_SOURCE_TIMEOUT_MS: "1500",
    ...overrides,
  });
  const idp = createIdentityProvider({
    issuer: idpServer.url,
    clientId: env.oidc!.clientId,
    clientSecret: env.oidc!.clientSecret,
    redirectUris: [`${env.PUBLIC_URL}/auth/callback`],
    postLogoutRedirectUris: [`${env.PUBLIC_URL}/logged-out`],
    cookieSecret: "test-identity-provider-cookie-secret",
  });
  idpServer.handle(idp.app as never);

  const { logs, logger } = capturedLogger("debug");
  const ctx: PendingBillsContext = { db, env, logger };
  return {
    env,
    ctx,
    logs,
    sources,
    sourcesUrl: sourcesServer.url,
    idpUrl: idpServer.url,
    async close() {
      await Promise.all([idpServer.server, sourcesServer.server].map((server) => new Promise((r) => server.close(r))));
    },
  };
}

export type MemberWorld = Awaited<ReturnType<typeof startMemberWorld>>;

/**
 * A member's browser at the identity provider: follows the authorization URL
 * to the login page, signs in, and returns the URL the provider sends them
 * back to (the portal's callback with code and state).
 */
export async function loginAtProvider(authorizationUrl: string, username: string, password: string): Promise<URL> {
  const jar = new Map<string, string>();
  const cookieHeader = () => [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
  const remember = (response: Response) => {
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(";");
      const at = pair!.indexOf("=");
      jar.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
  };
  let url = new URL(authorizationUrl);
  let init: RequestInit = {};
  for (let hop = 0; hop < 10; hop++) {
    const response = await fetch(url, { ...init, redirect: "manual", headers: { ...(init.headers ?? {}), cookie: cookieHeader() } });
    remember(response);
    const location = response.headers.get("location");
    if (location) {
      const next = new URL(location, url);
      if (next.pathname.endsWith("/auth/callback")) return next;
      url = next;
      init = {};
      continue;
    }
    const html = await response.text();
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    if (!action) throw new Error(`no login form at ${url.pathname} (HTTP ${response.status})`);
    url = new URL(action, url);
    init = {
      method: "POST",
      body: new URLSearchParams({ username, password }),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    };
  }
  throw new Error("too many redirects at the identity provider");
}
