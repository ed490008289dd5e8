import { createHash, createHmac } from "node:crypto";
import express, { type Request } from "express";
import type { EcounterCase, EcounterFee } from "~/cases/ecounter.server";
import type { SourceBill, SourceSettlement } from "~/bills/sources.server";
import { CASE_STATUSES, isCaseStatus, type CaseStatus } from "~/domain/cases";
import { addDays, rocPeriod, rocYear, taipeiDate, taipeiDateTimeIso } from "~/domain/dates";
import { withCheckDigit, type WriteOffRule } from "~/domain/write-off-number";
import { DEMO_BILL_TYPES } from "~/demo/data/catalogue";
import { generateDemoData } from "~/demo/data/generate";
import { verifyRequest } from "~/base/signatures.server";
import { asyncRoute } from "~/base/async-route.server";
import { escapeHtml, sandboxLocale, sandboxPage, sandboxT } from "./html";

/**
 * A simulator of the e-counter (服務e櫃檯), the city's online applications
 * system, speaking the protocol of docs/ecounter-cases.md: ten services, the
 * cases of some demo residents (three of the showcase member 林美芯's, across
 * two services), a feed of status changes, and the cases' fees, which it
 * hears are paid when the issuing agency receives the portal's write-off
 * notice (`feePaidAtPortal`, wired to the agency simulator by the demo's
 * composition). Switches make it slow, down or hold its answers, change a
 * case's status, or settle a fee at the agency's counter.
 */

/** "held": answers only when told to behave otherwise (tests of what the portal shows meanwhile). */
type EcounterMode = "normal" | "slow" | "down" | "held";

interface Service {
  code: string;
  /** The two letters case numbers of the service start with. */
  prefix: string;
  nameZh: string;
  nameEn: string;
  agencyZh: string;
  agencyEn: string;
  /** The bill type of its fee, and the fee, if the service has one. */
  fee: { billType: string; amount: number } | null;
}

const TRANSPORTATION = { agencyZh: "臺中市政府交通局", agencyEn: "Transportation Bureau, Taichung City Government" };
const ENVIRONMENT = { agencyZh: "臺中市政府環境保護局", agencyEn: "Environmental Protection Bureau, Taichung City Government" };
const LABOR = { agencyZh: "臺中市政府勞工局", agencyEn: "Labor Affairs Bureau, Taichung City Government" };
const ANIMALS = { agencyZh: "臺中市動物保護防疫處", agencyEn: "Animal Protection and Health Inspection Office, Taichung City" };
const AGRICULTURE = { agencyZh: "臺中市政府農業局", agencyEn: "Agriculture Bureau, Taichung City Government" };

/** The ten services of the e-counter residents follow here. */
const ECOUNTER_SERVICES: readonly Service[] = [
  {
    code: "accident-assessment",
    prefix: "AA",
    nameZh: "車輛行車事故鑑定申請",
    nameEn: "Traffic accident assessment",
    ...TRANSPORTATION,
    fee: { billType: "accident-assessment-fee", amount: 3000 },
  },
  {
    code: "accident-reassessment",
    prefix: "AR",
    nameZh: "車輛行車事故鑑定覆議申請",
    nameEn: "Review of a traffic accident assessment",
    ...TRANSPORTATION,
    fee: { billType: "accident-assessment-fee", amount: 3000 },
  },
  {
    code: "environmental-fine-statement",
    prefix: "EF",
    nameZh: "環保行政罰鍰陳述意見",
    nameEn: "Statement on an environmental fine",
    ...ENVIRONMENT,
    fee: { billType: "environmental-fine", amount: 6000 },
  },
  {
    code: "labor-fine-instalments",
    prefix: "LF",
    nameZh: "勞動行政罰鍰分期繳納申請",
    nameEn: "Paying a labour fine in instalments",
    ...LABOR,
    fee: { billType: "labor-fine", amount: 20000 },
  },
  {
    code: "animal-fine-statement",
    prefix: "AF",
    nameZh: "動物保護行政罰鍰陳述意見",
    nameEn: "Statement on an animal protection fine",
    ...ANIMALS,
    fee: { billType: "animal-protection-fine", amount: 3000 },
  },
  { code: "pet-registration", prefix: "PR", nameZh: "寵物登記申請", nameEn: "Pet registration", ...ANIMALS, fee: null },
  {
    code: "neutering-subsidy",
    prefix: "NS",
    nameZh: "犬貓絕育補助申請",
    nameEn: "Subsidy for neutering a dog or cat",
    ...ANIMALS,
    fee: null,
  },
  {
    code: "farmland-use-certificate",
    prefix: "FU",
    nameZh: "農業用地作農業使用證明申請",
    nameEn: "Certificate of farmland in agricultural use",
    ...AGRICULTURE,
    fee: null,
  },
  { code: "farmer-status", prefix: "FS", nameZh: "農民資格審查申請", nameEn: "Review of farmer status", ...AGRICULTURE, fee: null },
  {
    code: "crop-disaster-relief",
    prefix: "CD",
    nameZh: "農業天然災害救助申請",
    nameEn: "Relief for crops damaged by a natural disaster",
    ...AGRICULTURE,
    fee: null,
  },
];

interface SimulatedCase {
  /** The applicant's national ID (digests are made from it with the shared key). */
  nationalId: string;
  checkCode: string;
  record: EcounterCase;
}

interface SimulatedChange {
  cursor: number;
  applicant: string;
  caseNumber: string;
  service: EcounterCase["service"];
  status: CaseStatus;
  at: string;
}

export interface EcounterSimulator {
  app: express.Express;
  /** The receipts of application residents hold, with switches for a demo: mount on the sandbox gateway's server. */
  pages(portalUrl: string): express.Router;
  behaviour: { mode: EcounterMode; latencyMs: number };
  requests: number;
  /**
   * Changes how it behaves: for every request, or (`caseNumbers`) only for
   * requests about those cases (an applicant's cases, a case's status, their
   * fees), so a test of one resident's page can break the e-counter for them
   * alone while other tests run. Answers it was holding go out.
   */
  setBehaviour(mode: EcounterMode, latencyMs?: number, caseNumbers?: readonly string[]): void;
  /** The demo cases with their check codes (the receipts of application residents hold). */
  cases(): Array<{ caseNumber: string; checkCode: string; applicantName: string; record: EcounterCase }>;
  /** Moves a case to a status (a clerk's decision); false when there is no such case. */
  changeStatus(caseNumber: string, status: CaseStatus, note?: { noteZh?: string; noteEn?: string }, documentsDue?: string | null): boolean;
  /** The agency heard a fee was paid at the portal (its write-off notice): the case moves to paid once every fee is. */
  feePaidAtPortal(billType: string, writeOffNumber: string, paidAt: Date): boolean;
  /** A fee paid at the agency's counter, or cancelled there; false when no such unpaid fee. */
  settleFee(writeOffNumber: string, outcome: "paid" | "cancelled"): boolean;
}

const digits = (seed: string, count: number) =>
  [...createHash("sha256").update(seed).digest("hex")]
    .map((c) => String(parseInt(c, 16) % 10))
    .join("")
    .slice(0, count);

const moment = (today: string, daysAgo: number, hour: number) =>
  taipeiDateTimeIso(new Date(`${addDays(today, -daysAgo)}T${String(hour).padStart(2, "0")}:00:00+08:00`));

/** A step of a demo case: a status so many days ago. */
type Step = [CaseStatus, number, { noteZh?: string; noteEn?: string }?];

interface DemoCaseSpec {
  resident: number;
  service: string;
  serial: number;
  steps: Step[];
  /** The fee's state, for services with a fee. */
  fee?: "unpaid" | "paid_at_counter" | "cancelled";
  documentsDue?: number;
}

const MISSING_MICROCHIP = {
  noteZh: "請補附寵物晶片植入證明影本。",
  noteEn: "Please send a copy of the pet's microchip certificate.",
};

/**
 * The demo's cases. Resident 0 is the showcase member 林美芯 (meihsin):
 * three cases across two services, one with a fee to pay. Residents 1 and 2
 * are member-b and member-c; resident 3 is no member: the README's case for
 * the public query.
 */
const DEMO_CASES: readonly DemoCaseSpec[] = [
  {
    resident: 0,
    service: "accident-assessment",
    serial: 21,
    steps: [
      ["applied", 12],
      ["awaiting_payment", 11],
    ],
    fee: "unpaid",
  },
  {
    resident: 0,
    service: "accident-assessment",
    serial: 7,
    steps: [
      ["applied", 160],
      ["awaiting_payment", 159],
      ["paid", 150],
      ["under_review", 149],
      ["done", 120],
    ],
    fee: "paid_at_counter",
  },
  {
    resident: 0,
    service: "pet-registration",
    serial: 3,
    steps: [
      ["applied", 6],
      ["more_documents_needed", 2, MISSING_MICROCHIP],
    ],
    documentsDue: -12,
  },
  {
    resident: 1,
    service: "farmland-use-certificate",
    serial: 15,
    steps: [
      ["applied", 9],
      ["under_review", 7],
    ],
  },
  {
    resident: 1,
    service: "environmental-fine-statement",
    serial: 4,
    steps: [
      ["applied", 30],
      ["under_review", 28],
      ["awaiting_payment", 10, { noteZh: "陳述意見不予採納，請繳納罰鍰。", noteEn: "The statement was not accepted: the fine is due." }],
    ],
    fee: "unpaid",
  },
  {
    resident: 2,
    service: "neutering-subsidy",
    serial: 30,
    steps: [
      ["applied", 40],
      ["withdrawn", 38],
    ],
  },
  {
    resident: 2,
    service: "labor-fine-instalments",
    serial: 2,
    steps: [
      ["applied", 20],
      ["awaiting_payment", 18],
    ],
    fee: "unpaid",
  },
  {
    resident: 3,
    service: "accident-reassessment",
    serial: 11,
    steps: [
      ["applied", 8],
      ["awaiting_payment", 7],
    ],
    fee: "unpaid",
  },
  {
    resident: 3,
    service: "crop-disaster-relief",
    serial: 5,
    steps: [
      ["applied", 50],
      ["under_review", 45],
      ["rejected", 30, { noteZh: "災損未達救助標準。", noteEn: "The damage is below the relief threshold." }],
    ],
  },
];

function demoCases(today: string): SimulatedCase[] {
  const residents = generateDemoData({ today, billsPerType: 1, residents: 10 }).residents;
  const year = String(rocYear(Number(today.slice(0, 4))));
  return DEMO_CASES.map((spec) => {
    const service = ECOUNTER_SERVICES.find((candidate) => candidate.code === spec.service)!;
    const resident = residents[spec.resident]!;
    const appliedDaysAgo = spec.steps[0]![1];
    const month = addDays(today, -appliedDaysAgo).slice(5, 7);
    const caseNumber = `${service.prefix}${year}${month}${String(spec.serial).padStart(5, "0")}`;
    const fees: EcounterFee[] = [];
    if (service.fee && spec.fee) {
      const rule = DEMO_BILL_TYPES.find((type) => type.code === service.fee!.billType)!.writeOff as WriteOffRule;
      const body = `${rule.prefix}7${digits(`ecounter|${caseNumber}`, rule.length - rule.prefix.length - 2)}`;
      const issuedStep = spec.steps.find(([status]) => status === "awaiting_payment") ?? spec.steps[0]!;
      const issuedOn = addDays(today, -issuedStep[1]);
      const settledAt = moment(today, Math.max(issuedStep[1] - 1, 0), 10);
      fees.push({
        billType: service.fee.billType,
        writeOffNumber: withCheckDigit(body, rule),
        payerName: resident.name,
        amount: service.fee.amount,
        issuedOn,
        dueDate: addDays(issuedOn, 21),
        period: rocPeriod(issuedOn),
        ...(spec.fee === "unpaid"
          ? { status: "unpaid" as const }
          : spec.fee === "paid_at_counter"
            ? { status: "paid" as const, channel: "agency_counter" as const, settledAt }
            : { status: "cancelled" as const, settledAt }),
      });
    }
    return {
      nationalId: resident.nationalId,
      checkCode: digits(`ecounter|check|${caseNumber}`, 6),
      record: {
        caseNumber,
        service: {
          code: service.code,
          nameZh: service.nameZh,
          nameEn: service.nameEn,
          agencyZh: service.agencyZh,
          agencyEn: service.agencyEn,
        },
        appliedAt: moment(today, appliedDaysAgo, 9),
        timeline: spec.steps.map(([status, daysAgo, note], index) => ({ status, at: moment(today, daysAgo, 9 + index), ...note })),
        documentsDue: spec.documentsDue === undefined ? null : addDays(today, -spec.documentsDue),
        fees,
      },
    };
  });
}

export function createEcounterSimulator(options: {
  /** The key the portal signs with (its key id is not checked: one portal). */
  secret: string;
  /** The key applicants' digests are made with, shared with the portal. */
  applicantKey: string;
  baseLatencyMs?: number;
}): EcounterSimulator {
  const baseLatencyMs = options.baseLatencyMs ?? 120;
  const today = taipeiDate();
  const names = new Map(generateDemoData({ today, billsPerType: 1, residents: 10 }).residents.map((r) => [r.nationalId, r.name]));
  const cases = new Map(demoCases(today).map((simulated) => [simulated.record.caseNumber, simulated]));
  const digestOf = (nationalId: string) => createHmac("sha256", options.applicantKey).update(nationalId.toUpperCase()).digest("hex");
  const changes: SimulatedChange[] = [];
  const held: Array<() => void> = [];
  /** Behaviours set for some cases only. */
  const faults = new Map<string, { mode: EcounterMode; latencyMs: number }>();

  const record = (simulated: SimulatedCase, status: CaseStatus, note?: { noteZh?: string; noteEn?: string }) => {
    const at = taipeiDateTimeIso(new Date());
    simulated.record.timeline.push({ status, at, ...note });
    changes.push({
      cursor: changes.length + 1,
      applicant: digestOf(simulated.nationalId),
      caseNumber: simulated.record.caseNumber,
      service: simulated.record.service,
      status,
      at,
    });
  };
  const latest = (simulated: SimulatedCase) => simulated.record.timeline[simulated.record.timeline.length - 1]!.status;
  const feeOf = (writeOffNumber: string) => {
    for (const simulated of cases.values()) {
      const fee = simulated.record.fees.find((candidate) => candidate.writeOffNumber === writeOffNumber);
      if (fee) return { simulated, fee };
    }
    return null;
  };
  /** Once every fee is settled, a case waiting for its payment moves on. */
  const afterFees = (simulated: SimulatedCase) => {
    if (latest(simulated) === "awaiting_payment" && simulated.record.fees.every((fee) => fee.status !== "unpaid"))
      record(simulated, "paid");
  };

  const simulator: EcounterSimulator = {
    app: express(),
    pages: (portalUrl) => receiptPages(simulator, portalUrl),
    behaviour: { mode: "normal", latencyMs: baseLatencyMs },
    requests: 0,
    setBehaviour(mode, latencyMs = baseLatencyMs, caseNumbers) {
      if (caseNumbers) {
        for (const caseNumber of caseNumbers) {
          if (mode === "normal") faults.delete(caseNumber);
          else faults.set(caseNumber, { mode, latencyMs });
        }
      } else simulator.behaviour = { mode, latencyMs };
      for (const resume of held.splice(0)) resume();
    },
    cases: () =>
      [...cases.values()].map((simulated) => ({
        caseNumber: simulated.record.caseNumber,
        checkCode: simulated.checkCode,
        applicantName: names.get(simulated.nationalId) ?? "",
        record: simulated.record,
      })),
    changeStatus(caseNumber, status, note, documentsDue) {
      const simulated = cases.get(caseNumber);
      if (!simulated) return false;
      if (documentsDue !== undefined) simulated.record.documentsDue = documentsDue;
      record(simulated, status, note);
      return true;
    },
    feePaidAtPortal(billType, writeOffNumber, paidAt) {
      const found = feeOf(writeOffNumber);
      if (!found || found.fee.billType !== billType || found.fee.status !== "unpaid") return false;
      Object.assign(found.fee, { status: "paid", channel: "portal", settledAt: taipeiDateTimeIso(paidAt) });
      afterFees(found.simulated);
      return true;
    },
    settleFee(writeOffNumber, outcome) {
      const found = feeOf(writeOffNumber);
      if (!found || found.fee.status !== "unpaid") return false;
      const settledAt = taipeiDateTimeIso(new Date());
      Object.assign(
        found.fee,
        outcome === "paid" ? { status: "paid", channel: "agency_counter", settledAt } : { status: "cancelled", settledAt },
      );
      afterFees(found.simulated);
      return true;
    },
  };

  const { app } = simulator;
  app.disable("x-powered-by");

  /** The cases a request is about, for the faults set for some cases only. */
  const concerned = (body: Record<string, unknown>): string[] => {
    if (typeof body.applicant === "string")
      return [...cases.values()].filter((s) => digestOf(s.nationalId) === body.applicant).map((s) => s.record.caseNumber);
    if (typeof body.caseNumber === "string") return [body.caseNumber];
    if (Array.isArray(body.subjects)) return body.subjects.filter((subject): subject is string => typeof subject === "string");
    return [];
  };
  const behaviourFor = (body: Record<string, unknown>) => {
    if (simulator.behaviour.mode !== "normal") return simulator.behaviour;
    for (const caseNumber of concerned(body)) {
      const fault = faults.get(caseNumber);
      if (fault) return fault;
    }
    return simulator.behaviour;
  };

  /** Every call of the protocol: signed, then as the switches say. */
  const call = (handler: (body: Record<string, unknown>, res: express.Response) => void) =>
    asyncRoute(async (req: express.Request, res: express.Response) => {
      simulator.requests += 1;
      const body = typeof req.body === "string" ? req.body : "";
      const signed = verifyRequest(options.secret, {
        method: "POST",
        path: req.originalUrl.split("?")[0]!,
        body,
        timestamp: req.header("X-Portal-Timestamp") ?? "",
        signature: req.header("X-Portal-Signature") ?? "",
      });
      if (!signed) return void res.status(401).json({ error: "bad signature" });
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        return void res.status(400).json({ error: "not JSON" });
      }
      const request = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
      if (behaviourFor(request).mode === "held") await new Promise<void>((resume) => held.push(resume));
      const { mode, latencyMs } = behaviourFor(request);
      if (mode === "down") return void res.status(503).json({ error: "maintenance" });
      await new Promise((resolve) => setTimeout(resolve, mode === "slow" ? latencyMs * 60 : latencyMs));
      handler(request, res);
    });
  const text = express.text({ type: "application/json", limit: "20kb" });

  app.post(
    "/applicant-cases",
    text,
    call((body, res) => {
      const applicant = typeof body.applicant === "string" ? body.applicant : "";
      res.json({ cases: [...cases.values()].filter((simulated) => digestOf(simulated.nationalId) === applicant).map((s) => s.record) });
    }),
  );

  app.post(
    "/case-status",
    text,
    call((body, res) => {
      const simulated = typeof body.caseNumber === "string" ? cases.get(body.caseNumber) : undefined;
      if (!simulated || simulated.checkCode !== body.checkCode) return void res.status(404).json({ error: "no_match" });
      res.json({ case: simulated.record });
    }),
  );

  app.post(
    "/case-changes",
    text,
    call((body, res) => {
      const limit = typeof body.limit === "number" && body.limit > 0 ? Math.min(body.limit, 500) : 100;
      if (body.after === null || body.after === undefined) return void res.json({ changes: [], cursor: String(changes.length) });
      const after = Number(body.after);
      if (!Number.isInteger(after) || after < 0) return void res.status(400).json({ error: "bad cursor" });
      const page = changes.filter((change) => change.cursor > after).slice(0, limit);
      res.json({
        changes: page.map((change) => ({ ...change, cursor: String(change.cursor) })),
        cursor: String(page.length ? page[page.length - 1]!.cursor : after),
      });
    }),
  );

  // The bill sources' protocol, for the portal's last check before it takes a fee's money.
  app.post(
    "/pending-bills",
    text,
    call((body, res) => {
      const asked = Array.isArray(body.subjects) ? body.subjects.filter((s): s is string => typeof s === "string").slice(0, 50) : [];
      const bills: SourceBill[] = [];
      const settled: SourceSettlement[] = [];
      for (const caseNumber of asked) {
        const simulated = cases.get(caseNumber);
        for (const fee of simulated?.record.fees ?? []) {
          const { billType, writeOffNumber } = fee;
          if (fee.status === "unpaid") {
            const { payerName, amount, issuedOn, dueDate, period } = fee;
            bills.push({ billType, writeOffNumber, subject: caseNumber, payerName, amount, issuedOn, dueDate, period });
          } else if (fee.status === "cancelled") {
            settled.push({ billType, writeOffNumber, subject: caseNumber, outcome: "cancelled", settledAt: fee.settledAt! });
          } else if (fee.channel && fee.channel !== "portal") {
            settled.push({
              billType,
              writeOffNumber,
              subject: caseNumber,
              outcome: "paid",
              channel: fee.channel,
              settledAt: fee.settledAt!,
            });
          }
        }
      }
      res.json({ bills, settled });
    }),
  );

  // Demo and tests: the switches.
  app.get("/_simulator/cases", (_req, res) => {
    res.json(simulator.cases().map(({ checkCode, applicantName, record: found }) => ({ ...found, checkCode, applicantName })));
  });

  app.post("/_simulator/behaviour", express.json(), (req, res) => {
    const { mode, latencyMs, caseNumbers } = req.body as { mode?: EcounterMode; latencyMs?: number; caseNumbers?: unknown };
    if (mode !== undefined && !["normal", "slow", "down", "held"].includes(mode))
      return void res.status(400).json({ error: "unknown mode" });
    if (caseNumbers !== undefined && !(Array.isArray(caseNumbers) && caseNumbers.every((value) => typeof value === "string")))
      return void res.status(400).json({ error: "caseNumbers: a list of case numbers" });
    // With case numbers, only those cases' requests change: parallel e2e tests share this simulator.
    simulator.setBehaviour(mode ?? "normal", typeof latencyMs === "number" ? latencyMs : undefined, caseNumbers as string[] | undefined);
    res.json(simulator.behaviour);
  });

  app.post("/_simulator/cases/:caseNumber/status", express.json(), (req, res) => {
    const { status, noteZh, noteEn, documentsDue } = req.body as {
      status?: unknown;
      noteZh?: string;
      noteEn?: string;
      documentsDue?: string | null;
    };
    if (!isCaseStatus(status)) return void res.status(400).json({ error: "unknown status" });
    if (!simulator.changeStatus(req.params.caseNumber, status, { noteZh, noteEn }, documentsDue))
      return void res.status(404).json({ error: "no such case" });
    res.json(cases.get(req.params.caseNumber)!.record);
  });

  app.post("/_simulator/fees/:writeOffNumber/settle", express.json(), (req, res) => {
    const outcome = (req.body as { outcome?: string }).outcome === "cancelled" ? "cancelled" : "paid";
    if (!simulator.settleFee(req.params.writeOffNumber, outcome)) return void res.status(404).json({ error: "no such unpaid fee" });
    res.json({ settled: req.params.writeOffNumber, outcome });
  });

  return simulator;
}

const PAGE_STYLE = `header .service{margin:0;font-weight:700;font-size:1.25rem}
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border:1px solid #6f6f6f;padding:.25rem .5rem;text-align:left;vertical-align:top}
fieldset{margin:.5rem 0;border:1px solid #6f6f6f}button{font:inherit;padding:.25rem .75rem}.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}`;

/**
 * `/_sandbox/ecounter`: the demo cases as the receipts of application print
 * them (case number and check code), each with a link to follow it on the
 * portal and a form to change its status; and how the e-counter answers.
 */
function receiptPages(simulator: EcounterSimulator, portalUrl: string): express.Router {
  const router = express.Router();
  const localeOf = (req: Request) =>
    sandboxLocale(typeof req.query.lang === "string" ? req.query.lang : undefined, req.acceptsLanguages.bind(req));
  router.get("/_sandbox/ecounter", (req, res) => {
    const locale = localeOf(req);
    const t = sandboxT(locale);
    const e = escapeHtml;
    const name = (found: { nameZh: string; nameEn: string }) => (locale === "en" ? found.nameEn : found.nameZh);
    const rows = simulator
      .cases()
      .map(({ caseNumber, checkCode, applicantName, record }) => {
        const status = record.timeline[record.timeline.length - 1]!.status;
        const options = CASE_STATUSES.map(
          (s) => `<option value="${s}"${s === status ? " selected" : ""}>${e(t(`ecounter.statuses.${s}`))}</option>`,
        ).join("");
        return `<tr><td>${e(name(record.service))}</td><td>${e(caseNumber)}</td><td>${e(checkCode)}</td><td>${e(applicantName)}</td>
<td>${e(t(`ecounter.statuses.${status}`))}</td><td><a href="${e(portalUrl)}/applications">${e(t("ecounter.follow"))}</a>
<form method="post" action="/_sandbox/ecounter/status?lang=${locale}"><input type="hidden" name="caseNumber" value="${e(caseNumber)}">
<label for="status-${e(caseNumber)}">${e(t("ecounter.changeLabel"))}</label> <select id="status-${e(caseNumber)}" name="status">${options}</select>
<button type="submit" aria-label="${e(t("ecounter.changeLegend").replace("{{caseNumber}}", caseNumber))}">${e(t("ecounter.change"))}</button></form></td></tr>`;
      })
      .join("\n");
    const modes = (["normal", "slow", "down"] as const)
      .map(
        (mode) =>
          `<label><input type="radio" name="mode" value="${mode}"${simulator.behaviour.mode === mode ? " checked" : ""}> ${e(t(`ecounter.modes.${mode}`))}</label>`,
      )
      .join(" ");
    const body = `<h1>${e(t("ecounter.title"))}</h1><p>${e(t("ecounter.intro"))}</p>
<table><caption class="visually-hidden">${e(t("ecounter.title"))}</caption><thead><tr><th scope="col">${e(t("ecounter.serviceName"))}</th><th scope="col">${e(t("ecounter.caseNumber"))}</th>
<th scope="col">${e(t("ecounter.checkCode"))}</th><th scope="col">${e(t("ecounter.applicant"))}</th><th scope="col">${e(t("ecounter.status"))}</th><th scope="col"><span class="visually-hidden">${e(t("ecounter.change"))}</span></th></tr></thead>
<tbody>${rows}</tbody></table>
<form method="post" action="/_sandbox/ecounter/behaviour?lang=${locale}"><fieldset><legend>${e(t("ecounter.behaviourLegend"))}</legend>${modes}</fieldset>
<button type="submit">${e(t("ecounter.apply"))}</button></form>`;
    res.setHeader("Cache-Control", "no-store");
    res.type("html").send(
      sandboxPage({
        locale,
        title: t("ecounter.title"),
        service: t("ecounter.service"),
        banner: t("ecounter.banner"),
        style: PAGE_STYLE,
        body,
      }),
    );
  });
  router.post("/_sandbox/ecounter/status", express.urlencoded({ extended: false }), (req, res) => {
    const { caseNumber, status } = req.body as { caseNumber?: string; status?: string };
    if (typeof caseNumber === "string" && isCaseStatus(status)) simulator.changeStatus(caseNumber, status);
    res.redirect(303, `/_sandbox/ecounter?lang=${localeOf(req)}`);
  });
  router.post("/_sandbox/ecounter/behaviour", express.urlencoded({ extended: false }), (req, res) => {
    const mode = (req.body as { mode?: string }).mode;
    if (mode === "normal" || mode === "slow" || mode === "down") simulator.setBehaviour(mode);
    res.redirect(303, `/_sandbox/ecounter?lang=${localeOf(req)}`);
  });
  return router;
}
