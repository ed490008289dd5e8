import express from "express";
import type { Logger } from "pino";
import type { PaymentContext } from "./orders.server";
import { findOrderByReference, handleEcpayCallback, handleLinePayReturn, refreshFromProvider } from "./orders.server";

/**
 * Where providers come back to: the payer's browser (LINE Pay's confirm and
 * cancel URLs, ECPay's OrderResultURL) and ECPay's server notification. These
 * are mounted before the portal's cross-site form check: ECPay posts from its
 * own site. Each checks the provider's signature or asks the provider itself.
 */
export function paymentCallbacks(context: (logger: Logger) => PaymentContext): express.Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: "20kb" });
  const resultPage = (reference: string) => `/payments/${encodeURIComponent(reference)}`;
  const text = (value: unknown) => (typeof value === "string" ? value.slice(0, 100) : "");
  // urlencoded bodies come with a null prototype, which drizzle cannot store as JSON: copy to a plain object.
  const fields = (body: unknown): Record<string, string> =>
    Object.fromEntries(Object.entries((body ?? {}) as Record<string, unknown>).map(([name, value]) => [name, typeof value === "string" ? value.slice(0, 2000) : ""]));

  router.get("/line-pay/confirm", async (req, res, next) => {
    try {
      const ctx = context(req.log);
      const order = await handleLinePayReturn(ctx, { transactionId: text(req.query.transactionId), orderId: text(req.query.orderId) });
      if (!order) return void res.status(404).type("text/plain; charset=utf-8").send("找不到這筆付款。Payment not found.\n");
      res.redirect(303, resultPage(order.reference));
    } catch (error) {
      next(error);
    }
  });

  router.get("/line-pay/cancel", async (req, res, next) => {
    try {
      const ctx = context(req.log);
      const order = await findOrderByReference(ctx.db, text(req.query.orderId));
      if (!order || order.provider !== "line_pay") return void res.status(404).type("text/plain; charset=utf-8").send("找不到這筆付款。Payment not found.\n");
      // Anyone can open this address: ask LINE Pay how the payment stands rather than believe it.
      const updated = await refreshFromProvider(ctx, order, "payer");
      res.redirect(303, resultPage(updated.reference));
    } catch (error) {
      next(error);
    }
  });

  router.post("/ecpay/notify", form, async (req, res, next) => {
    try {
      const result = await handleEcpayCallback(context(req.log), fields(req.body), "provider_notification");
      // ECPay retries until it reads "1|OK".
      res.type("text/plain").send(
        result.outcome === "accepted" ? "1|OK" : result.outcome === "rejected_signature" ? "0|CheckMacValue error" : `0|${result.outcome}`,
      );
    } catch (error) {
      next(error);
    }
  });

  router.post("/ecpay/result", form, async (req, res, next) => {
    try {
      const result = await handleEcpayCallback(context(req.log), fields(req.body), "provider_return");
      if (!result.order || result.outcome === "rejected_signature") {
        return void res.status(400).type("text/plain; charset=utf-8").send("無法確認這筆付款結果。We could not confirm this payment result.\n");
      }
      res.redirect(303, resultPage(result.order.reference));
    } catch (error) {
      next(error);
    }
  });

  return router;
}
