import type { Server } from "node:http";
import type express from "express";
import type { Logger } from "pino";
import type { DatabaseHandle } from "~/base/db.server";
import type { Env } from "~/base/env.server";
import { postLogoutRedirectUri, redirectUri } from "~/members/oidc.server";
import { staffPostLogoutRedirectUri, staffRedirectUri } from "~/back-office/staff-oidc.server";
import { createAgencySimulator } from "./agency-simulator.server";
import { createBillSourceSimulator } from "./bill-sources.server";
import { seedDemoDataIfEmpty, seedDemoStaff } from "./data/seed.server";
import { DEMO_STAFF, DEMO_STAFF_PASSWORD } from "./data/staff";
import { createSandboxGateway } from "./gateway.server";
import { createIdentityProvider, staffDirectory } from "./identity-provider.server";
import { SANDBOX_CREDENTIALS, demoWebhookSecret } from "./keys";
import { demoOverlay, type DemoServices } from "./overlay.server";

/**
 * The demo wing's face to the composition root, the one place that loads it
 * (and only in demo mode): the configuration overlay, the demo data, and the
 * stand-ins for the outside world (the sandbox payment gateway, the agencies'
 * write-off receivers, the city app's identity provider, the city's staff
 * directory, the water, power and parking bill systems), each on a port of
 * its own.
 */
export { demoOverlay, type DemoServices };

function listen(app: express.Express | ((req: never, res: never) => void), port: number, host: string): Promise<Server> {
  return new Promise<Server>((resolve, reject) => {
    const server = (app as express.Express).listen(port, host, () => resolve(server)).once("error", reject);
  });
}

/**
 * Loads the demo catalogue and bills into an empty database, and gives the
 * demo staff their accounts and roles where they have none (every instance
 * may try: one does it).
 */
export async function seedDemoData(database: DatabaseHandle, env: Env, logger: Logger): Promise<void> {
  const { result, staff } = await database.withStartupLock(async (db) => ({
    result: await seedDemoDataIfEmpty(db, { piiHmacKey: env.PII_HMAC_KEY }),
    staff: await seedDemoStaff(db),
  }));
  if (result.seeded) logger.info(result, "demo data seeded");
  if (staff.staff > 0 || staff.grants > 0) logger.info(staff, "demo staff seeded");
}

/** Starts the stand-ins the configuration points at; the servers, for shutdown. */
export async function startDemoServices(env: Env, services: DemoServices, logger: Logger): Promise<Server[]> {
  const gateway = createSandboxGateway(SANDBOX_CREDENTIALS, { publicUrl: services.sandboxPublicUrl });
  const simulator = createAgencySimulator(demoWebhookSecret);
  const servers = [
    await listen(gateway.app, services.sandboxPort, services.host),
    await listen(simulator.app, services.agencySimulatorPort, "127.0.0.1"),
  ];
  logger.info(
    { sandbox: services.sandboxPublicUrl, agencySimulator: `http://127.0.0.1:${services.agencySimulatorPort}` },
    "sandbox payment gateway and agency simulator listening",
  );
  if (services.identityProviderPort !== null && env.oidc) {
    const { app } = createIdentityProvider({
      issuer: env.oidc.issuer,
      clientId: env.oidc.clientId,
      clientSecret: env.oidc.clientSecret,
      redirectUris: [redirectUri(env)],
      postLogoutRedirectUris: [postLogoutRedirectUri(env)],
      cookieSecret: env.SESSION_SECRET,
    });
    servers.push(await listen(app, services.identityProviderPort, services.host));
    logger.info(
      { issuer: env.oidc.issuer },
      "local identity provider listening (demo members: meihsin, xiaoming, member-b; password demo-1234)",
    );
  }
  if (services.staffIdentityProviderPort !== null && env.staffOidc) {
    const { app } = createIdentityProvider({
      issuer: env.staffOidc.issuer,
      clientId: env.staffOidc.clientId,
      clientSecret: env.staffOidc.clientSecret,
      // The addresses the back office's relying party registers (README, STAFF_OIDC_ISSUER).
      redirectUris: [staffRedirectUri(env)],
      postLogoutRedirectUris: [staffPostLogoutRedirectUri(env)],
      cookieSecret: env.SESSION_SECRET,
      directory: staffDirectory(),
    });
    servers.push(await listen(app, services.staffIdentityProviderPort, services.host));
    logger.info(
      { issuer: env.staffOidc.issuer },
      `local staff identity provider listening (demo staff: ${DEMO_STAFF.map((member) => member.username).join(", ")}; password ${DEMO_STAFF_PASSWORD})`,
    );
  }
  if (services.sourcesPort !== null) {
    const secrets = new Map(env.billSources.map((source) => [source.source, source.secret]));
    const sources = createBillSourceSimulator((source) => secrets.get(source));
    servers.push(await listen(sources.app, services.sourcesPort, "127.0.0.1"));
    logger.info({ url: `http://127.0.0.1:${services.sourcesPort}` }, "bill source simulators (water, power, parking) listening");
  }
  return servers;
}
