import express, { type Request } from "express";
import type { Logger } from "pino";
import { isStorableText } from "~/domain/text";
import type { CallbackRequest, PaymentProviderAdapter } from "./providers/adapter.server";
import { handlePayerReturn, handleProviderNotice, refreshFromProvider } from "./orders/answers.server";
import { findOrderByReference, type PaymentContext } from "./orders/order.server";
import { asyncRoute } from "~/base/async-route.server";

/**
 * Where providers come back to, the same addresses for every provider
 * (`/payments/callbacks/<slug>/return`, `/cancel`, `/notify`, `/payment-info`):
 * the payer's browser after deciding or giving up, and the provider's
 * server-to-server notices. Each adapter reads its own protocol; these routes know no provider
 * by name. They are mounted before the portal's cross-site form check
 * (providers post from their own sites): each checks the provider's
 * signature, or asks the provider itself.
 */
export function paymentCallbacks(context: (logger: Logger) => PaymentContext): express.Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: "20kb" });
  const resultPage = (reference: string, query = "") => `/payments/${encodeURIComponent(reference)}${query}`;
  const notFound = (res: express.Response) =>
    res.status(404).type("text/plain; charset=utf-8").send("找不到這筆付款。Payment not found.\n");
  const badRequest = (res: express.Response, body = "要求的格式不正確。Bad request.\n") =>
    void res.status(400).type("text/plain; charset=utf-8").send(body);
  // Providers send plain ASCII. NUL or a broken character is no answer of theirs and would
  // only fail in PostgreSQL: null, refused as a bad request. Cut values are made whole again.
  const text = (value: unknown, max: number): string | null =>
    typeof value !== "string" ? "" : isStorableText(value) ? value.slice(0, max).toWellFormed() : null;
  // urlencoded bodies come with a null prototype, which drizzle cannot store as JSON: copy to a plain object.
  const fields = (source: unknown, max: number): Record<string, string> | null => {
    const entries = Object.entries((source ?? {}) as Record<string, unknown>).map(
      ([name, value]) => [text(name, name.length), text(value, max)] as const,
    );
    return entries.every(([name, value]) => name !== null && value !== null) ? Object.fromEntries(entries) : null;
  };
  const read = (req: Request): CallbackRequest | null => {
    const query = fields(req.query, 100);
    const form = fields(req.body, 2000);
    return query && form ? { query, form } : null;
  };

  router.param("slug", (req, res, next, slug: string) => {
    const adapter = context(req.log).providers.bySlug(slug);
    if (!adapter) return void notFound(res);
    res.locals.adapter = adapter;
    next();
  });
  const adapterOf = (res: express.Response) => res.locals.adapter as PaymentProviderAdapter;

  // Some providers send the payer back by GET, others post a signed result.
  router.all(
    "/:slug/return",
    form,
    asyncRoute(async (req, res) => {
      if (req.method !== "GET" && req.method !== "POST") return void res.status(405).set("Allow", "GET, POST").end();
      const adapter = adapterOf(res);
      const request = read(req);
      if (!request) return badRequest(res);
      const order = await handlePayerReturn(context(req.log), adapter, adapter.readPayerReturn(request));
      if (!order) {
        return void res
          .status(400)
          .type("text/plain; charset=utf-8")
          .send("無法確認這筆付款結果。We could not confirm this payment result.\n");
      }
      res.redirect(303, resultPage(order.reference));
    }),
  );

  // Anyone can open this address: the provider is asked how the payment stands, and the result
  // page, in the payer's own browser, gives the payment up if it is still unpaid.
  router.get(
    "/:slug/cancel",
    asyncRoute(async (req, res) => {
      const reference = read(req)?.query.order;
      if (reference === undefined) return badRequest(res);
      const ctx = context(req.log);
      const order = await findOrderByReference(ctx.db, reference);
      if (!order || order.provider !== adapterOf(res).provider) return void notFound(res);
      const updated = await refreshFromProvider(ctx, order, "payer");
      res.redirect(303, resultPage(updated.reference, "?back=1"));
    }),
  );

  // The provider's server-to-server notices: a payment's result (`notify`), and for tools paid later the
  // instructions it issued (`payment-info`, ECPay's PaymentInfoURL). Both are signed and read the same way.
  router.post(
    ["/:slug/notify", "/:slug/payment-info"],
    form,
    asyncRoute(async (req, res) => {
      const adapter = adapterOf(res);
      if (!adapter.notices) return void notFound(res);
      const request = read(req);
      const outcome = request ? await handleProviderNotice(context(req.log), adapter, adapter.notices.read(request)) : "bad_request";
      const reply = adapter.notices.reply(outcome);
      res.status(reply.status).type("text/plain").send(reply.body);
    }),
  );

  return router;
}
