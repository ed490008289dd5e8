import { randomUUID } from "node:crypto";
import type { ProviderOutcome } from "~/domain/payment-order";
import type { Env } from "~/base/env.server";
import {
  ProviderUnreachable,
  callProvider,
  type OrderForProvider,
  type PaymentProviderAdapter,
  type ProviderAnswer,
} from "./adapter.server";
import { LINE_PAY_CHECK, linePaySignature, parseLinePayJson } from "./line-pay-protocol.server";

/**
 * LINE Pay Online API v3. The payer approves at LINE Pay; nothing is charged
 * until the portal confirms, which it does only when LINE Pay's own check
 * says the payer authorized the payment. No server notices: LINE Pay sends
 * the payer back to the confirm or cancel address, and is asked.
 */

export type LinePayConfig = NonNullable<Env["linePay"]>;

interface LinePayAnswer<T = unknown> {
  returnCode: string;
  returnMessage: string;
  info?: T;
}

interface LinePayPaid {
  transactionId: string;
  /** What was paid, by method (balance, card, points…): their sum is what LINE Pay took. */
  payInfo?: Array<{ method: string; amount: number }>;
}

/** LINE Pay's check codes, in the portal's words; "authorized" is confirmed, then read as paid. */
const CHECK_OUTCOMES: Record<string, Exclude<ProviderOutcome, "awaiting_payment"> | "authorized"> = {
  [LINE_PAY_CHECK.waiting]: "waiting",
  [LINE_PAY_CHECK.authorized]: "authorized",
  [LINE_PAY_CHECK.cancelledOrExpired]: "cancelled",
  [LINE_PAY_CHECK.failed]: "declined",
  [LINE_PAY_CHECK.completed]: "paid",
};

/** Where the payer approves, for the API host: LINE Pay's own, or the one configured (a sandbox of ours). */
const WEB_ORIGINS: Record<string, string> = {
  "api-pay.line.me": "https://web-pay.line.me",
  "sandbox-api-pay.line.me": "https://sandbox-web-pay.line.me",
};

/** The amount LINE Pay reports taken, or NaN when it reports none (which no order's total equals). */
function amountPaid(info: LinePayPaid | undefined): number {
  const parts = info?.payInfo ?? [];
  return parts.length > 0 && parts.every((part) => Number.isInteger(part.amount))
    ? parts.reduce((sum, part) => sum + part.amount, 0)
    : Number.NaN;
}

export function linePayAdapter(config: LinePayConfig, timeoutMs: number): PaymentProviderAdapter {
  /** One signed call (v3: HMAC over the path and the body, or the query string for a GET). */
  function signedCall(method: "GET" | "POST", origin: string, path: string, body?: unknown, query?: URLSearchParams): Promise<string> {
    const nonce = randomUUID();
    const payload = method === "POST" ? JSON.stringify(body ?? {}) : (query?.toString() ?? "");
    return callProvider("line_pay", timeoutMs, `${origin}${path}${query ? `?${query}` : ""}`, {
      method,
      headers: {
        "Content-Type": "application/json",
        "X-LINE-ChannelId": config.channelId,
        "X-LINE-Authorization-Nonce": nonce,
        "X-LINE-Authorization": linePaySignature(config.channelSecret, path, payload, nonce),
      },
      body: method === "POST" ? payload : undefined,
    });
  }

  async function linePay<T>(method: "GET" | "POST", path: string, body?: unknown, query?: URLSearchParams): Promise<LinePayAnswer<T>> {
    return parseLinePayJson<LinePayAnswer<T>>(await signedCall(method, config.apiUrl, path, body, query));
  }

  /** A completed payment's own figures, from the payment details call. */
  async function completed(order: OrderForProvider, transactionId: string): Promise<ProviderAnswer> {
    const details = await linePay<LinePayPaid[]>(
      "GET",
      "/v3/payments",
      undefined,
      new URLSearchParams({ transactionId, orderId: order.reference }),
    );
    const info = details.info?.find((entry) => entry.transactionId === transactionId);
    return { outcome: "paid", transactionId, amount: amountPaid(info), paidAt: new Date(), payload: details };
  }

  /** Captures a payment the payer authorized. Only ever called when the check call says "authorized". */
  async function confirm(order: OrderForProvider, transactionId: string): Promise<ProviderAnswer> {
    const answer = await linePay<LinePayPaid>("POST", `/v3/payments/${transactionId}/confirm`, {
      amount: order.totalAmount,
      currency: "TWD",
    });
    if (answer.returnCode === "0000")
      return { outcome: "paid", transactionId, amount: amountPaid(answer.info), paidAt: new Date(), payload: answer };
    // 1172: already confirmed; read what was paid.
    if (answer.returnCode === "1172") return completed(order, transactionId);
    return { outcome: "declined", payload: answer };
  }

  const apiHost = new URL(config.apiUrl).host;
  return {
    provider: "line_pay",
    slug: "line-pay",
    tools: ["line_pay"],
    chargesByItself: false,
    payerOrigins: [config.webOrigin ?? WEB_ORIGINS[apiHost] ?? new URL(config.apiUrl).origin],

    async start(order, callbacks, payer) {
      const answer = await linePay<{ transactionId: string; paymentUrl: { web: string } }>("POST", "/v3/payments/request", {
        amount: order.totalAmount,
        currency: "TWD",
        orderId: order.reference,
        packages: [
          {
            id: order.reference,
            amount: order.totalAmount,
            products: order.items.map((item) => ({ name: item.name, quantity: 1, price: item.amount })),
          },
        ],
        redirectUrls: { confirmUrl: callbacks.returnUrl, cancelUrl: callbacks.cancelUrl },
        options: { display: { locale: payer.locale === "en" ? "en" : "zh_TW" } },
      });
      if (answer.returnCode !== "0000" || !answer.info)
        return { kind: "refused", reason: `${answer.returnCode} ${answer.returnMessage}`, payload: answer };
      return { kind: "redirect", url: answer.info.paymentUrl.web, transactionId: answer.info.transactionId, payload: answer };
    },

    // confirmUrl?transactionId=…&orderId=…: anyone can open it (a link preview, a prefetch), so LINE Pay is asked.
    readPayerReturn({ query }) {
      if (!query.orderId) return { kind: "rejected", reference: null, reason: "no orderId" };
      return { kind: "ask", reference: query.orderId, transactionId: query.transactionId || null };
    },

    async query(order) {
      let transactionId = order.providerTransactionId;
      if (!transactionId) {
        // The request may have reached LINE Pay without us learning its id: look it up by our order id.
        const found = await linePay<Array<{ transactionId: string }>>(
          "GET",
          "/v3/payments",
          undefined,
          new URLSearchParams({ orderId: order.reference }),
        );
        transactionId = found.info?.[0]?.transactionId ?? null;
        if (!transactionId) return { outcome: "unknown_order", payload: found };
      }
      const check = await linePay("GET", `/v3/payments/requests/${transactionId}/check`);
      const outcome = CHECK_OUTCOMES[check.returnCode] ?? "unknown_order";
      if (outcome === "authorized") return confirm(order, transactionId);
      if (outcome === "paid") return completed(order, transactionId);
      return { outcome, payload: check };
    },

    async refund(order, amount) {
      const answer = await linePay<{ refundTransactionId: string }>("POST", `/v3/payments/${order.providerTransactionId}/refund`, {
        refundAmount: amount,
      });
      return { ok: answer.returnCode === "0000", refundId: answer.info?.refundTransactionId ?? null, payload: answer };
    },

    // The payment details call lists every refund (refundList, amounts negative).
    async refundsOf(order) {
      const found = await linePay<
        Array<{ transactionId: string; refundList?: Array<{ refundTransactionId: string; refundAmount: number }> }>
      >("GET", "/v3/payments", undefined, new URLSearchParams({ transactionId: order.providerTransactionId ?? "" }));
      if (found.returnCode !== "0000") throw new ProviderUnreachable("line_pay", `details answered ${found.returnCode}`);
      const payment = found.info?.find((t) => t.transactionId === order.providerTransactionId);
      return {
        refunds: (payment?.refundList ?? []).map((r) => ({ id: r.refundTransactionId, amount: Math.abs(r.refundAmount) })),
        payload: found,
      };
    },

    // LINE Pay's merchant center offers the report as a download only: fetched where a service of the
    // city's serves it with the channel's own authentication (settlementUrl), uploaded by staff otherwise.
    async settlementFile(businessDate) {
      if (!config.settlementUrl) return { kind: "unavailable", reason: "no LINE_PAY_SETTLEMENT_URL: upload the merchant center's report" };
      const url = new URL(config.settlementUrl);
      const text = await signedCall("GET", url.origin, url.pathname, undefined, new URLSearchParams({ date: businessDate }));
      // A refusal comes as LINE Pay's JSON answer, never as a report.
      if (text.trimStart().startsWith("{")) {
        const answer = parseLinePayJson<Partial<LinePayAnswer>>(text);
        return { kind: "unavailable", reason: `${answer.returnCode ?? "?"} ${answer.returnMessage ?? text.slice(0, 200)}` };
      }
      return { kind: "file", fileName: `line-pay-settlement-${config.channelId}-${businessDate}.csv`, content: text };
    },
  };
}
