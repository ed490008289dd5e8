import express from "express";
import { asyncRoute } from "~/base/async-route.server";
import { verifyWebhook } from "~/base/signatures.server";

/**
 * Agency simulators for demo mode and tests: the receiving end of write-off
 * notices and of `statement.ready` notices, one endpoint per agency, checking
 * the signature as an agency's system should and recording each notice once
 * (deliveries repeat). `/_simulator/notices?type=statement.ready` lists one kind.
 */

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
}

/** An agency's secrets now: more than one while the portal rotates them (either may sign). */
type SecretsOf = (agency: string) => string | readonly string[] | undefined | Promise<string | readonly string[] | undefined>;

export function createAgencySimulator(secretsFor: SecretsOf): AgencySimulator {
  const simulator: AgencySimulator = { app: express(), down: false, notices: new Map(), rejected: 0, pings: 0 };
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
      else
        simulator.notices.set(parsed.noticeId, {
          agency: req.params.agency,
          noticeId: parsed.noticeId,
          type: typeof parsed.type === "string" ? parsed.type : "",
          body: parsed,
          receivedAt: new Date(),
          deliveries: 1,
        });
      res.json({ received: true, noticeId: parsed.noticeId });
    }),
  );

  app.get("/_simulator/notices", (req, res) => {
    const type = typeof req.query.type === "string" ? req.query.type : null;
    res.json([...simulator.notices.values()].filter((notice) => type === null || notice.type === type));
  });

  app.post("/_simulator/down", express.json(), (req, res) => {
    simulator.down = Boolean((req.body as { down?: boolean }).down);
    res.json({ down: simulator.down });
  });

  return simulator;
}
