import type { ProviderOutcome } from "~/domain/payment-order";
import type { PaymentInstructions } from "~/domain/payment-instructions";
import { isDeferredPaymentTool, type PaymentTool } from "~/domain/payment-tools";
import type { Env } from "~/base/env.server";
import { ProviderUnreachable, callProvider, type NoticeOutcome, type PaymentProviderAdapter, type ProviderAnswer } from "./adapter.server";
import {
  ecpayDate,
  parseEcpayDate,
  parseFormBody,
  verifyCheckMacValue,
  withCheckMacValue,
  type EcpayParams,
} from "./ecpay-protocol.server";

/**
 * ECPay AIO (綠界全方位金流): credit cards and 台灣Pay (TWQR), paid at once, and
 * ATM virtual accounts (ATM), store payment codes (CVS) and store barcodes
 * (BARCODE), paid later. The payer's browser posts a signed form to ECPay.
 * Paid at once: ECPay takes the money by itself, notifies the portal
 * (ReturnURL, answered "1|OK") and posts the result back with the payer
 * (OrderResultURL). Paid later: ECPay first posts the account or code it
 * issued, with its expiry, to PaymentInfoURL (server to server) and with the
 * payer to ClientRedirectURL; the paid notice comes to ReturnURL whenever the
 * payer pays; an expired code sends nothing (QueryTradeInfo still says 0).
 * Every post is signed with CheckMacValue.
 */

export type EcpayConfig = NonNullable<Env["ecpay"]>;

/** How long the instructions ECPay issues stay good (env ECPAY_*_EXPIRE_*). */
interface EcpayExpiry {
  atmDays: number;
  storeCodeMinutes: number;
  storeBarcodeDays: number;
}

/** ChoosePayment of each tool ECPay carries. */
const CHOOSE_PAYMENT = {
  credit_card: "Credit",
  taiwan_pay: "TWQR",
  atm_transfer: "ATM",
  store_code: "CVS",
  store_barcode: "BARCODE",
} as const satisfies Partial<Record<PaymentTool, string>>;
type EcpayTool = keyof typeof CHOOSE_PAYMENT;
const ECPAY_TOOLS = Object.keys(CHOOSE_PAYMENT) as EcpayTool[];

/** TradeStatus of QueryTradeInfo, in the portal's words; any other code is a failed trade. */
const TRADE_STATUS_OUTCOMES: Record<string, ProviderOutcome> = {
  "1": "paid",
  "0": "waiting",
  "10200047": "unknown_order",
};

/**
 * RtnCode of a notice or result post: 1 is paid; 2 (ATM) and 10100073 (CVS,
 * BARCODE) on a payment-info post mean the account or code was issued;
 * anything else a failed payment (or a failed issue).
 */
const RESULT_OUTCOMES: Record<string, ProviderOutcome> = { "1": "paid", "2": "awaiting_payment", "10100073": "awaiting_payment" };

/** The end of an ECPay day ("yyyy/MM/dd", Taiwan time): an ATM account is good through its last day. */
function endOfEcpayDay(value: string): Date | null {
  const match = /^(\d{4})\/(\d{2})\/(\d{2})$/.exec(value);
  return match ? new Date(`${match[1]}-${match[2]}-${match[3]}T23:59:59+08:00`) : null;
}

/**
 * The instructions in ECPay's payment-info post, by its PaymentType
 * (ATM_xxx, CVS_xxx, BARCODE_xxx); null when they are not all there.
 */
function ecpayInstructions(params: EcpayParams): PaymentInstructions | null {
  const type = params.PaymentType ?? "";
  // ATM accounts expire on a day (yyyy/MM/dd), store codes at a moment (yyyy/MM/dd HH:mm:ss); either is read.
  const expiry = parseEcpayDate(params.ExpireDate ?? "") ?? endOfEcpayDay(params.ExpireDate ?? "");
  if (!expiry) return null;
  const expiresAt = expiry.toISOString();
  if (type.startsWith("ATM_")) {
    const bankCode = params.BankCode ?? "";
    const account = params.vAccount ?? "";
    return /^\d{3}$/.test(bankCode) && /^\d{6,20}$/.test(account) ? { kind: "atm", bankCode, account, expiresAt } : null;
  }
  if (type.startsWith("CVS_")) {
    const code = params.PaymentNo ?? "";
    return /^[0-9A-Z]{6,20}$/.test(code) ? { kind: "store_code", code, expiresAt } : null;
  }
  if (type.startsWith("BARCODE_")) {
    const barcodes = [params.Barcode1 ?? "", params.Barcode2 ?? "", params.Barcode3 ?? ""] as [string, string, string];
    return barcodes.every((barcode) => /^[0-9A-Z]{6,20}$/.test(barcode)) ? { kind: "store_barcode", barcodes, expiresAt } : null;
  }
  return null;
}

/** ECPay's own expiry fields for a tool paid later (ATM: days; CVS: minutes; BARCODE: days). */
function expiryFields(tool: EcpayTool, expiry: EcpayExpiry): EcpayParams {
  if (tool === "atm_transfer") return { ExpireDate: String(expiry.atmDays) };
  if (tool === "store_code") return { StoreExpireDate: String(expiry.storeCodeMinutes) };
  if (tool === "store_barcode") return { StoreExpireDate: String(expiry.storeBarcodeDays) };
  return {};
}

const NOTICE_REPLIES: Record<NoticeOutcome, string> = {
  accepted: "1|OK",
  rejected_signature: "0|CheckMacValue error",
  unknown_order: "0|unknown_order",
  amount_mismatch: "0|amount_mismatch",
  bad_request: "0|bad request",
};

export function ecpayAdapter(config: EcpayConfig, timeoutMs: number, expiry: EcpayExpiry): PaymentProviderAdapter {
  const sign = (params: EcpayParams) => withCheckMacValue(params, config.hashKey, config.hashIv);

  function answerOf(params: EcpayParams, outcome: ProviderOutcome): ProviderAnswer {
    if (outcome === "awaiting_payment") {
      const instructions = ecpayInstructions(params);
      // "Issued", and no account or code to pay with: nothing the payer can use.
      return instructions ? { outcome, instructions, payload: params } : { outcome: "declined", payload: params };
    }
    if (outcome !== "paid") return { outcome, payload: params };
    return {
      outcome,
      transactionId: params.TradeNo ?? "",
      amount: Number(params.TradeAmt),
      paidAt: parseEcpayDate(params.PaymentDate ?? "") ?? new Date(),
      payload: params,
    };
  }

  /** A signed result post (notice or the payer's return); null reference when it is not ECPay's. */
  function readSigned(form: EcpayParams): { reference: string; answer: ProviderAnswer } | { reference: string | null; reason: string } {
    const reference = form.MerchantTradeNo || null;
    if (form.MerchantID !== config.merchantId || !verifyCheckMacValue(form, config.hashKey, config.hashIv)) {
      return { reference, reason: "CheckMacValue does not match" };
    }
    // The merchant back office's "simulate payment" button: correctly signed, and no money at all.
    if (form.SimulatePaid === "1") return { reference: reference ?? "", answer: { outcome: "simulated", payload: form } };
    return { reference: reference ?? "", answer: answerOf(form, RESULT_OUTCOMES[form.RtnCode ?? ""] ?? "declined") };
  }

  return {
    provider: "ecpay",
    slug: "ecpay",
    tools: ECPAY_TOOLS,
    payLaterMinutes: {
      atm_transfer: expiry.atmDays * 1440,
      store_code: expiry.storeCodeMinutes,
      store_barcode: expiry.storeBarcodeDays * 1440,
    },
    chargesByItself: true,
    payerOrigins: [new URL(config.checkoutUrl).origin],

    async start(order, callbacks, payer) {
      const tool: EcpayTool = order.paymentTool in CHOOSE_PAYMENT ? (order.paymentTool as EcpayTool) : "credit_card";
      const later = isDeferredPaymentTool(tool);
      const fields = sign({
        MerchantID: config.merchantId,
        MerchantTradeNo: order.reference,
        MerchantTradeDate: ecpayDate(order.createdAt),
        PaymentType: "aio",
        TotalAmount: String(order.totalAmount),
        TradeDesc: "市政規費與帳單繳費",
        // ECPay separates items with "#"; a "#" inside a name would split it.
        ItemName: order.items
          .map((item) => `${item.name.replaceAll("#", " ")} ${item.amount}元`)
          .join("#")
          .slice(0, 400),
        ReturnURL: callbacks.notifyUrl,
        ClientBackURL: callbacks.cancelUrl,
        ChoosePayment: CHOOSE_PAYMENT[tool],
        EncryptType: "1",
        ...(later
          ? // The account or code comes to PaymentInfoURL, and with the payer (signed) to ClientRedirectURL.
            { PaymentInfoURL: callbacks.paymentInfoUrl, ClientRedirectURL: callbacks.returnUrl, ...expiryFields(tool, expiry) }
          : { OrderResultURL: callbacks.returnUrl }),
        // The card authorisation's serial (gwsr) comes with the paid result: the credit-card query needs it.
        ...(tool === "credit_card" ? { NeedExtraPaidInfo: "Y" } : {}),
        // ECPay's pages are in Traditional Chinese unless asked otherwise.
        ...(payer.locale === "en" ? { Language: "ENG" } : {}),
      });
      return { kind: "form", action: config.checkoutUrl, fields, payload: { ...fields } };
    },

    readPayerReturn({ form }) {
      const read = readSigned(form);
      return "answer" in read ? { kind: "answer", ...read } : { kind: "rejected", ...read };
    },

    notices: {
      read({ form }) {
        const read = readSigned(form);
        return "answer" in read ? { kind: "answer", ...read } : { kind: "rejected", ...read };
      },
      // ECPay resends a notice until it reads "1|OK".
      reply: (outcome) => ({ status: outcome === "bad_request" ? 400 : 200, body: NOTICE_REPLIES[outcome] }),
    },

    async query(order) {
      const text = await callProvider("ecpay", timeoutMs, `${config.apiUrl}/Cashier/QueryTradeInfo/V5`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(
          sign({ MerchantID: config.merchantId, MerchantTradeNo: order.reference, TimeStamp: String(Math.floor(Date.now() / 1000)) }),
        ),
      });
      const params = parseFormBody(text);
      // An answer that is not signed by ECPay tells us nothing.
      if (!verifyCheckMacValue(params, config.hashKey, config.hashIv))
        throw new ProviderUnreachable("ecpay", "query answer without a valid CheckMacValue");
      return answerOf(params, TRADE_STATUS_OUTCOMES[params.TradeStatus ?? ""] ?? "declined");
    },

    async refund(order, amount) {
      // DoAction refunds card payments only; ECPay has no API to send money back to an ATM or store payer.
      if (order.paymentTool !== "credit_card") {
        return {
          ok: false,
          refundId: null,
          payload: {
            reason: "manual_bank_transfer",
            detail: `ECPay cannot refund a ${order.paymentTool} payment: refund by bank transfer`,
          },
        };
      }
      const text = await callProvider("ecpay", timeoutMs, `${config.apiUrl}/CreditDetail/DoAction`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(
          sign({
            MerchantID: config.merchantId,
            MerchantTradeNo: order.reference,
            TradeNo: order.providerTransactionId ?? "",
            Action: "R",
            TotalAmount: String(amount),
          }),
        ),
      });
      const params = parseFormBody(text);
      // DoAction gives no id of its own for the refund; the credit-card query lists it.
      return { ok: params.RtnCode === "1", refundId: null, payload: params };
    },

    // 信用卡單筆查詢: every capture and refund of the card authorisation, refunds with status "R".
    async refundsOf(order) {
      if (order.paymentTool !== "credit_card") return { refunds: [], payload: { reason: "only card payments are refunded through ECPay" } };
      const gwsr = typeof order.paidDetails?.gwsr === "string" ? order.paidDetails.gwsr : "";
      if (!config.creditCheckCode || !gwsr)
        throw new ProviderUnreachable("ecpay", "the credit-card query needs ECPAY_CREDIT_CHECK_CODE and the payment's gwsr");
      const text = await callProvider("ecpay", timeoutMs, `${config.apiUrl}/CreditDetail/QueryTrade/V2`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(
          sign({
            MerchantID: config.merchantId,
            CreditRefundId: gwsr,
            CreditAmount: String(order.totalAmount),
            CreditCheckCode: config.creditCheckCode,
          }),
        ),
      });
      let answer: { RtnMsg?: string; RtnValue?: { close_data?: Array<{ status: string; sno: string; amount: string }> } | null };
      try {
        answer = JSON.parse(text) as typeof answer;
      } catch {
        throw new ProviderUnreachable("ecpay", "the credit-card query answered something other than JSON");
      }
      if (!answer.RtnValue) throw new ProviderUnreachable("ecpay", `the credit-card query found nothing: ${answer.RtnMsg ?? ""}`);
      return {
        refunds: (answer.RtnValue.close_data ?? []).filter((c) => c.status === "R").map((c) => ({ id: c.sno, amount: Number(c.amount) })),
        payload: answer,
      };
    },

    // 下載特店對帳媒體檔: every trade paid (DateType 2: by payment date) on the day, refunds as lines of their
    // own, new format, UTF-8. ECPay signs this call with MD5 and answers at most once a minute.
    async settlementFile(businessDate) {
      if (!config.vendorUrl) return { kind: "unavailable", reason: "no ECPAY_VENDOR_URL: upload the media file" };
      const text = await callProvider("ecpay", timeoutMs, `${config.vendorUrl}/PaymentMedia/TradeNoAio`, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(
          withCheckMacValue(
            {
              MerchantID: config.merchantId,
              DateType: "2",
              BeginDate: businessDate,
              EndDate: businessDate,
              MediaFormated: "1",
              CharSet: "2",
            },
            config.hashKey,
            config.hashIv,
            "md5",
          ),
        ),
      });
      // A refusal ("CheckMacValue Error", the one-a-minute rule) is a line of text, not a file.
      const firstLine = text.trimStart().split(/\r?\n/, 1)[0] ?? "";
      if (!firstLine.includes(",")) return { kind: "unavailable", reason: text.trim().slice(0, 200) || "an empty answer" };
      return { kind: "file", fileName: `ecpay-media-${config.merchantId}-${businessDate}.csv`, content: text };
    },
  };
}
