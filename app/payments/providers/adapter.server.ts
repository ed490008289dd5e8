import type { PaymentProvider, ProviderOutcome } from "~/domain/payment-order";
import type { PaymentInstructions } from "~/domain/payment-instructions";
import type { DeferredPaymentTool, PaymentTool } from "~/domain/payment-tools";
import type { Locale } from "~/i18n";

/**
 * The one interface every payment provider's adapter implements: the whole
 * protocol, from starting a payment to reading the payer's return and the
 * provider's notices, querying and refunding. Adapters speak the published
 * protocols (LINE Pay Online API v3, ECPay AIO); endpoints and credentials
 * are configuration. They never decide an order's state: they report what
 * the provider said, in the portal's words (`ProviderOutcome`), through one
 * declared table of the provider's codes each, and the order service decides.
 */

export interface OrderForProvider {
  reference: string;
  /** The tool the payer chose: a provider carrying several (ECPay) starts each its own way. */
  paymentTool: PaymentTool;
  totalAmount: number;
  createdAt: Date;
  providerTransactionId: string | null;
  /** Line items as the payer sees them at the provider. */
  items: Array<{ name: string; amount: number }>;
  /** The provider's answer that paid the order, as recorded (some refund queries need its details); null before payment. */
  paidDetails: Record<string, unknown> | null;
}

/** A refund as the provider holds it: its own id (when it gives one) and the amount. */
export interface ProviderRefund {
  id: string | null;
  amount: number;
}

export interface ProviderCallbacks {
  /** Where the payer comes back to after deciding (LINE Pay confirmUrl, ECPay OrderResultURL). */
  returnUrl: string;
  /** Where the payer comes back to without paying (LINE Pay cancelUrl, ECPay ClientBackURL). */
  cancelUrl: string;
  /** The provider's server-to-server notice (ECPay ReturnURL), for protocols that have one. */
  notifyUrl: string;
  /**
   * For tools paid later: where the provider posts the instructions it issued
   * (ECPay PaymentInfoURL), server to server. Read like a notice.
   */
  paymentInfoUrl: string;
}

type StartOutcome =
  | { kind: "redirect"; url: string; transactionId: string; payload: unknown }
  | { kind: "form"; action: string; fields: Record<string, string>; payload: unknown }
  | { kind: "refused"; reason: string; payload: unknown };

/**
 * What a provider says about an order. `amount` is the provider's own figure
 * (never the order's), so that a difference can be caught.
 */
export type ProviderAnswer =
  | { outcome: "paid"; transactionId: string; amount: number; paidAt: Date; payload: unknown }
  /** Instructions issued for a tool paid later: the money is to come by `instructions.expiresAt`. */
  | { outcome: "awaiting_payment"; instructions: PaymentInstructions; payload: unknown }
  | { outcome: Exclude<ProviderOutcome, "paid" | "awaiting_payment">; payload: unknown };

/** A request that came back from the provider, as the callback route read it. */
export interface CallbackRequest {
  query: Record<string, string>;
  form: Record<string, string>;
}

/**
 * What the payer's browser brought back. `ask`: it proves nothing by itself
 * (anyone can open the address), so the provider is asked. `answer`: a
 * result signed by the provider.
 */
export type PayerReturn =
  | { kind: "ask"; reference: string; transactionId: string | null }
  | { kind: "answer"; reference: string; answer: ProviderAnswer }
  | { kind: "rejected"; reference: string | null; reason: string };

/** A server-to-server notice: verified, or refused (a forged or malformed one). */
export type ProviderNotice =
  { kind: "answer"; reference: string; answer: ProviderAnswer } | { kind: "rejected"; reference: string | null; reason: string };

/**
 * A provider's settlement file (對帳檔) for one Taiwan day, as it sent it:
 * the portal keeps the text and reads it (app/money/settlement-files.ts).
 * `unavailable`: this provider gives no file here (no download configured)
 * or refused to (its message); staff can upload the file instead.
 */
type SettlementFileAnswer = { kind: "file"; fileName: string; content: string } | { kind: "unavailable"; reason: string };

/** How the notice was taken, for the provider's expected reply. */
export type NoticeOutcome = "accepted" | "rejected_signature" | "unknown_order" | "amount_mismatch" | "bad_request";

export interface PaymentProviderAdapter {
  readonly provider: PaymentProvider;
  /** Its part of the callback addresses: /payments/callbacks/<slug>/return and so on. */
  readonly slug: string;
  /** The payment tools it carries. */
  readonly tools: readonly PaymentTool[];
  /** For the tools it carries that are paid later: how long the instructions it issues stay good (minutes), for the payer to know before choosing. */
  readonly payLaterMinutes?: Partial<Record<DeferredPaymentTool, number>>;
  /**
   * Whether the provider takes the payer's money by itself once the payer
   * agrees (ECPay's card payment), or only when the portal confirms it
   * (LINE Pay). Bills of a payment waiting at a provider that charges by
   * itself stay held for the whole payment window.
   */
  readonly chargesByItself: boolean;
  /** Origins the payer's browser is sent to when paying (the CSP's form-action). */
  readonly payerOrigins: readonly string[];
  /** The payer's language goes with them, so the provider's pages speak it. */
  start(order: OrderForProvider, callbacks: ProviderCallbacks, payer: { locale: Locale }): Promise<StartOutcome>;
  readPayerReturn(request: CallbackRequest): PayerReturn;
  /** Protocols with server-to-server notices read them here, and say how to answer. */
  notices?: {
    read(request: CallbackRequest): ProviderNotice;
    reply(outcome: NoticeOutcome): { status: number; body: string };
  };
  /** How the provider says the payment stands; completes a payment the payer authorized where the portal confirms. */
  query(order: OrderForProvider): Promise<ProviderAnswer>;
  /**
   * Asks for `amount` back; `ok` with the provider's refund id when it gives one. A payment the
   * provider cannot refund through its API (money sent from an ATM or paid at a store) answers
   * `ok: false` with a `reason` at once, without calling: it is refunded by bank transfer, by hand.
   */
  refund(order: OrderForProvider, amount: number): Promise<{ ok: boolean; refundId: string | null; payload: unknown }>;
  /** The refunds the provider holds for this payment: what recovery asks when a refund's answer was lost. */
  refundsOf(order: OrderForProvider): Promise<{ refunds: ProviderRefund[]; payload: unknown }>;
  /** The settlement file for a Taiwan date (YYYY-MM-DD): every payment and refund the provider settled that day, with its fee. */
  settlementFile(businessDate: string): Promise<SettlementFileAnswer>;
}

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

/** One HTTP call to a provider, its text answer; no answer or a 5xx is ProviderUnreachable. */
export async function callProvider(provider: PaymentProvider, timeoutMs: number, url: string, init: RequestInit): Promise<string> {
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
