import { createHash } from "node:crypto";
import express from "express";
import type { SourceBill, SourceSettlement } from "~/bills/sources.server";
import { addDays, rocPeriod, taipeiDate } from "~/domain/dates";
import { BILL_SOURCES, type BindingSourceId } from "~/domain/member";
import { withCheckDigit, type WriteOffRule } from "~/domain/write-off-number";
import { DEMO_BILL_TYPES } from "~/demo/data/catalogue";
import { REMINDER_SHOWCASE_RESIDENT, generateDemoData, type DemoResident } from "~/demo/data/generate";
import { verifyRequest } from "~/base/signatures.server";
import { asyncRoute } from "~/base/async-route.server";

/**
 * Simulators of the outside systems members' pending bills come from: the
 * water company, the power company and the parking system. Each answers
 * `POST /<source>/pending-bills` with this month's bills for the accounts or
 * plates asked about, after checking the portal's signature, with a realistic
 * delay, and names the bills of those numbers settled at the source since
 * (paid at its counter, or cancelled); faults make one slow, down, or hold
 * its answers until its behaviour is changed again.
 */

/** "held": answers only when told to behave otherwise (tests of what the portal shows meanwhile). */
type SourceMode = "normal" | "slow" | "down" | "held";

export interface BillSourceSimulator {
  app: express.Express;
  /** Per source: how it behaves, and how long it takes to answer (ms). */
  behaviour: Record<BindingSourceId, { mode: SourceMode; latencyMs: number }>;
  requests: Record<BindingSourceId, number>;
  /** Changes how a source behaves; answers it was holding go out, as the new behaviour says. */
  setBehaviour(source: BindingSourceId, mode: SourceMode, latencyMs?: number): void;
  /** Settles a pending bill as if paid at the source's counter (or cancelled there); false if it is not pending. */
  settle(source: BindingSourceId, writeOffNumber: string, outcome?: "paid" | "cancelled"): boolean;
}

// Batches apart from the demo bills already in the portal (11504, 11507, 11502).
const SOURCE_BATCHES: Record<BindingSourceId, string> = { water: "11514", power: "11517", parking: "11512" };

function digitsOf(seed: string, count: number): string {
  const hex = createHash("sha256").update(seed).digest("hex");
  return [...hex]
    .map((c) => String(parseInt(c, 16) % 10))
    .join("")
    .slice(0, count);
}

/** This month's bills of the demo residents, by subject (account number or plate). */
function sourceBillsBySubject(source: BindingSourceId, residents: DemoResident[], today: string): Map<string, SourceBill[]> {
  const billType = BILL_SOURCES[source].billTypes[0];
  const batch = SOURCE_BATCHES[source];
  const rule = DEMO_BILL_TYPES.find((type) => type.code === billType)!.writeOff as WriteOffRule;
  const bills = new Map<string, SourceBill[]>();
  const bill = (subject: string, payerName: string, n: number, amountRange: [number, number]): SourceBill => {
    const seed = `${source}|${subject}|${n}`;
    const body = `${batch}${digitsOf(seed, rule.length - 1 - batch.length)}`;
    const issuedOn = addDays(today, -7 - n * 3);
    const [low, high] = amountRange;
    return {
      billType,
      writeOffNumber: withCheckDigit(body, rule),
      subject,
      payerName,
      amount: low + (Number(digitsOf(`${seed}|amount`, 6)) % (high - low)),
      issuedOn,
      dueDate: addDays(issuedOn, 21),
      period: rocPeriod(issuedOn),
    };
  };
  for (const [index, resident] of residents.entries()) {
    if (source === "water") bills.set(resident.waterAccount, [bill(resident.waterAccount, resident.name, 0, [180, 2400])]);
    if (source === "power") {
      const account = resident.electricityAccount;
      const own = [bill(account, resident.name, 0, [300, 6800])];
      // The reminder showcase: a bill due in two days (reminded) and one due tomorrow (paid before any reminder goes).
      if (index === REMINDER_SHOWCASE_RESIDENT) {
        own.push({ ...bill(account, resident.name, 1, [300, 6800]), dueDate: addDays(today, 2) });
        own.push({ ...bill(account, resident.name, 2, [300, 6800]), dueDate: addDays(today, 1) });
      }
      bills.set(account, own);
    }
    if (source === "parking") {
      for (const plate of resident.plates) {
        // The showcase payer (the README's 林美芯) has parking bills on every plate; others 0 to 2.
        const count =
          index === 0 ? 1 + (Number(digitsOf(`parking|${plate}|count`, 1)) % 2) : Number(digitsOf(`parking|${plate}|count`, 1)) % 3;
        bills.set(
          plate,
          Array.from({ length: count }, (_, n) => bill(plate, resident.name, n, [20, 200])),
        );
      }
    }
  }
  return bills;
}

export function createBillSourceSimulator(
  secretFor: (source: BindingSourceId) => string | undefined,
  baseLatencyMs = 150,
): BillSourceSimulator {
  const today = taipeiDate();
  const residents = generateDemoData({ today, billsPerType: 1 }).residents;
  const data = {
    water: sourceBillsBySubject("water", residents, today),
    power: sourceBillsBySubject("power", residents, today),
    parking: sourceBillsBySubject("parking", residents, today),
  };
  const held: Record<BindingSourceId, Array<() => void>> = { water: [], power: [], parking: [] };
  const simulator: BillSourceSimulator = {
    app: express(),
    behaviour: {
      water: { mode: "normal", latencyMs: baseLatencyMs },
      power: { mode: "normal", latencyMs: baseLatencyMs },
      parking: { mode: "normal", latencyMs: baseLatencyMs },
    },
    requests: { water: 0, power: 0, parking: 0 },
    setBehaviour(source, mode, latencyMs = baseLatencyMs) {
      simulator.behaviour[source] = { mode, latencyMs };
      for (const resume of held[source].splice(0)) resume();
    },
    settle(source, writeOffNumber, outcome = "paid") {
      for (const [subject, pending] of data[source]) {
        const bill = pending.find((candidate) => candidate.writeOffNumber === writeOffNumber);
        if (!bill) continue;
        data[source].set(
          subject,
          pending.filter((candidate) => candidate !== bill),
        );
        const settledAt = new Date().toISOString();
        const { billType } = bill;
        settled[source].set(subject, [
          ...(settled[source].get(subject) ?? []),
          outcome === "paid"
            ? { billType, writeOffNumber, subject, outcome, settledAt, channel: "agency_counter" }
            : { billType, writeOffNumber, subject, outcome, settledAt },
        ]);
        return true;
      }
      return false;
    },
  };
  const settled: Record<BindingSourceId, Map<string, SourceSettlement[]>> = { water: new Map(), power: new Map(), parking: new Map() };

  const { app } = simulator;
  app.disable("x-powered-by");

  app.post(
    "/:source/pending-bills",
    express.text({ type: "application/json", limit: "20kb" }),
    asyncRoute(async (req, res) => {
      const source = req.params.source as BindingSourceId;
      if (!(source in data)) return void res.status(404).json({ error: "no such source" });
      simulator.requests[source] += 1;
      const secret = secretFor(source);
      const body = typeof req.body === "string" ? req.body : "";
      const signed =
        secret &&
        verifyRequest(secret, {
          method: "POST",
          path: req.path,
          body,
          timestamp: req.header("X-Portal-Timestamp") ?? "",
          signature: req.header("X-Portal-Signature") ?? "",
        });
      if (!signed) return void res.status(401).json({ error: "bad signature" });
      if (simulator.behaviour[source].mode === "held") await new Promise<void>((resume) => held[source].push(resume));
      const { mode, latencyMs } = simulator.behaviour[source];
      if (mode === "down") return void res.status(503).json({ error: "maintenance" });
      await new Promise((resolve) => setTimeout(resolve, mode === "slow" ? latencyMs * 60 : latencyMs));
      const subjects = (JSON.parse(body) as { subjects?: unknown }).subjects;
      const asked = Array.isArray(subjects) ? subjects.filter((s): s is string => typeof s === "string").slice(0, 50) : [];
      res.json({
        bills: asked.flatMap((subject) => data[source].get(subject) ?? []),
        settled: asked.flatMap((subject) => settled[source].get(subject) ?? []),
      });
    }),
  );

  // Demo and tests: "the resident paid this one at the water company's counter".
  app.post("/_simulator/settle", express.json(), (req, res) => {
    const { source, writeOffNumber, outcome } = req.body as {
      source: BindingSourceId;
      writeOffNumber: string;
      outcome?: "paid" | "cancelled";
    };
    if (!(source in simulator.behaviour)) return void res.status(400).json({ error: "unknown source" });
    if (!simulator.settle(source, String(writeOffNumber), outcome === "cancelled" ? "cancelled" : "paid"))
      return void res.status(404).json({ error: "no such pending bill" });
    res.json({ settled: writeOffNumber });
  });

  app.post("/_simulator/behaviour", express.json(), (req, res) => {
    const { source, mode, latencyMs } = req.body as { source: BindingSourceId; mode?: SourceMode; latencyMs?: number };
    if (!(source in simulator.behaviour)) return void res.status(400).json({ error: "unknown source" });
    simulator.setBehaviour(source, mode ?? "normal", latencyMs);
    res.json(simulator.behaviour);
  });

  return simulator;
}
