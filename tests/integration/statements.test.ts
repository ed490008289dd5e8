import { createHash, randomUUID } from "node:crypto";
import { parse } from "csv-parse/sync";
import { and, asc, eq, isNull } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { allocateByWeight, statementSha256, type StatementReconciliation } from "~/domain/statement";
import type { PaymentTool } from "~/domain/payment-tools";
import { startStaffSession } from "~/back-office/staff-sessions.server";
import { verifyAuditChain } from "~/base/audit.server";
import { schema, setAppDatabase } from "~/base/db.server";
import { installConfiguration } from "~/base/env.server";
import { statementFile } from "~/money/statement-documents.server";
import { documentOf, findStatement, listStatements, statementsAfterReconciliation } from "~/money/statements.server";
import { createPaymentOrder } from "~/payments/orders/create.server";
import type { PaymentOrder } from "~/payments/orders/order.server";
import { applyTransition } from "~/payments/orders/transitions.server";
import { deliverWriteOffNotices } from "~/payments/write-off-notices.server";
import { seedDemoDataIfEmpty, seedDemoStaff } from "~/demo/data/seed.server";
import { loader as downloadStatement } from "~/routes/back-office.statements.$agency.$file";
import { describeEachDatabase } from "../support/databases";
import { startPaymentWorld, unpaidBills, type PaymentWorld } from "../support/payments";

/**
 * Agency statements over real orders (created and paid through the order
 * service), refunds and settlement files put in as the refund and
 * reconciliation services store them: a day with several agencies,
 * multi-bill orders across agencies, refunds and fees adds up to that day's
 * settlement files to the dollar; a day that does not says so; a correction
 * is a new version; each statement is announced once, signed, and can be
 * checked against its hash.
 */

let keyCounter = 0;
const newKey = () => `00000000-0000-4000-b000-${String(++keyCounter).padStart(12, "0")}`;
let transactionCounter = 0;
const at = (taipei: string) => new Date(`${taipei}+08:00`);
const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

describeEachDatabase(
  "agency statements",
  (database) => {
    const db = () => database().db;
    let world: PaymentWorld;

    beforeAll(async () => {
      world = await startPaymentWorld(db());
      setAppDatabase(database());
      installConfiguration(world.ctx.env);
    });
    afterAll(async () => {
      setAppDatabase(undefined);
      await world.close();
    });

    interface PaidOrder {
      order: PaymentOrder;
      /** The order's bills in bill id order (the order a line's fee is split in). */
      bills: Array<{ id: string; amount: number; billType: string }>;
    }

    /** An order for these bills, paid at `paidAt` through the order service, as a provider's answer would. */
    async function paidOrder(billTypes: Record<string, number>, tool: PaymentTool, paidAt: Date): Promise<PaidOrder> {
      const bills: PaidOrder["bills"] = [];
      for (const [billType, count] of Object.entries(billTypes))
        bills.push(...(await unpaidBills(db(), billType, count)).map((bill) => ({ id: bill.id, amount: bill.amount, billType })));
      const created = await createPaymentOrder(world.ctx, { billIds: bills.map((bill) => bill.id), tool, idempotencyKey: newKey() });
      if (created.kind !== "created") throw new Error(`order not created: ${created.kind}`);
      await applyTransition(world.ctx, created.order.id, "pending", { source: "system" });
      const paid = await applyTransition(world.ctx, created.order.id, "paid", {
        source: "provider_notification",
        providerTransactionId: `${Date.now()}${String(++transactionCounter).padStart(6, "0")}`,
        paidAt,
      });
      return { order: paid.order, bills: bills.sort((a, b) => (a.id < b.id ? -1 : 1)) };
    }

    /** A completed refund of one bill, as the refund service records it. */
    async function refunded(paid: PaidOrder, billId: string, amount: number, refundedAt: Date, providerRefundId: string | null = null) {
      const bill = paid.bills.find((b) => b.id === billId)!;
      const [type] = await db().select().from(schema.billTypes).where(eq(schema.billTypes.code, bill.billType));
      const [row] = await db()
        .insert(schema.refunds)
        .values({
          number: `RF${String(20261120 + ++transactionCounter).slice(0, 8)}${randomUUID().replaceAll("-", "").slice(0, 6).toUpperCase()}`,
          orderId: paid.order.id,
          billId,
          agencyCode: type!.agencyCode,
          amount,
          refundableAsSeen: bill.amount,
          reason: "duplicate_payment",
          steps: [],
          state: "refunded",
          operator: "statements-test",
          providerRefundId,
          releasedAt: refundedAt,
          refundedAt,
        })
        .returning();
      return row!;
    }

    interface FileLine {
      kind: "payment" | "refund";
      reference: string;
      amount: number;
      fee: number;
      providerRefundId?: string;
    }

    /** A provider's settlement file for a day with its lines, as the reconciliation import stores it; replaces the day's current one. */
    async function settlementFile(provider: "line_pay" | "ecpay", businessDate: string, lines: FileLine[]) {
      await db()
        .update(schema.settlementFiles)
        .set({ supersededAt: new Date() })
        .where(
          and(
            eq(schema.settlementFiles.provider, provider),
            eq(schema.settlementFiles.businessDate, businessDate),
            isNull(schema.settlementFiles.supersededAt),
          ),
        );
      const content = JSON.stringify(lines);
      const [file] = await db()
        .insert(schema.settlementFiles)
        .values({
          provider,
          businessDate,
          origin: "fetched",
          fileName: `${provider}-${businessDate}.csv`,
          sha256: createHash("sha256").update(content).digest("hex"),
          content,
          lineCount: lines.length,
        })
        .returning();
      if (lines.length)
        await db()
          .insert(schema.settlementLines)
          .values(
            lines.map((line, i) => ({
              fileId: file!.id,
              lineNumber: i + 1,
              kind: line.kind,
              merchantOrderNumber: line.reference,
              providerTransactionId: `T${i}`,
              providerRefundId: line.providerRefundId ?? null,
              amount: line.amount,
              fee: line.fee,
              occurredAt: at(`${businessDate}T12:00:00`),
              raw: {},
            })),
          );
    }

    /** What the day's current files hold, summed: the numbers the statements must add up to. */
    async function fileTotals(businessDate: string) {
      const lines = await db()
        .select({ kind: schema.settlementLines.kind, amount: schema.settlementLines.amount, fee: schema.settlementLines.fee })
        .from(schema.settlementLines)
        .innerJoin(schema.settlementFiles, eq(schema.settlementLines.fileId, schema.settlementFiles.id))
        .where(and(eq(schema.settlementFiles.businessDate, businessDate), isNull(schema.settlementFiles.supersededAt)));
      return {
        collected: sum(lines.filter((line) => line.kind === "payment").map((line) => line.amount)),
        refunded: sum(lines.filter((line) => line.kind === "refund").map((line) => line.amount)),
        fees: sum(lines.map((line) => line.fee)),
      };
    }

    const inForce = (businessDate: string) =>
      db()
        .select()
        .from(schema.agencyStatements)
        .where(and(eq(schema.agencyStatements.businessDate, businessDate), isNull(schema.agencyStatements.supersededAt)))
        .orderBy(asc(schema.agencyStatements.agencyCode));
    const statementNotices = () =>
      db()
        .select()
        .from(schema.writeOffNotices)
        .where(eq(schema.writeOffNotices.kind, "statement.ready"))
        .orderBy(asc(schema.writeOffNotices.createdAt));

    const DAY = "2026-11-20";
    const day = {} as Record<"a" | "b" | "c" | "e" | "f", PaidOrder>;

    it("makes a day's statements that add up to its settlement files exactly, and announces each once", async () => {
      // Three bills of two agencies in one LINE Pay order, two of two agencies by card a moment before midnight,
      // one at the stroke of midnight; one order of the day before, refunded today; one of the day after.
      day.a = await paidOrder({ "traffic-fine": 2, "environmental-fine": 1 }, "line_pay", at(`${DAY}T10:00:00`));
      day.b = await paidOrder({ "market-usage-fee": 1, "traffic-fine": 1 }, "credit_card", at(`${DAY}T23:59:59`));
      day.c = await paidOrder({ "building-permit-fee": 1 }, "line_pay", at(`${DAY}T00:00:00`));
      day.e = await paidOrder({ "labor-fine": 2 }, "line_pay", at("2026-11-19T21:00:00"));
      day.f = await paidOrder({ "traffic-fine": 1 }, "line_pay", at("2026-11-21T00:00:00"));
      const environmentBill = day.a.bills.find((bill) => bill.billType === "environmental-fine")!;
      const partial = Math.floor(environmentBill.amount / 3);
      await refunded(day.a, environmentBill.id, partial, at(`${DAY}T12:00:00`), "LP-REFUND-1");
      // Order E refunded in full: both its bills.
      await applyTransition(world.ctx, day.e.order.id, "refunded", { source: "operator" }, at(`${DAY}T09:00:00`));
      for (const bill of day.e.bills) await refunded(day.e, bill.id, bill.amount, at(`${DAY}T09:00:00`));

      await settlementFile("line_pay", DAY, [
        { kind: "payment", reference: day.a.order.reference, amount: day.a.order.totalAmount, fee: 67 },
        { kind: "payment", reference: day.c.order.reference, amount: day.c.order.totalAmount, fee: 9 },
        { kind: "refund", reference: day.a.order.reference, amount: partial, fee: 0, providerRefundId: "LP-REFUND-1" },
        // LINE Pay gives part of its fee back on a refund; these lines name no refund id.
        ...day.e.bills.map((bill) => ({ kind: "refund" as const, reference: day.e.order.reference, amount: bill.amount, fee: -3 })),
      ]);
      // An earlier ECPay file of the day, replaced by the current one: it counts no more.
      await settlementFile("ecpay", DAY, [
        { kind: "payment", reference: day.b.order.reference, amount: day.b.order.totalAmount, fee: 999 },
      ]);
      await settlementFile("ecpay", DAY, [{ kind: "payment", reference: day.b.order.reference, amount: day.b.order.totalAmount, fee: 31 }]);

      const { announced, unchanged } = await statementsAfterReconciliation(world.ctx, DAY, at(`${"2026-11-21"}T06:00:00`));
      expect(unchanged).toBe(0);
      const statements = await inForce(DAY);
      expect(announced.map((row) => row.id).sort()).toEqual(statements.map((row) => row.id).sort());
      expect(statements.map((row) => row.agencyCode)).toEqual(["economic", "environment", "labor", "police", "urban-development"]);

      // The tie-out: the statements of the day add up to the day's files, to the dollar.
      const files = await fileTotals(DAY);
      expect(files).toEqual({
        collected: day.a.order.totalAmount + day.b.order.totalAmount + day.c.order.totalAmount,
        refunded: partial + day.e.order.totalAmount,
        fees: 67 + 9 + 0 - 3 - 3 + 31,
      });
      expect({
        collected: sum(statements.map((row) => row.collected)),
        refunded: sum(statements.map((row) => row.refunded)),
        fees: sum(statements.map((row) => row.fees)),
      }).toEqual(files);
      for (const row of statements) {
        const reconciliation = row.reconciliation as StatementReconciliation;
        expect(reconciliation, row.agencyCode).toEqual({
          tiesOut: true,
          settledCollected: row.collected,
          settledRefunded: row.refunded,
          missingFiles: [],
          unattributed: { lines: 0, collected: 0, refunded: 0, fees: 0 },
        });
        expect(row.net).toBe(row.collected - row.refunded - row.fees);
        expect(row.version).toBe(1);
        expect(row.sha256).toBe(statementSha256(documentOf(row)));
      }

      // Order A's fee of 67, split over its three bills by amount; order B's 31 over its two.
      const shareOf = (paid: PaidOrder, fee: number, billType: string) => {
        const parts = allocateByWeight(
          fee,
          paid.bills.map((bill) => bill.amount),
        );
        return sum(paid.bills.map((bill, i) => (bill.billType === billType ? parts[i]! : 0)));
      };
      const police = statements.find((row) => row.agencyCode === "police")!;
      const policeBills = [...day.a.bills, ...day.b.bills].filter((bill) => bill.billType === "traffic-fine");
      expect(police).toMatchObject({
        collected: sum(policeBills.map((bill) => bill.amount)),
        refunded: 0,
        fees: shareOf(day.a, 67, "traffic-fine") + shareOf(day.b, 31, "traffic-fine"),
      });
      expect(police.lines).toEqual([
        expect.objectContaining({
          billType: "traffic-fine",
          paymentTool: "credit_card",
          payments: 1,
          fees: shareOf(day.b, 31, "traffic-fine"),
        }),
        expect.objectContaining({
          billType: "traffic-fine",
          paymentTool: "line_pay",
          payments: 2,
          fees: shareOf(day.a, 67, "traffic-fine"),
        }),
      ]);
      expect(statements.find((row) => row.agencyCode === "environment")).toMatchObject({
        collected: environmentBill.amount,
        refunded: partial,
        fees: shareOf(day.a, 67, "environmental-fine"),
      });
      // Paid yesterday, refunded today: today's statement gives the money back and the fee returned.
      expect(statements.find((row) => row.agencyCode === "labor")).toMatchObject({
        collected: 0,
        refunded: day.e.order.totalAmount,
        fees: -6,
        net: -day.e.order.totalAmount + 6,
        lines: [
          {
            billType: "labor-fine",
            paymentTool: "line_pay",
            payments: 0,
            collected: 0,
            refunds: 2,
            refunded: day.e.order.totalAmount,
            fees: -6,
            net: -day.e.order.totalAmount + 6,
          },
        ],
      });

      // One notice per statement, queued with it, about no order or bill.
      const notices = await statementNotices();
      expect(notices).toHaveLength(5);
      for (const notice of notices) {
        const statement = statements.find((row) => row.id === notice.statementId)!;
        expect(notice).toMatchObject({ agencyCode: statement.agencyCode, orderId: null, billId: null, state: "pending" });
        expect(notice.payload).toEqual({
          type: "statement.ready",
          agency: statement.agencyCode,
          businessDate: DAY,
          version: 1,
          replaces: null,
          currency: "TWD",
          totals: { collected: statement.collected, refunded: statement.refunded, fees: statement.fees, net: statement.net },
          tiesOut: true,
          sha256: statement.sha256,
          json: `${world.ctx.env.backOfficeUrl}/back-office/statements/${statement.agencyCode}/${DAY}.json?version=1`,
          csv: `${world.ctx.env.backOfficeUrl}/back-office/statements/${statement.agencyCode}/${DAY}.csv?version=1`,
          pdf: `${world.ctx.env.backOfficeUrl}/back-office/statements/${statement.agencyCode}/${DAY}.pdf?version=1`,
        });
      }

      // Built again: nothing new, nothing announced again.
      expect(await statementsAfterReconciliation(world.ctx, DAY)).toMatchObject({ announced: [], unchanged: 5 });
      expect(await statementNotices()).toHaveLength(5);
    });

    it("delivers the notices signed to each agency, and what the agency downloads matches the sha256 it was sent", async () => {
      await deliverWriteOffNotices(world.ctx, new Date(), 100);
      const received = [...world.simulator.notices.values()].filter((notice) => notice.type === "statement.ready");
      expect(received.map((notice) => notice.agency).sort()).toEqual(["economic", "environment", "labor", "police", "urban-development"]);
      expect(world.simulator.rejected).toBe(0);
      expect((await statementNotices()).every((notice) => notice.state === "delivered")).toBe(true);

      const police = received.find((notice) => notice.agency === "police")!.body as { sha256: string; totals: { net: number } };
      const statement = (await findStatement(db(), "police", DAY, null))!;
      const json = await statementFile(statement, "json", "zh-TW");
      expect(
        createHash("sha256")
          .update(json.body as string)
          .digest("hex"),
      ).toBe(police.sha256);
      expect(JSON.parse(json.body as string)).toMatchObject({ agency: "police", businessDate: DAY, version: 1, net: police.totals.net });
    });

    it("writes the statement as CSV for spreadsheets: a row a line, then the total, in the reader's language", async () => {
      const statement = (await findStatement(db(), "police", DAY, null))!;
      for (const locale of ["zh-TW", "en"] as const) {
        const file = await statementFile(statement, "csv", locale);
        expect(file.fileName).toBe(`statement-police-${DAY}-v1.csv`);
        const text = Buffer.from(await new Response(file.body).arrayBuffer()).toString("utf8");
        expect(text.startsWith("\uFEFF")).toBe(true);
        expect(text.split("\r\n").length).toBe(statement.document.lines.length + 3);
        const rows: Array<Record<string, string>> = parse(text, { bom: true, columns: true, record_delimiter: "\r\n" });
        const [header] = Object.keys(rows[0]!);
        expect(header).toBe(locale === "en" ? "Day" : "日期");
        const collected = locale === "en" ? "Collected (NT$)" : "代收金額（元）";
        const lines = rows.slice(0, -1);
        const total = rows.at(-1)!;
        expect(lines.map((row) => Number(row[collected]))).toEqual(statement.document.lines.map((line) => line.collected));
        expect(Number(total[collected])).toBe(statement.document.collected);
        expect(total[locale === "en" ? "Bill type" : "繳費項目"]).toBe(locale === "en" ? "Total" : "合計");
        expect(lines.map((row) => row[locale === "en" ? "Payment tool" : "支付工具"])).toEqual(
          locale === "en" ? ["Credit card", "LINE Pay"] : ["信用卡", "LINE Pay"],
        );
        expect(new Set(rows.map((row) => row[locale === "en" ? "Against the settlement files" : "與對帳檔核對"]))).toEqual(
          new Set([locale === "en" ? "Ties out" : "相符"]),
        );
      }
    });

    it("lets staff download the statements of their agencies only, and audits each download", async () => {
      await seedDemoStaff(db());
      const env = world.ctx.env;
      const cookieOf = async (subject: string) => {
        const [member] = await db().select().from(schema.staff).where(eq(schema.staff.subject, subject));
        await db()
          .insert(schema.staffPasskeys)
          .values({ id: `test-key-${subject}`, staffId: member!.id, publicKey: "test" })
          .onConflictDoNothing();
        return {
          id: member!.id,
          cookie: (await startStaffSession(db(), env, member!.id, { idToken: null, clientAddress: "127.0.0.1" })).split(";")[0]!,
        };
      };
      const download = async (staff: { cookie: string }, agency: string, file: string, query = "") => {
        const request = new Request(`${env.backOfficeUrl}/back-office/statements/${agency}/${file}${query}`, {
          headers: { cookie: staff.cookie },
        });
        try {
          return await downloadStatement({
            request,
            params: { agency, file },
            context: { requestId: randomUUID(), cspNonce: "", logger: world.ctx.logger, clientAddress: "127.0.0.1" },
          });
        } catch (thrown) {
          if (thrown instanceof Response) return thrown;
          throw thrown;
        }
      };
      const accounting = await cookieOf("st-police-accounting");
      const pdf = await download(accounting, "police", `${DAY}.pdf`);
      expect(pdf.status).toBe(200);
      expect(pdf.headers.get("content-type")).toBe("application/pdf");
      expect(pdf.headers.get("content-disposition")).toBe(`attachment; filename="statement-police-${DAY}-v1.pdf"`);
      expect(
        Buffer.from(await pdf.arrayBuffer())
          .subarray(0, 5)
          .toString(),
      ).toBe("%PDF-");
      // Another agency's statement, a day without one, a version that does not exist and an address that is not one: not found.
      for (const [agency, file, query] of [
        ["economic", `${DAY}.csv`, ""],
        ["police", "2026-11-22.csv", ""],
        ["police", `${DAY}.csv`, "?version=7"],
        ["police", `${DAY}.xlsx`, ""],
        ["police", "2026-02-30.csv", ""],
        ["police", `${DAY}.csv`, "?version=%00"],
      ] as const)
        expect((await download(accounting, agency, file, query)).status, `${agency}/${file}${query}`).toBe(404);
      const auditor = await cookieOf("st-auditor");
      expect((await download(auditor, "economic", `${DAY}.csv`)).status).toBe(200);

      const audited = await db()
        .select()
        .from(schema.auditLog)
        .where(eq(schema.auditLog.action, "statement.downloaded"))
        .orderBy(asc(schema.auditLog.seq));
      expect(
        audited.map((entry) => [entry.actorId, (entry.details as { agency: string }).agency, (entry.details as { format: string }).format]),
      ).toEqual([
        [accounting.id, "police", "pdf"],
        [auditor.id, "economic", "csv"],
      ]);
      expect((await verifyAuditChain(db())).ok).toBe(true);
    });

    it("sends a correction as the next version, keeping the one it replaces, when the files change", async () => {
      const before = await inForce(DAY);
      // ECPay corrects its file: order B's fee was 40, not 31. Order B's bills are economic's and police's.
      await settlementFile("ecpay", DAY, [{ kind: "payment", reference: day.b.order.reference, amount: day.b.order.totalAmount, fee: 40 }]);
      const { announced, unchanged } = await statementsAfterReconciliation(world.ctx, DAY);
      expect(announced.map((row) => [row.agencyCode, row.version])).toEqual([
        ["economic", 2],
        ["police", 2],
      ]);
      expect(unchanged).toBe(3);
      expect(world.logs.some((log) => log.alert === "agency_statement_corrected")).toBe(true);
      const after = await inForce(DAY);
      expect(sum(after.map((row) => row.fees))).toBe((await fileTotals(DAY)).fees);
      const policeBefore = before.find((row) => row.agencyCode === "police")!;
      const [kept] = await db().select().from(schema.agencyStatements).where(eq(schema.agencyStatements.id, policeBefore.id));
      expect(kept).toMatchObject({ version: 1, sha256: policeBefore.sha256, fees: policeBefore.fees });
      expect(kept!.supersededAt).not.toBeNull();

      const notices = (await statementNotices()).filter((notice) => (notice.payload as { version: number }).version === 2);
      expect(notices.map((notice) => notice.agencyCode).sort()).toEqual(["economic", "police"]);
      const police = notices.find((notice) => notice.agencyCode === "police")!.payload as Record<string, unknown>;
      expect(police.replaces).toEqual({ version: 1, sha256: policeBefore.sha256 });
      expect(police.sha256).not.toBe(policeBefore.sha256);

      // The list shows what is in force and keeps the earlier version to download; reach narrows it to police.
      const list = await listStatements(db(), ["police"], { agency: null, page: 1 });
      expect(list.rows.map((row) => [row.agencyCode, row.businessDate, row.version, row.earlierVersions])).toEqual([
        ["police", DAY, 2, [1]],
      ]);
      expect(await listStatements(db(), ["police"], { agency: "economic", page: 1 })).toMatchObject({ rows: [], total: 0 });
      expect((await listStatements(db(), "all", { agency: null, page: 1 })).total).toBe(5);
      const first = await findStatement(db(), "police", DAY, 1);
      expect(first).toMatchObject({ sha256: policeBefore.sha256, document: { version: 1 } });
      expect(first!.supersededAt).not.toBeNull();
    });

    it("says so, on each statement, when a day does not tie out, and still accounts for every line of the files", async () => {
      const DIFFERS = "2026-11-23";
      const unsettled = await paidOrder({ "traffic-fine": 1 }, "line_pay", at(`${DIFFERS}T08:00:00`));
      const short = await paidOrder({ "environmental-fine": 1 }, "line_pay", at(`${DIFFERS}T09:00:00`));
      const byCard = await paidOrder({ "market-usage-fee": 1 }, "credit_card", at(`${DIFFERS}T10:00:00`));
      // Settled for ten dollars less; a line for an order the portal never made; order C of three days before,
      // settled again; no ECPay file yet.
      const lines = [
        { kind: "payment" as const, reference: short.order.reference, amount: short.order.totalAmount - 10, fee: 5 },
        { kind: "payment" as const, reference: "ZZ00000000000001", amount: 777, fee: 15 },
      ];
      await settlementFile("line_pay", DIFFERS, [
        ...lines,
        { kind: "payment", reference: day.c.order.reference, amount: day.c.order.totalAmount, fee: 9 },
      ]);
      await statementsAfterReconciliation(world.ctx, DIFFERS);
      const statements = await inForce(DIFFERS);
      const reconciliation = (agency: string) =>
        statements.find((row) => row.agencyCode === agency)!.reconciliation as StatementReconciliation;
      const unattributed = { lines: 1, collected: 777, refunded: 0, fees: 15 };
      expect(reconciliation("police")).toEqual({ tiesOut: false, settledCollected: 0, settledRefunded: 0, missingFiles: [], unattributed });
      expect(reconciliation("environment")).toEqual({
        tiesOut: false,
        settledCollected: short.order.totalAmount - 10,
        settledRefunded: 0,
        missingFiles: [],
        unattributed,
      });
      expect(reconciliation("economic")).toMatchObject({ tiesOut: false, missingFiles: ["ecpay"] });
      // Order C's agency collected nothing that day, but the file says it was paid then.
      expect(statements.find((row) => row.agencyCode === "urban-development")).toMatchObject({ collected: 0, fees: 9, net: -9 });
      expect(reconciliation("urban-development")).toMatchObject({ tiesOut: false, settledCollected: day.c.order.totalAmount });
      // The records as they are: what the payments took, whatever the files say.
      expect(sum(statements.map((row) => row.collected))).toBe(
        unsettled.order.totalAmount + short.order.totalAmount + byCard.order.totalAmount,
      );
      // Every line of the files is some agency's share or stated as nobody's.
      const files = await fileTotals(DIFFERS);
      expect(sum(statements.map((row) => (row.reconciliation as StatementReconciliation).settledCollected)) + unattributed.collected).toBe(
        files.collected,
      );
      expect(sum(statements.map((row) => row.fees)) + unattributed.fees).toBe(files.fees);
      expect(
        (await statementNotices())
          .filter((notice) => (notice.payload as { businessDate: string }).businessDate === DIFFERS)
          .map((n) => (n.payload as { tiesOut: boolean }).tiesOut),
      ).toEqual([false, false, false, false]);

      // LINE Pay takes the repeated line out of its file: urban development's statement of the day is corrected to nothing.
      await settlementFile("line_pay", DIFFERS, lines);
      const corrected = await statementsAfterReconciliation(world.ctx, DIFFERS);
      expect(corrected.announced.map((row) => [row.agencyCode, row.version])).toEqual([["urban-development", 2]]);
      expect(corrected.announced[0]).toMatchObject({ collected: 0, refunded: 0, fees: 0, net: 0, lines: [] });
      expect((corrected.announced[0]!.reconciliation as StatementReconciliation).settledCollected).toBe(0);
    });

    it("builds a day once when two instances build it at the same time", async () => {
      const BOTH = "2026-11-25";
      await paidOrder({ "traffic-fine": 1, "labor-fine": 1 }, "line_pay", at(`${BOTH}T11:00:00`));
      const results = await Promise.all([statementsAfterReconciliation(world.ctx, BOTH), statementsAfterReconciliation(world.ctx, BOTH)]);
      expect(results.map((result) => result.announced.length).sort()).toEqual([0, 2]);
      const rows = await db().select().from(schema.agencyStatements).where(eq(schema.agencyStatements.businessDate, BOTH));
      expect(rows.map((row) => [row.agencyCode, row.version]).sort()).toEqual([
        ["labor", 1],
        ["police", 1],
      ]);
      const notices = (await statementNotices()).filter((notice) => (notice.payload as { businessDate: string }).businessDate === BOTH);
      expect(notices).toHaveLength(2);
    });
  },
  async (handle) => {
    await seedDemoDataIfEmpty(handle.db, {
      piiHmacKey: "statements-test-pii-key-statements-test",
      today: new Date().toISOString().slice(0, 10),
    });
  },
);
