import { randomInt, randomUUID } from "node:crypto";
import express from "express";
import { AGENCY_API_BASE_PATH, AGENCY_API_HEADERS, MAX_BILLS_PER_PUSH } from "~/domain/agency-api";
import { addDays, taipeiDate } from "~/domain/dates";
import { withCheckDigit } from "~/domain/write-off-number";
import { asyncRoute } from "~/base/async-route.server";
import { signAgencyCall, verifyWebhook } from "~/base/signatures.server";
import { DEMO_BILL_TYPES } from "./data/catalogue";

/**
 * Agency simulators for demo mode and tests: the receiving end of write-off
 * notices and of `statement.ready` notices, one endpoint per agency, checking
 * the signature as an agency's system should and recording each notice once
 * (deliveries repeat). `/_simulator/notices?type=statement.ready` lists one kind.
 * `POST /_simulator/agencies/<agency>/push-bills {"count": N}` makes N demo
 * bills of the agency's first bill type and pushes them through the agency
 * API, signed with the agency's demo key, as its fee system would.
 */

interface PushOptions {
  /** Where the portal's agency API is (its own address, not a proxy's). */
  portalUrl: string;
  apiKeyFor(agency: string): { id: string; secret: string };
}

/** N bills of the agency's first demo bill type, numbered to its rule from a random start. */
function demoBillsOf(agency: string, count: number) {
  const type = DEMO_BILL_TYPES.find((candidate) => candidate.agencyCode === agency);
  if (!type) return null;
  const rule = type.writeOff;
  const digits = rule.length - rule.prefix.length - (rule.check === "none" ? 0 : 1);
  // "9" first: never one of the seeded numbers, which start with the type's own digits.
  const start = randomInt(0, 10 ** Math.min(digits - 1, 9) - count);
  const today = taipeiDate();
  return Array.from({ length: count }, (_, i) => ({
    billType: type.code,
    writeOffNumber: withCheckDigit(rule.prefix + "9" + String(start + i).padStart(digits - 1, "0"), rule),
    payerName: "模擬繳費人",
    subject: `SIM-${String(start + i)
      .slice(-6)
      .padStart(6, "0")}`,
    amount: 100 * randomInt(1, 60),
    issuedOn: today,
    dueDate: addDays(today, 30),
  }));
}

async function pushDemoBills(options: PushOptions, agency: string, count: number): Promise<{ status: number; body: unknown }> {
  const bills = demoBillsOf(agency, count);
  if (!bills) return { status: 404, body: { error: `no demo bill type of agency ${agency}` } };
  const key = options.apiKeyFor(agency);
  const body = JSON.stringify({ bills });
  const pathWithQuery = `${AGENCY_API_BASE_PATH}/bills`;
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomUUID().replaceAll("-", "");
  const response = await fetch(`${options.portalUrl}${pathWithQuery}`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      [AGENCY_API_HEADERS.keyId]: key.id,
      [AGENCY_API_HEADERS.timestamp]: timestamp,
      [AGENCY_API_HEADERS.nonce]: nonce,
      [AGENCY_API_HEADERS.signature]: signAgencyCall(key.secret, { timestamp, nonce, method: "POST", pathWithQuery, body }),
    },
    body,
  });
  return { status: response.status, body: await response.json() };
}

interface ReceivedNotice {
  agency: string;
  noticeId: string;
  /** bill.paid, bill.payment_refunded, bill.payment_partially_refunded or statement.ready. */
  type: string;
  body: Record<string, unknown>;
  receivedAt: Date;
  /** How many times it arrived. */
  deliveries: number;
}

export interface AgencySimulator {
  app: express.Express;
  /** While true, every agency answers 503, as a system under maintenance. */
  down: boolean;
  notices: Map<string, ReceivedNotice>;
  rejected: number;
  /** Test pings taken (signed `{"type":"ping"}` bodies from the back office). */
  pings: number;
  /** Called with each notice on its first delivery: the agency's own systems acting on it (the e-counter's cases). */
  listeners: Array<(notice: ReceivedNotice) => void>;
}

/** An agency's secrets now: more than one while the portal rotates them (either may sign). */
type SecretsOf = (agency: string) => string | readonly string[] | undefined | Promise<string | readonly string[] | undefined>;

export function createAgencySimulator(secretsFor: SecretsOf, push?: PushOptions): AgencySimulator {
  const simulator: AgencySimulator = { app: express(), down: false, notices: new Map(), rejected: 0, pings: 0, listeners: [] };
  const { app } = simulator;
  app.disable("x-powered-by");

  app.post(
    "/agencies/:agency/write-offs",
    express.text({ type: "application/json" }),
    asyncRoute(async (req: express.Request<{ agency: string }>, res) => {
      if (simulator.down) {
        res.status(503).json({ error: "maintenance" });
        return;
      }
      const secrets = await secretsFor(req.params.agency);
      const body = typeof req.body === "string" ? req.body : "";
      if (!secrets || secrets.length === 0 || !verifyWebhook(secrets, body, req.header("X-Portal-Signature") ?? "")) {
        simulator.rejected += 1;
        res.status(401).json({ error: "bad signature" });
        return;
      }
      const parsed = JSON.parse(body) as { noticeId: string; type?: unknown };
      if (parsed.type === "ping") {
        simulator.pings += 1;
        res.json({ received: true, ping: true });
        return;
      }
      const existing = simulator.notices.get(parsed.noticeId);
      if (existing) existing.deliveries += 1;
      else {
        const notice: ReceivedNotice = {
          agency: req.params.agency,
          noticeId: parsed.noticeId,
          type: typeof parsed.type === "string" ? parsed.type : "",
          body: parsed,
          receivedAt: new Date(),
          deliveries: 1,
        };
        simulator.notices.set(parsed.noticeId, notice);
        for (const listener of simulator.listeners) listener(notice);
      }
      res.json({ received: true, noticeId: parsed.noticeId });
    }),
  );

  app.get("/_simulator/notices", (req, res) => {
    const type = typeof req.query.type === "string" ? req.query.type : null;
    res.json([...simulator.notices.values()].filter((notice) => type === null || notice.type === type));
  });

  app.post("/_simulator/agencies/:agency/push-bills", express.json(), (req, res, next) => {
    if (!push) return void res.status(404).json({ error: "pushing is not configured" });
    const requested = Number((req.body as { count?: unknown } | undefined)?.count ?? 10);
    const count = Number.isInteger(requested) ? Math.min(Math.max(requested, 1), MAX_BILLS_PER_PUSH) : 10;
    pushDemoBills(push, req.params.agency, count).then(
      (answer) => res.status(answer.status).json(answer.body),
      (error: unknown) => next(error),
    );
  });

  app.post("/_simulator/down", express.json(), (req, res) => {
    simulator.down = Boolean((req.body as { down?: boolean }).down);
    res.json({ down: simulator.down });
  });

  return simulator;
}
