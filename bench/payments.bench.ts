import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { and, eq, inArray, sql } from "drizzle-orm";
import { it } from "vitest";
import { withCheckMacValue } from "~/payments/providers/ecpay-protocol.server";
import { startPayment } from "~/payments/orders/answers.server";
import { createPaymentOrder } from "~/payments/orders/create.server";
import type { PaymentOrder } from "~/payments/orders/order.server";
import { captchaAnswer, issueCaptcha } from "~/lookup/captcha.server";
import { findBillType } from "~/bills/catalogue.server";
import { seedDemoDataIfEmpty } from "~/demo/data/seed.server";
import { schema } from "~/base/db.server";
import { SANDBOX_CREDENTIALS } from "~/demo/keys";
import { lookUpBill } from "~/lookup/lookup.server";
import { TEST_DATABASES } from "../tests/support/databases";
import { startPaymentWorld } from "../tests/support/payments";
import { measure as measureAt, type Measured } from "./measure";

/**
 * Payments, measured in one process against one database: look-ups (the
 * reference), orders created (with LINE Pay's request over HTTP to the
 * sandbox), and ECPay notifications handled over HTTP (first ones, which pay
 * the order, and repeats, which are recorded and ignored). Ten at a time.
 * Figures go to bench/results/payments.json, as ratios to look-ups per second.
 */
const CONCURRENCY = 10;
const COUNT = Number(process.env.BENCH_PAYMENT_COUNT ?? 300);
const measure = (total: number, work: (i: number) => Promise<void>) => measureAt(total, CONCURRENCY, work);

// PGlite always; PostgreSQL too when TEST_DATABASE_URL is set (a fresh database, dropped afterwards).
for (const kind of TEST_DATABASES)
  it(`payments throughput on ${kind.name}`, async () => {
    const created = await kind.create();
    const handle = created.handle;
    await seedDemoDataIfEmpty(handle.db, { piiHmacKey: "bench-pii-key-bench-pii-key-bench-pii", billsPerType: 1200 });
    const world = await startPaymentWorld(handle.db, {
      PROVIDER_TIMEOUT_MS: "10000",
      RATE_LIMIT_LOOKUPS_PER_ADDRESS: "100000000/600",
      RATE_LIMIT_LOOKUP_FAILURES_PER_ADDRESS: "100000000/600",
      RATE_LIMIT_LOOKUP_FAILURES_PER_NUMBER: "100000000/600",
    });
    world.ctx.logger.level = "warn";
    try {
      const unpaid = await handle.db
        .select({
          id: schema.bills.id,
          writeOffNumber: schema.bills.writeOffNumber,
          billTypeCode: schema.bills.billTypeCode,
          tools: schema.billTypes.paymentTools,
        })
        .from(schema.bills)
        .innerJoin(schema.billTypes, eq(schema.bills.billTypeCode, schema.billTypes.code))
        .where(eq(schema.bills.status, "unpaid"));
      const cardBills = unpaid.filter((bill) => bill.tools.includes("credit_card"));
      const walletBills = unpaid.filter((bill) => !bill.tools.includes("credit_card"));
      if (cardBills.length < COUNT * 2 || walletBills.length < COUNT) throw new Error("not enough unpaid demo bills for the benchmark");

      // 1. Look-ups with a solved captcha (the reference of the ratios).
      const billTypes = new Map(
        await Promise.all(
          [...new Set(unpaid.map((b) => b.billTypeCode))].map(
            async (code) => [code, (await findBillType(handle.db, code))!.billType] as const,
          ),
        ),
      );
      const lookups = await measure(COUNT, async (i) => {
        const bill = unpaid[i]!;
        const sessionId = `bench-${i}`;
        const { token } = issueCaptcha(world.ctx.env.CAPTCHA_SECRET, sessionId);
        const outcome = await lookUpBill(
          handle.db,
          { env: world.ctx.env, clientAddress: `10.0.${i >> 8}.${i & 255}`, sessionId, logger: world.ctx.logger },
          {
            billType: billTypes.get(bill.billTypeCode)!,
            writeOffNumber: bill.writeOffNumber,
            captchaToken: token,
            captchaAnswer: captchaAnswer(world.ctx.env.CAPTCHA_SECRET, token.split(".")[1]!),
          },
        );
        if (outcome.kind !== "found") throw new Error(`look-up ${outcome.kind}`);
      });

      // 2. Orders created and started at LINE Pay (request over HTTP to the sandbox).
      let key = 0;
      const newKey = () => `00000000-0000-4000-9000-${String(++key).padStart(12, "0")}`;
      const orders = await measure(COUNT, async (i) => {
        const created = await createPaymentOrder(world.ctx, { billIds: [walletBills[i]!.id], tool: "line_pay", idempotencyKey: newKey() });
        if (created.kind !== "created") throw new Error(created.kind);
        const started = await startPayment(world.ctx, created.order);
        if (started.kind !== "redirect") throw new Error(started.kind);
      });

      // 3. ECPay notifications: orders are started beforehand (not measured).
      const pending: PaymentOrder[] = [];
      for (let i = 0; i < COUNT; i++) {
        const created = await createPaymentOrder(world.ctx, { billIds: [cardBills[i]!.id], tool: "credit_card", idempotencyKey: newKey() });
        if (created.kind !== "created") throw new Error(created.kind);
        await startPayment(world.ctx, created.order);
        pending.push(created.order);
      }
      const notificationOf = (order: PaymentOrder) =>
        new URLSearchParams(
          withCheckMacValue(
            {
              MerchantID: SANDBOX_CREDENTIALS.ecpayMerchantId,
              MerchantTradeNo: order.reference,
              RtnCode: "1",
              RtnMsg: "交易成功",
              TradeNo: `B${order.reference.slice(-12)}`,
              TradeAmt: String(order.totalAmount),
              PaymentDate: "2026/11/21 12:00:00",
              PaymentType: "Credit_CreditCard",
            },
            SANDBOX_CREDENTIALS.ecpayHashKey,
            SANDBOX_CREDENTIALS.ecpayHashIv,
          ),
        ).toString();
      const notify = async (order: PaymentOrder) => {
        const response = await fetch(`${world.portalUrl}/payments/callbacks/ecpay/notify`, {
          method: "POST",
          body: notificationOf(order),
          headers: { "content-type": "application/x-www-form-urlencoded" },
        });
        if ((await response.text()) !== "1|OK") throw new Error("notification not accepted");
      };
      const firstNotifications = await measure(COUNT, (i) => notify(pending[i]!));
      const repeatedNotifications = await measure(COUNT, (i) => notify(pending[i]!));
      const [paid] = await handle.db
        .select({ n: sql<number>`count(*)::int` })
        .from(schema.paymentOrders)
        .where(
          and(
            eq(schema.paymentOrders.state, "paid"),
            inArray(
              schema.paymentOrders.id,
              pending.map((order) => order.id),
            ),
          ),
        );
      if (paid!.n !== COUNT) throw new Error(`expected ${COUNT} paid orders, found ${paid!.n}`);

      const ratio = (m: Measured) => Math.round((m.perSecond / lookups.perSecond) * 1000) / 1000;
      const result = {
        date: new Date().toISOString(),
        database: handle.kind,
        concurrency: CONCURRENCY,
        lookups,
        ordersCreated: { ...orders, vsLookups: ratio(orders) },
        notificationsFirst: { ...firstNotifications, vsLookups: ratio(firstNotifications) },
        notificationsRepeated: { ...repeatedNotifications, vsLookups: ratio(repeatedNotifications) },
      };
      await mkdir(path.resolve("bench/results"), { recursive: true });
      await writeFile(path.resolve(`bench/results/payments-${handle.kind}.json`), JSON.stringify(result, null, 2));
      for (const [name, m] of [
        ["look-ups (reference)", lookups],
        ["orders created", orders],
        ["notifications, first", firstNotifications],
        ["notifications, repeated", repeatedNotifications],
      ] as const) {
        console.log(
          `PAYBENCH ${handle.kind} ${name}: ${m.perSecond}/s, p50 ${m.latencyMs.p50} ms, p99 ${m.latencyMs.p99} ms, ×${ratio(m)} of look-ups`,
        );
      }
    } finally {
      await world.close();
      await created.dispose();
    }
  });
