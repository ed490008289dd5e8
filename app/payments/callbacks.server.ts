import express from "express";
import type { Logger } from "pino";
import { isStorableText } from "~/domain/text";
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
  // Providers send plain ASCII. NUL or a broken character is no answer of theirs and would
  // only fail in PostgreSQL: null, refused as a bad request. Cut values are made whole again.
  const text = (value: unknown, max = 100): string | null =>
    typeof value !== "string" ? "" : isStorableText(value) ? value.slice(0, max).toWellFormed() : null;
  // urlencoded bodies come with a null prototype, which drizzle cannot store as JSON: copy to a plain object.
  const fields = (body: unknown): Record<string, string> | null => {
    const entries = Object.entries((body ?? {}) as Record<string, unknown>).map(([name, value]) => [text(name, name.length), text(value, 2000)] as const);
    return entries.every(([name, value]) => name !== null && value !== null) ? Object.fromEntries(entries) : null;
  };
  const badRequest = (res: express.Response, body = "要求的格式不正確。Bad request.\n") => void res.status(400).type("text/plain; charset=utf-8").send(body);

  router.get("/line-pay/confirm", async (req, res, next) => {
    try {
      const [transactionId, orderId] = [text(req.query.transactionId), text(req.query.orderId)];
      if (transactionId === null || orderId === null) return badRequest(res);
      const ctx = context(req.log);
      const order = await handleLinePayReturn(ctx, { transactionId, orderId });
      if (!order) return void res.status(404).type("text/plain; charset=utf-8").send("找不到這筆付款。Payment not found.\n");
      res.redirect(303, resultPage(order.reference));
    } catch (error) {
      next(error);
    }
  });

  router.get("/line-pay/cancel", async (req, res, next) => {
    try {
      const orderId = text(req.query.orderId);
      if (orderId === null) return badRequest(res);
      const ctx = context(req.log);
      const order = await findOrderByReference(ctx.db, orderId);
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
      const params = fields(req.body);
      if (!params) return badRequest(res, "0|bad request");
      const result = await handleEcpayCallback(context(req.log), params, "provider_notification");
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
      const params = fields(req.body);
      if (!params) return badRequest(res);
      const result = await handleEcpayCallback(context(req.log), params, "provider_return");
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
