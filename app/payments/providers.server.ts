import { randomUUID } from "node:crypto";
import type { PaymentProvider } from "~/domain/payment-order";
import type { PaymentTool } from "~/domain/payment-tools";
import type { Env } from "~/server/env.server";
import { ecpayDate, parseEcpayDate, parseFormBody, verifyCheckMacValue, withCheckMacValue, type EcpayParams } from "./ecpay-protocol.server";
import { LINE_PAY_CHECK, linePaySignature, parseLinePayJson } from "./line-pay-protocol.server";

/**
 * One interface, one adapter per provider protocol. Adapters speak the
 * published protocols (LINE Pay Online API v3, ECPay AIO); which endpoints and
 * credentials they use is configuration. They never decide an order's state:
 * they report what the provider said, and the payment service decides.
 */

export interface OrderForProvider {
  reference: string;
  totalAmount: number;
  createdAt: Date;
  providerTransactionId: string | null;
  /** Line items as the payer sees them at the provider. */
  items: Array<{ name: string; amount: number }>;
}

export interface ProviderCallbacks {
  /** Where the payer comes back to (LINE Pay confirmUrl, ECPay OrderResultURL). */
  returnUrl: string;
  /** LINE Pay cancelUrl; ECPay ClientBackURL. */
  cancelUrl: string;
  /** ECPay's server-to-server notification (ReturnURL). */
  notifyUrl: string;
}

export type StartOutcome =
  | { kind: "redirect"; url: string; transactionId: string; payload: unknown }
  | { kind: "form"; action: string; fields: Record<string, string>; payload: unknown }
  | { kind: "refused"; reason: string; payload: unknown };

/**
 * What a provider says about an order. `amount` is the provider's own figure
 * (never the order's), so that a difference can be caught. `simulated` is a
 * test or simulation notice (ECPay's SimulatePaid=1): never money.
 */
export type ProviderAnswer =
  | { status: "paid"; transactionId: string; amount: number; paidAt: Date; payload: unknown }
  | { status: "waiting"; payload: unknown }
  | { status: "simulated"; payload: unknown }
  | { status: "failed" | "cancelled" | "expired" | "not_found"; payload: unknown };

/** The provider did not answer (timeout, network, 5xx): the outcome is unknown. */
export class ProviderUnreachable extends Error {
  constructor(
    readonly provider: PaymentProvider,
    message: string,
  ) {
    super(`${provider}: ${message}`);
    this.name = "ProviderUnreachable";
  }
}

export interface PaymentProviderAdapter {
  readonly provider: PaymentProvider;
  /**
   * Whether the provider takes the payer's money by itself once the payer
   * agrees (ECPay's card payment), or only when the portal confirms it
   * (LINE Pay). Bills of a payment waiting at a provider that charges by
   * itself must stay held for the whole payment window.
   */
  readonly chargesByItself: boolean;
  start(order: OrderForProvider, callbacks: ProviderCallbacks): Promise<StartOutcome>;
  /** The provider's status of an order; completes a LINE Pay payment the payer has authorized. */
  query(order: OrderForProvider): Promise<ProviderAnswer>;
  refund(order: OrderForProvider, amount: number): Promise<{ ok: boolean; payload: unknown }>;
}

async function call(provider: PaymentProvider, timeoutMs: number, url: string, init: RequestInit): Promise<string> {
  let response: globalThis.Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new ProviderUnreachable(provider, (error as Error).name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : String(error));
  }
  const text = await response.text();
  if (response.status >= 500) throw new ProviderUnreachable(provider, `HTTP ${response.status}`);
  return text;
}

// ---- LINE Pay Online API v3 -----------------------------------------------------

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

/** The amount LINE Pay reports taken, or NaN when it reports none (which no order's total equals). */
function linePayAmount(info: LinePayPaid | undefined): number {
  const parts = info?.payInfo ?? [];
  return parts.length > 0 && parts.every((part) => Number.isInteger(part.amount)) ? parts.reduce((sum, part) => sum + part.amount, 0) : Number.NaN;
}

function linePayAdapter(config: NonNullable<Env["linePay"]>, timeoutMs: number): PaymentProviderAdapter {
  async function linePay<T>(method: "GET" | "POST", path: string, body?: unknown, query?: URLSearchParams): Promise<LinePayAnswer<T>> {
    const nonce = randomUUID();
    const payload = method === "POST" ? JSON.stringify(body ?? {}) : (query?.toString() ?? "");
    const text = await call("line_pay", timeoutMs, `${config.apiUrl}${path}${query ? `?${query}` : ""}`, {
      method,
      headers: {
        "Content-Type": "application/json",
        "X-LINE-ChannelId": config.channelId,
        "X-LINE-Authorization-Nonce": nonce,
        "X-LINE-Authorization": linePaySignature(config.channelSecret, path, payload, nonce),
      },
      body: method === "POST" ? payload : undefined,
    });
    return parseLinePayJson<LinePayAnswer<T>>(text);
  }

  /** After the payer authorized the payment at LINE Pay: capture it. Only ever called when the check call says "authorized". */
  async function confirm(order: OrderForProvider, transactionId: string): Promise<ProviderAnswer> {
    const answer = await linePay<LinePayPaid>("POST", `/v3/payments/${transactionId}/confirm`, {
      amount: order.totalAmount,
      currency: "TWD",
    });
    if (answer.returnCode === "0000") {
      return { status: "paid", transactionId, amount: linePayAmount(answer.info), paidAt: new Date(), payload: answer };
    }
    // "Already confirmed" is not a failure: read what was paid.
    if (answer.returnCode === "1172") return completed(order, transactionId);
    return { status: "failed", payload: answer };
  }

  /** A completed payment's own figures, from the payment details call. */
  async function completed(order: OrderForProvider, transactionId: string): Promise<ProviderAnswer> {
    const details = await linePay<LinePayPaid[]>("GET", "/v3/payments", undefined, new URLSearchParams({ transactionId, orderId: order.reference }));
    const info = details.info?.find((entry) => entry.transactionId === transactionId);
    return { status: "paid", transactionId, amount: linePayAmount(info), paidAt: new Date(), payload: details };
  }

  const adapter: PaymentProviderAdapter = {
    provider: "line_pay" as const,
    chargesByItself: false,

    async start(order: OrderForProvider, callbacks: ProviderCallbacks): Promise<StartOutcome> {
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
      });
      if (answer.returnCode !== "0000" || !answer.info) return { kind: "refused", reason: `${answer.returnCode} ${answer.returnMessage}`, payload: answer };
      return { kind: "redirect", url: answer.info.paymentUrl.web, transactionId: answer.info.transactionId, payload: answer };
    },

    /**
     * Asks LINE Pay how the payment stands, and captures it only when LINE Pay
     * says the payer authorized it: a visit to the confirm URL proves nothing
     * (a link preview or another browser can open it first).
     */
    async query(order: OrderForProvider): Promise<ProviderAnswer> {
      let transactionId = order.providerTransactionId;
      if (!transactionId) {
        // The request may have reached LINE Pay without us learning its id: look it up by our order id.
        const found = await linePay<Array<{ transactionId: string }>>("GET", "/v3/payments", undefined, new URLSearchParams({ orderId: order.reference }));
        transactionId = found.info?.[0]?.transactionId ?? null;
        if (!transactionId) return { status: "not_found", payload: found };
      }
      const check = await linePay("GET", `/v3/payments/requests/${transactionId}/check`);
      switch (check.returnCode) {
        case LINE_PAY_CHECK.completed:
          return completed(order, transactionId);
        case LINE_PAY_CHECK.authorized:
          return confirm(order, transactionId);
        case LINE_PAY_CHECK.waiting:
          return { status: "waiting", payload: check };
        case LINE_PAY_CHECK.cancelledOrExpired:
          return { status: "cancelled", payload: check };
        case LINE_PAY_CHECK.failed:
          return { status: "failed", payload: check };
        default:
          return { status: "not_found", payload: check };
      }
    },

    async refund(order: OrderForProvider, amount: number) {
      const answer = await linePay("POST", `/v3/payments/${order.providerTransactionId}/refund`, { refundAmount: amount });
      return { ok: answer.returnCode === "0000", payload: answer };
    },
  };
  return adapter;
}

// ---- ECPay AIO ------------------------------------------------------------------

function ecpayAdapter(config: NonNullable<Env["ecpay"]>, timeoutMs: number): PaymentProviderAdapter & {
  /** Reads a signed notification or result post; null when its CheckMacValue is not ECPay's. */
  verifyCallback(params: EcpayParams): { merchantTradeNo: string; answer: ProviderAnswer } | null;
} {
  const sign = (params: EcpayParams) => withCheckMacValue(params, config.hashKey, config.hashIv);

  // "1" paid, "0" not yet, "10200047" no such trade (the query's TradeStatus; callbacks map RtnCode onto it).
  function answerOf(params: EcpayParams, paidStatus: string): ProviderAnswer {
    if (paidStatus === "1") {
      return {
        status: "paid",
        transactionId: params.TradeNo ?? "",
        amount: Number(params.TradeAmt),
        paidAt: parseEcpayDate(params.PaymentDate ?? "") ?? new Date(),
        payload: params,
      };
    }
    if (paidStatus === "0") return { status: "waiting", payload: params };
    if (paidStatus === "10200047") return { status: "not_found", payload: params };
    return { status: "failed", payload: params };
  }

  return {
    provider: "ecpay",
    chargesByItself: true,

    async start(order, callbacks) {
      const fields = sign({
        MerchantID: config.merchantId,
        MerchantTradeNo: order.reference,
        MerchantTradeDate: ecpayDate(order.createdAt),
        PaymentType: "aio",
        TotalAmount: String(order.totalAmount),
        TradeDesc: "市政規費與帳單繳費",
        // ECPay separates items with "#"; a "#" inside a name would split it.
        ItemName: order.items.map((item) => `${item.name.replaceAll("#", " ")} ${item.amount}元`).join("#").slice(0, 400),
        ReturnURL: callbacks.notifyUrl,
        OrderResultURL: callbacks.returnUrl,
        ClientBackURL: callbacks.cancelUrl,
        ChoosePayment: "Credit",
        EncryptType: "1",
        NeedExtraPaidInfo: "N",
      });
      return { kind: "form", action: config.checkoutUrl, fields, payload: { ...fields } };
    },

    async query(order) {
      const text = await call("ecpay", timeoutMs, `${config.apiUrl}/Cashier/QueryTradeInfo/V5`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(
          sign({ MerchantID: config.merchantId, MerchantTradeNo: order.reference, TimeStamp: String(Math.floor(Date.now() / 1000)) }),
        ),
      });
      const params = parseFormBody(text);
      // An answer that is not signed by ECPay tells us nothing.
      if (!verifyCheckMacValue(params, config.hashKey, config.hashIv)) throw new ProviderUnreachable("ecpay", "query answer without a valid CheckMacValue");
      return answerOf(params, params.TradeStatus ?? "");
    },

    async refund(order, amount) {
      const text = await call("ecpay", timeoutMs, `${config.apiUrl}/CreditDetail/DoAction`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(
          sign({ MerchantID: config.merchantId, MerchantTradeNo: order.reference, TradeNo: order.providerTransactionId ?? "", Action: "R", TotalAmount: String(amount) }),
        ),
      });
      const params = parseFormBody(text);
      return { ok: params.RtnCode === "1", payload: params };
    },

    verifyCallback(params) {
      if (params.MerchantID !== config.merchantId || !verifyCheckMacValue(params, config.hashKey, config.hashIv)) return null;
      // The merchant back office's "simulate payment" button: correctly signed, and no money at all.
      if (params.SimulatePaid === "1") return { merchantTradeNo: params.MerchantTradeNo ?? "", answer: { status: "simulated", payload: params } };
      return { merchantTradeNo: params.MerchantTradeNo ?? "", answer: answerOf(params, params.RtnCode === "1" ? "1" : "failed") };
    },
  };
}

// ---- Payment tools ------------------------------------------------------------------

export type ToolRoute = { status: "live"; provider: PaymentProvider } | { status: "coming" };

/**
 * Which adapter carries each payment tool. LINE Pay goes to LINE Pay, credit
 * cards to ECPay; the other e-wallets have no adapter yet and are listed as
 * coming, never faked through another provider.
 */
export function toolRoutes(env: Pick<Env, "linePay" | "ecpay">): Record<PaymentTool, ToolRoute> {
  const live = (provider: PaymentProvider, configured: unknown): ToolRoute => (configured ? { status: "live", provider } : { status: "coming" });
  return {
    line_pay: live("line_pay", env.linePay),
    credit_card: live("ecpay", env.ecpay),
    jko_pay: { status: "coming" },
    easy_wallet: { status: "coming" },
    icash_pay: { status: "coming" },
    pi_wallet: { status: "coming" },
    ipass_money: { status: "coming" },
    px_pay_plus: { status: "coming" },
    taiwan_pay: { status: "coming" },
  };
}

export interface Providers {
  line_pay?: PaymentProviderAdapter;
  ecpay?: ReturnType<typeof ecpayAdapter>;
}

export function providersFromEnv(env: Pick<Env, "linePay" | "ecpay" | "PROVIDER_TIMEOUT_MS">): Providers {
  return {
    line_pay: env.linePay ? linePayAdapter(env.linePay, env.PROVIDER_TIMEOUT_MS) : undefined,
    ecpay: env.ecpay ? ecpayAdapter(env.ecpay, env.PROVIDER_TIMEOUT_MS) : undefined,
  };
}
