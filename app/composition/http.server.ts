import { randomBytes, randomUUID } from "node:crypto";
import type { Server } from "node:http";
import path from "node:path";
import { createRequestHandler } from "@remix-run/express";
import { broadcastDevReady, type ServerBuild } from "@remix-run/node";
import compression from "compression";
import express, { type ErrorRequestHandler, type Request, type Response } from "express";
import helmet from "helmet";
import onHeaders from "on-headers";
import type { Logger } from "pino";
import { pinoHttp } from "pino-http";
import { paymentCallbacks } from "~/payments/callbacks.server";
import { getPaymentContext } from "~/payments/context.server";
import { recoverRefunds } from "~/money/refunds.server";
import { recoverPayments } from "~/payments/orders/recovery.server";
import { dailyReconciliation } from "~/money/reconciliation-job.server";
import { statementsAfterReconciliation } from "~/money/statements.server";
import { deliverWriteOffNotices } from "~/payments/write-off-notices.server";
import { listenForSettingsChanges, onSettingsChanged } from "~/agencies/changes.server";
import { startMailDelivery } from "~/mail/delivery.server";
import { mailTransportFromEnv } from "~/mail/transport.server";
import { mailHooks } from "./mail-hooks.server";
import { startRetentionJob } from "./retention-job.server";
import { flushLookupTallies } from "~/lookup/tallies.server";
import { remindDueBills } from "~/members/reminders.server";
import { remindOutstandingCodes } from "~/payments/code-reminders.server";
import { readCaseChanges } from "~/cases/status-changes.server";
import { CLIENT_ERROR_TEXT, sendPlainText } from "~/base/client-errors.server";
import { answerUnparsableRequest, readBodyBeforeAnswering } from "./connections.server";
import { getDb, openDatabase, setAppDatabase, type DatabaseHandle } from "~/base/db.server";
import { asyncRoute } from "~/base/async-route.server";
import { requestScope } from "~/base/request-scope.server";
import { isAgencyApiPath, rejectCrossSiteWrites, rejectUnusableHost } from "./same-origin.server";
import type { Env } from "~/base/env.server";
import { configurationOrExit, type Configuration } from "./configuration.server";
import { clusterWorkerRole, runCluster } from "./cluster.server";
import { openControlSocket, type ControlSocket } from "./control-socket.server";
import { getLogger } from "~/base/logger.server";
import client from "prom-client";
import { collectDatabaseGauges, collectOnScrape, collectProcessMetrics, jobRuns } from "~/base/metrics.server";
import { checkReadiness, startMetricsServer, withTimeout } from "./readiness.server";
import { requestMetrics } from "./request-metrics.server";
import { answerMetricsRequests, clusterScrape } from "./cluster-metrics.server";
import { installRouteMatchCache } from "./route-matching.server";
import { visitorPageCache } from "./page-cache.server";
import { captchaForVisitor, type VisitorCaptcha } from "~/lookup/captcha.server";
import { unknownAgencyNetworks, backOfficeAllowList, isBackOfficePath } from "~/back-office/allow-list.server";

declare module "@remix-run/node" {
  interface AppLoadContext {
    requestId: string;
    cspNonce: string;
    logger: Logger;
    /** The client's address, as far as TRUST_PROXY allows us to believe proxies. */
    clientAddress: string;
    /**
     * The captcha (and the new visitor's session it is bound to) a page kept apart from its captcha is
     * rendered with, so the visitor page cache knows which token to store as a marker (page-cache.server.ts).
     */
    visitorCaptcha?: VisitorCaptcha;
  }
}

/**
 * Boots the portal: configuration, database (migrated; in demo mode seeded), HTTP, jobs; in demo mode the stand-ins too.
 * With WEB_CONCURRENCY > 1 on PostgreSQL, this process becomes the cluster's primary and each worker comes here again
 * (docs/decisions/028): what must happen once (migrations, demo data and stand-ins, the control socket) is the primary's.
 */
export async function startServer(build: ServerBuild): Promise<Server | null> {
  const { env, demo } = await configurationOrExit();
  const logger = getLogger();
  const role = await clusterWorkerRole();
  if (!role && env.WEB_CONCURRENCY > 1) {
    if (env.DATABASE_URL) {
      await startClusterPrimary(env, demo, logger);
      return null;
    }
    logger.warn(
      { WEB_CONCURRENCY: env.WEB_CONCURRENCY },
      "PGlite is single-process (its database belongs to one process): running one worker, this process; set DATABASE_URL for WEB_CONCURRENCY workers",
    );
  }
  // A worker finds done what must happen once: its primary did it.
  const { database, servers, control } = role
    ? {
        database: await openAppDatabase(env, logger, { migrate: false }),
        servers: [],
        control: await openControlSocket(null, () => getPaymentContext(logger), logger),
      }
    : await startOnce(env, demo, logger);
  const state = { shuttingDown: false };
  const app = createApp({ build, env, logger, database, state });

  const server = await listen(app, env.PORT, env.HOST);
  server.on("clientError", answerUnparsableRequest(logger));
  if (env.METRICS_PORT !== undefined) {
    if (role) {
      // The primary serves the port and asks each worker for its metrics.
      collectProcessMetrics();
      answerMetricsRequests();
    } else {
      collectOnScrape(() => database.db);
      servers.push(await startMetricsServer({ port: env.METRICS_PORT, host: env.METRICS_HOST, logger }));
    }
  }
  logger.info(
    { url: `http://${env.HOST === "0.0.0.0" ? "localhost" : env.HOST}:${env.PORT}`, database: database.kind, demo: demo !== null },
    "portal listening",
  );
  const jobs = startPaymentJobs(env, logger);
  const mail = await startMailJob(env, logger, database);
  const reminders = startReminderJobs(env, logger);
  const caseChanges = startCaseChangesJob(env, logger);
  const retention = startRetentionJob(env, logger);
  const tallies = startTallyFlush(logger);
  installGracefulShutdown({
    server,
    others: servers,
    control,
    jobs: {
      async stop() {
        jobs.stop();
        reminders.stop();
        caseChanges.stop();
        retention.stop();
        tallies.stop();
        await mail.stop();
      },
    },
    lastWrites: tallies.flush,
    database,
    logger,
    state,
    timeoutMs: env.SHUTDOWN_TIMEOUT_MS,
  });
  if (env.NODE_ENV === "development") void broadcastDevReady(build);
  return server;
}

/**
 * What the service does once, whatever its number of processes: migrate (and
 * in demo mode seed) the database, check the back office's agency networks,
 * start the demo stand-ins, open the control socket. The control socket lives
 * as long as the service (in a cluster, the primary's: a worker may be
 * restarted under an operator's command, and one socket path can have only
 * one listener anyway).
 */
async function startOnce(
  env: Env,
  demo: Configuration["demo"],
  logger: Logger,
): Promise<{ database: DatabaseHandle; servers: Server[]; control: ControlSocket }> {
  const database = await openAppDatabase(env, logger, { migrate: true });
  if (demo?.services.seed) await demo.wing.seedDemoData(database, env, demo.services, logger);
  await exitOnUnknownAgencies(env, logger, database);
  const servers = demo?.services.embedded ? await demo.wing.startDemoServices(env, demo.services, logger, database.db) : [];
  const control = await openControlSocket(env.controlSocket, () => getPaymentContext(logger), logger);
  return { database, servers, control };
}

/** The cluster's primary: what must happen once, then the workers; it serves no page, only the metrics. */
async function startClusterPrimary(env: Env, demo: Configuration["demo"], logger: Logger): Promise<void> {
  const { database, servers, control } = await startOnce(env, demo, logger);
  if (env.METRICS_PORT !== undefined) {
    // The database's gauges once, here, beside the workers' own metrics added up.
    const own = new client.Registry();
    collectDatabaseGauges(() => database.db, own);
    servers.push(await startMetricsServer({ port: env.METRICS_PORT, host: env.METRICS_HOST, logger, scrape: clusterScrape(own) }));
  }
  runCluster({
    workers: env.WEB_CONCURRENCY,
    logger,
    async stopped() {
      await control.close();
      for (const server of servers) server.close();
      await database.close();
      setAppDatabase(undefined);
    },
  });
}

async function exitOnUnknownAgencies(env: Env, logger: Logger, database: DatabaseHandle): Promise<void> {
  const unknownAgencies = await unknownAgencyNetworks(database.db, env);
  if (unknownAgencies.length === 0) return;
  logger.fatal(
    { agencies: unknownAgencies },
    `BACK_OFFICE_AGENCY_NETWORKS names agencies the catalogue does not have (${unknownAgencies.join(", ")}): their staff would not be restricted; fix the codes`,
  );
  await database.close();
  process.exit(1);
}

function listen(app: express.Express, port: number, host: string): Promise<Server> {
  return new Promise<Server>((resolve, reject) => {
    const listening = app.listen(port, host, () => resolve(listening)).once("error", reject);
  });
}

/**
 * The recovery job, the write-off notice delivery and the daily
 * reconciliation, every JOBS_INTERVAL_MS (0: never, for tests that run them
 * by hand). All are safe on several instances at once; one run at a time here.
 */
function startPaymentJobs(env: Env, logger: Logger): { stop(): void } {
  if (env.JOBS_INTERVAL_MS === 0) return { stop() {} };
  // Steps after a day is reconciled for every provider go in `afterDay` (the agencies' statements).
  // Once a day is reconciled for every provider, each agency's statement of that day is built and announced.
  const reconciliation = dailyReconciliation({ afterDay: [async (ctx, day) => void (await statementsAfterReconciliation(ctx, day))] });
  return everyInterval("payments", env.JOBS_INTERVAL_MS, logger, "payment jobs failed", async () => {
    const ctx = getPaymentContext(logger);
    const recovered = await recoverPayments(ctx);
    const refunds = await recoverRefunds(ctx);
    const delivered = await deliverWriteOffNotices(ctx);
    await reconciliation.run(ctx);
    if (recovered.checked || refunds.checked || delivered.attempted) logger.info({ recovered, refunds, delivered }, "payment jobs");
  });
}

/**
 * Runs `work` every `intervalMs`, one run at a time (a tick while a run is
 * still going is skipped), logging a failure; each run's end is recorded for
 * /readyz and the job-lag metric under `name`.
 */
function everyInterval(name: string, intervalMs: number, logger: Logger, failed: string, work: () => Promise<void>): { stop(): void } {
  jobRuns.started(name, intervalMs);
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      await work();
      jobRuns.ended(name);
    } catch (error) {
      logger.error({ err: error }, failed);
      jobRuns.ended(name, "failed");
    } finally {
      running = false;
    }
  };
  // run() catches every failure itself.
  const timer = setInterval(() => void run(), intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/**
 * The look-ups counted in memory go to the statistics' rows every
 * TALLY_FLUSH_MS, whatever JOBS_INTERVAL_MS says (tests that run the jobs by
 * hand still count look-ups), and once more at shutdown (docs/decisions/031).
 */
function startTallyFlush(logger: Logger): { stop(): void; flush(): Promise<void> } {
  const flush = async () => {
    try {
      await flushLookupTallies(getDb());
    } catch (error) {
      logger.warn({ err: error }, "look-up tallies not written: kept for the next try");
    }
  };
  const timer = setInterval(() => void flush(), TALLY_FLUSH_MS);
  timer.unref();
  return { stop: () => clearInterval(timer), flush };
}

/**
 * The reminder jobs, on a timer of their own (a member's reminders ask the
 * outside bill sources, which may be slow: payments never wait for them):
 * members' due and overdue bills (each member once a day, whichever instance
 * claims them), and codes still unpaid before they expire. Both only queue
 * mails; the mail job sends them.
 */
function startReminderJobs(env: Env, logger: Logger): { stop(): void } {
  if (env.JOBS_INTERVAL_MS === 0) return { stop() {} };
  return everyInterval("reminders", env.JOBS_INTERVAL_MS, logger, "reminder jobs failed", async () => {
    const ctx = { db: getDb(), env, logger };
    const codes = await remindOutstandingCodes(ctx);
    const bills = await remindDueBills(ctx);
    if (codes.queued || bills.queued) logger.info({ codes, bills }, "reminders queued");
  });
}

/**
 * The e-counter's feed of case status changes, read every
 * CASE_CHANGES_POLL_SECONDS when an e-counter is configured: its changes
 * become status mails for the members who chose them (each change once,
 * whichever instance reads it). Only queues mails; the mail job sends them.
 */
function startCaseChangesJob(env: Env, logger: Logger): { stop(): void } {
  if (!env.ecounter || env.JOBS_INTERVAL_MS === 0) return { stop() {} };
  return everyInterval("case-changes", env.CASE_CHANGES_POLL_SECONDS * 1000, logger, "reading the e-counter's status changes failed", () =>
    readCaseChanges({ db: getDb(), env, logger }).then(() => undefined),
  );
}

/**
 * The mail job: sends the outbox over SMTP_URL every JOBS_INTERVAL_MS, and at
 * once when any instance queues a mail (a receipt goes within about a second
 * of the paid notice). Without SMTP_URL nothing is sent (logged once, here).
 */
async function startMailJob(env: Env, logger: Logger, database: DatabaseHandle): Promise<{ stop(): Promise<void> }> {
  const transport = mailTransportFromEnv(env, logger);
  if (!transport || env.JOBS_INTERVAL_MS === 0) return { stop: async () => transport?.close() };
  jobRuns.started("mail", env.JOBS_INTERVAL_MS);
  const job = await startMailDelivery({
    database,
    context: () => ({ db: database.db, env, logger, transport }),
    hooks: mailHooks(env),
    intervalMs: env.JOBS_INTERVAL_MS,
    onRunEnded: (outcome) => jobRuns.ended("mail", outcome),
  });
  return {
    async stop() {
      await job.stop();
      transport.close();
    },
  };
}

/** Opens this process's database; only one process of a cluster migrates it (the primary, before any worker starts). */
async function openAppDatabase(env: Env, logger: Logger, options: { migrate: boolean }): Promise<DatabaseHandle> {
  const started = performance.now();
  const database = await openDatabase({
    url: env.DATABASE_URL,
    pgliteDir: path.resolve(env.DATA_DIR, "pglite"),
    poolSize: env.DATABASE_POOL_SIZE,
  });
  if (options.migrate) await database.migrate();
  // A change to the catalogue or an agency's credentials made through any instance reaches this one's caches at once.
  await listenForSettingsChanges(database, logger);
  setAppDatabase(database);
  logger.info({ database: database.kind, ms: Math.round(performance.now() - started) }, "database ready");
  return database;
}

/** How long a page the same for every visitor is kept rendered: a change of wording or data shows within this. */
const VISITOR_PAGE_TTL_MS = 10_000;
/** How long look-ups may be counted in memory before their rows are raised (docs/decisions/031). */
const TALLY_FLUSH_MS = 5_000;

interface AppDeps {
  build: ServerBuild;
  env: Env;
  logger: Logger;
  database: DatabaseHandle;
  state: { shuttingDown: boolean };
}

function createApp({ build, env, logger, database, state }: AppDeps): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", env.TRUST_PROXY);
  // Matching the route for its label costs a little per request: only when the metrics are served.
  const metrics = env.METRICS_PORT === undefined ? null : requestMetrics(build);
  if (metrics) app.use(metrics.measure);

  app.use(
    pinoHttp({
      logger,
      genReqId(req, res) {
        // Behind our own proxy, keep its id so one request can be followed across both logs.
        const incoming = req.headers["x-request-id"];
        const id = env.TRUST_PROXY > 0 && typeof incoming === "string" && /^[A-Za-z0-9._-]{8,64}$/.test(incoming) ? incoming : randomUUID();
        res.setHeader("X-Request-Id", id);
        return id;
      },
      // Paths only: query strings can carry write-off numbers and signed links.
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, path: req.url.split("?")[0] }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      // A wrong captcha or an unknown number is a normal answer (4xx: info); being rate
      // limited may be an attack, and a connection the client dropped is worth a look
      // (warn); only 5xx is ours (error).
      customLogLevel: (_req, res, error) => (res.statusCode >= 500 ? "error" : error || res.statusCode === 429 ? "warn" : "info"),
      autoLogging: { ignore: (req) => req.url?.startsWith("/build/") === true || req.url === "/healthz" || req.url === "/readyz" },
    }),
  );

  app.use(readBodyBeforeAnswering);
  app.use((_req, res, next) => {
    res.locals.cspNonce = randomBytes(16).toString("base64");
    if (state.shuttingDown) res.setHeader("Connection", "close");
    next();
  });

  const devServer = env.NODE_ENV === "development" ? ["ws://localhost:*", "ws://127.0.0.1:*"] : [];
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'", (_req, res) => `'nonce-${(res as Response).locals.cspNonce}'`],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", "data:"],
          fontSrc: ["'self'"],
          mediaSrc: ["'self'"],
          connectSrc: ["'self'", ...devServer],
          // Paying means posting to, or being redirected to, the provider's pages.
          // Logging out goes on to the identity provider's end-session page.
          formAction: [
            "'self'",
            ...getPaymentContext(logger).providers.payerOrigins(),
            ...(env.oidc ? [new URL(env.oidc.issuer).origin] : []),
            // Staff sign in (a form post) at the staff identity provider.
            ...(env.staffOidc ? [new URL(env.staffOidc.issuer).origin] : []),
          ],
          frameAncestors: ["'none'"],
          baseUri: ["'self'"],
          objectSrc: ["'none'"],
          ...(env.publicUrlIsHttps ? { upgradeInsecureRequests: [] } : {}),
        },
      },
      // Nothing leaks to other sites (query strings can hold write-off numbers), yet our
      // own form posts keep a real Origin header ("no-referrer" would make it "null").
      referrerPolicy: { policy: "same-origin" },
      xFrameOptions: { action: "deny" },
      // HSTS only where the portal is really served over https.
      strictTransportSecurity: env.isProduction && env.publicUrlIsHttps ? { maxAge: 63_072_000, includeSubDomains: true } : false,
    }),
  );
  app.use((req, res, next) => {
    // Pages for a logged-in member carry their name and bills, and back-office pages staff data: never kept by shared caches.
    // Set as the headers go out, and only if the answer has none of its own: set now, Remix
    // would append its route's Cache-Control to it and the header would be sent twice.
    if (req.headers.cookie?.includes("portal_member=") || isBackOfficePath(req.originalUrl)) {
      onHeaders(res, function () {
        if (!this.hasHeader("Cache-Control")) this.setHeader("Cache-Control", "private, no-store");
      });
    }
    // The camera is used by the bill scanner on this origin only.
    res.setHeader("Permissions-Policy", "camera=(self), microphone=(), geolocation=(), payment=(), usb=()");
    next();
  });
  app.use(compression());
  // Before anything else of the back office answers: outside its networks it does not exist.
  app.use(backOfficeAllowList(env, logger));
  // Providers post back from their own sites: these routes check the provider's signature instead.
  app.use("/payments/callbacks", paymentCallbacks(getPaymentContext));
  app.use(rejectCrossSiteWrites(env.TRUST_PROXY));

  app.get(
    "/healthz",
    asyncRoute(async (req, res) => {
      res.setHeader("Cache-Control", "no-store");
      if (state.shuttingDown) {
        res.status(503).json({ status: "shutting_down" });
        return;
      }
      try {
        await withTimeout(database.ping(), 2_000);
        res.json({ status: "ok", database: "ok" });
      } catch (error) {
        req.log.error({ err: error }, "health check: database unreachable");
        res.status(503).json({ status: "error", database: "unreachable" });
      }
    }),
  );

  app.get(
    "/readyz",
    asyncRoute(async (req, res) => {
      res.setHeader("Cache-Control", "no-store");
      const answer = await checkReadiness({ database, shuttingDown: state.shuttingDown });
      if (answer.status !== 200) req.log.warn({ readiness: answer.body }, "readiness check: not ready");
      res.status(answer.status).json(answer.body);
    }),
  );

  // Fingerprinted build output never changes under the same name.
  app.use("/build", express.static("public/build", { immutable: true, maxAge: "1y", index: false }));
  app.use(express.static("public", { maxAge: "1h", index: false }));

  installRouteMatchCache();
  const remix = createRequestHandler({
    build,
    mode: build.mode,
    getLoadContext: (req: Request, res: Response) => ({
      requestId: String(req.id),
      cspNonce: res.locals.cspNonce as string,
      logger: req.log,
      clientAddress: req.ip ?? req.socket.remoteAddress ?? "unknown",
      visitorCaptcha: res.locals.visitorCaptcha as VisitorCaptcha | undefined,
    }),
  });
  // The pages show the catalogue: a change made through any instance (its NOTIFY) drops them here too.
  const pages = visitorPageCache({
    build,
    ttlMs: VISITOR_PAGE_TTL_MS,
    visitorCaptcha: (cookieHeader) => captchaForVisitor(env.CAPTCHA_SECRET, cookieHeader),
  });
  onSettingsChanged("catalogue", () => pages.clear());
  app.all(
    "*",
    ...(metrics ? [metrics.answeredByRemix] : []),
    rejectUnusableHost(env.TRUST_PROXY),
    pages.serve,
    requestScope,
    asyncRoute(remix),
  );

  app.use(finalErrorHandler);
  return app;
}

/**
 * Errors that never reach Remix (a malformed URL, a body the provider
 * callbacks' parser refuses, a broken connection): a short bilingual text, the
 * reference with a 5xx, never a stack trace. The client's mistakes are info.
 */
const finalErrorHandler: ErrorRequestHandler = (error, req, res, _next) => {
  const status = typeof error?.status === "number" && error.status >= 400 && error.status < 600 ? error.status : 500;
  if (status >= 500) req.log.error({ err: error }, "request failed outside the routes");
  else req.log.info({ status, reason: error?.type ?? error?.message }, "request refused outside the routes");
  if (res.headersSent) {
    res.end();
    return;
  }
  if (isAgencyApiPath(req.path)) {
    // Agencies' systems read problem+json, whatever failed (docs/agency-api.md).
    const code = status >= 500 ? "unexpected" : status === 413 ? "body_too_large" : "malformed_json";
    res
      .status(status)
      .type("application/problem+json")
      .send(
        JSON.stringify({
          type: `/developers/agency-api#refusal-${code}`,
          title: "Refused",
          status,
          detail: status >= 500 ? `Try again later, quoting ${String(req.id)}.` : "The request could not be read.",
          code,
        }),
      );
    return;
  }
  if (status >= 500) {
    const reference = String(req.id);
    return void sendPlainText(
      res,
      status,
      `系統暫時無法處理您的要求，錯誤代碼：${reference}\nSorry, something went wrong. Error reference: ${reference}\n`,
    );
  }
  // body-parser names what went wrong with the body in `type` ("entity.too.large", "charset.unsupported"…).
  const text =
    status === 413 ? CLIENT_ERROR_TEXT.tooLarge : typeof error?.type === "string" ? CLIENT_ERROR_TEXT.body : CLIENT_ERROR_TEXT.address;
  sendPlainText(res, status, text);
};

/**
 * On SIGTERM (a deploy) or SIGINT: stop accepting connections, let requests
 * in flight finish, close the database, exit. Health checks answer 503 at once
 * so a load balancer stops sending traffic.
 */
function installGracefulShutdown(options: {
  server: Server;
  others: Server[];
  control: ControlSocket;
  jobs: { stop(): Promise<void> };
  /** Runs once the requests in flight are answered, before the database closes (counts kept in memory). */
  lastWrites: () => Promise<void>;
  database: DatabaseHandle;
  logger: Logger;
  state: { shuttingDown: boolean };
  timeoutMs: number;
}): void {
  const { server, others, control, jobs, lastWrites, database, logger, state, timeoutMs } = options;
  const shutdown = (signal: NodeJS.Signals) => {
    if (state.shuttingDown) return;
    state.shuttingDown = true;
    logger.info({ signal }, "shutting down: finishing requests in flight");
    // The mail job stops listening for queued mails, and an operator's command in flight finishes, before the database closes.
    const jobsStopped = jobs.stop();
    const controlClosed = control.close();
    for (const other of others) other.close();
    const force = setTimeout(() => {
      logger.warn("shutdown timeout: closing remaining connections");
      server.closeAllConnections();
    }, timeoutMs);
    force.unref();
    const stop = async (error: Error | undefined) => {
      clearTimeout(force);
      try {
        await jobsStopped;
        await controlClosed;
        await lastWrites();
        await database.close();
      } catch (closeError) {
        logger.error({ err: closeError }, "closing the database failed");
      }
      setAppDatabase(undefined);
      logger.info("stopped");
      logger.flush();
      process.exit(error ? 1 : 0);
    };
    server.close((error) => void stop(error));
    server.closeIdleConnections();
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
}
