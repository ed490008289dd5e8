import type { Server } from "node:http";
import express from "express";
import type { Logger } from "pino";
import type { Database, DatabaseHandle } from "~/base/db.server";
import { findReceiver } from "~/agencies/webhook-receivers.server";
import type { Env } from "~/base/env.server";
import { postLogoutRedirectUri, redirectUri } from "~/members/oidc.server";
import { staffPostLogoutRedirectUri, staffRedirectUri } from "~/back-office/staff-oidc.server";
import { createAgencySimulator } from "./agency-simulator.server";
import { createBillSourceSimulator } from "./bill-sources.server";
import { createEcounterSimulator } from "./ecounter-simulator.server";
import { seedDemoApiKeys, seedDemoDataIfEmpty, seedDemoStaff, seedSimulatorReceivers } from "./data/seed.server";
import { DEMO_STAFF, DEMO_STAFF_PASSWORD } from "./data/staff";
import { createSandboxGateway } from "./gateway.server";
import { createMailSandbox } from "./mail-server.server";
import { createIdentityProvider, staffDirectory } from "./identity-provider.server";
import { SANDBOX_CREDENTIALS, demoApiKey } from "./keys";
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
export async function seedDemoData(database: DatabaseHandle, env: Env, services: DemoServices, logger: Logger): Promise<void> {
  const { result, staff, receivers, apiKeys } = await database.withStartupLock(async (db) => ({
    result: await seedDemoDataIfEmpty(db, { piiHmacKey: env.PII_HMAC_KEY }),
    staff: await seedDemoStaff(db),
    receivers: await seedSimulatorReceivers(db, env, `http://127.0.0.1:${services.agencySimulatorPort}`),
    apiKeys: await seedDemoApiKeys(db, env),
  }));
  if (result.seeded) logger.info(result, "demo data seeded");
  if (staff.staff > 0 || staff.grants > 0) logger.info(staff, "demo staff seeded");
  if (receivers > 0) logger.info({ receivers }, "agencies' webhook receivers set to the agency simulator");
  if (apiKeys > 0) logger.info({ apiKeys }, "demo agency API keys seeded");
}

/** Starts the stand-ins the configuration points at; the servers, for shutdown. */
export async function startDemoServices(env: Env, services: DemoServices, logger: Logger, db: Database): Promise<Server[]> {
  const gateway = createSandboxGateway(SANDBOX_CREDENTIALS, { publicUrl: services.sandboxPublicUrl });
  // The simulator checks with the secrets the portal holds, so a rotation in the back office goes on working in a demo;
  // it pushes bills to this instance itself, not through a proxy in front of it.
  const simulator = createAgencySimulator(async (agency) => (await findReceiver(db, env, agency))?.secrets, {
    portalUrl: `http://${env.HOST === "0.0.0.0" ? "127.0.0.1" : env.HOST}:${env.PORT}`,
    apiKeyFor: demoApiKey,
  });
  // The demo mail server's pages are on the gateway's HTTP server, before its own routes.
  const front = express();
  front.disable("x-powered-by");
  const mailbox = services.mailSandboxPort === null ? null : createMailSandbox();
  if (mailbox) front.use(mailbox.pages);
  const ecounter = services.ecounterSimulator && services.sourcesPort !== null ? createEcounterSimulator(services.ecounterSimulator) : null;
  if (ecounter) front.use(ecounter.pages(env.PUBLIC_URL));
  front.use(gateway.app);
  const servers = [
    await listen(front, services.sandboxPort, services.host),
    await listen(simulator.app, services.agencySimulatorPort, "127.0.0.1"),
  ];
  logger.info(
    { sandbox: services.sandboxPublicUrl, agencySimulator: `http://127.0.0.1:${services.agencySimulatorPort}` },
    "sandbox payment gateway and agency simulator listening",
  );
  // The city app's provider for residents, the city's staff directory for the back office: one server each.
  const providers = [
    {
      port: services.identityProviderPort,
      settings: env.oidc,
      redirectUri: redirectUri(env),
      postLogoutRedirectUri: postLogoutRedirectUri(env),
      directory: undefined,
      accounts: "demo members: meihsin, xiaoming, member-b; password demo-1234",
    },
    {
      port: services.staffIdentityProviderPort,
      settings: env.staffOidc,
      redirectUri: staffRedirectUri(env),
      postLogoutRedirectUri: staffPostLogoutRedirectUri(env),
      directory: staffDirectory(),
      accounts: `demo staff: ${DEMO_STAFF.map((member) => member.username).join(", ")}; password ${DEMO_STAFF_PASSWORD}`,
    },
  ];
  for (const provider of providers) {
    if (provider.port === null || !provider.settings) continue;
    const { app } = createIdentityProvider({
      issuer: provider.settings.issuer,
      clientId: provider.settings.clientId,
      clientSecret: provider.settings.clientSecret,
      redirectUris: [provider.redirectUri],
      postLogoutRedirectUris: [provider.postLogoutRedirectUri],
      cookieSecret: env.SESSION_SECRET,
      directory: provider.directory,
    });
    servers.push(await listen(app, provider.port, services.host));
    logger.info(
      { issuer: provider.settings.issuer },
      `local ${provider.directory ? "staff " : ""}identity provider listening (${provider.accounts})`,
    );
  }
  if (mailbox && services.mailSandboxPort !== null) {
    await mailbox.listen(services.mailSandboxPort, "127.0.0.1");
    // Closed with the others at shutdown: the SMTP server stands in the list by its underlying net server.
    servers.push(mailbox.smtp.server as unknown as Server);
    logger.info({ smtp: env.SMTP_URL, mails: `${services.sandboxPublicUrl}/_sandbox/mails` }, "demo mail server listening");
  }
  if (services.sourcesPort !== null) {
    const sourcesFront = express();
    sourcesFront.disable("x-powered-by");
    if (ecounter) {
      // The agency's own systems hear of a fee paid here through its write-off notice, as the real ones do.
      simulator.listeners.push((notice) => {
        const { billType, writeOffNumber, paidAt } = notice.body as { billType?: unknown; writeOffNumber?: unknown; paidAt?: unknown };
        if (notice.type === "bill.paid" && typeof billType === "string" && typeof writeOffNumber === "string")
          ecounter.feePaidAtPortal(billType, writeOffNumber, typeof paidAt === "string" ? new Date(paidAt) : new Date());
      });
      sourcesFront.use("/ecounter", ecounter.app);
    }
    const secrets = new Map(env.billSources.map((source) => [source.source, source.secret]));
    sourcesFront.use(createBillSourceSimulator((source) => secrets.get(source)).app);
    servers.push(await listen(sourcesFront, services.sourcesPort, "127.0.0.1"));
    logger.info(
      { url: `http://127.0.0.1:${services.sourcesPort}`, ecounter: services.ecounterSimulator ? "/ecounter" : "not simulated" },
      "bill source simulators (water, power, parking) and the e-counter's listening",
    );
  }
  return servers;
}
