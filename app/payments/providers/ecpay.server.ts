import type { ProviderOutcome } from "~/domain/payment-order";
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
 * ECPay AIO (綠界全方位金流), credit cards. The payer's browser posts a signed
 * form to ECPay, which charges the card by itself and then notifies the
 * portal (ReturnURL, answered "1|OK") and posts the result back with the
 * payer (OrderResultURL); both are signed with CheckMacValue.
 */

export type EcpayConfig = NonNullable<Env["ecpay"]>;

/** TradeStatus of QueryTradeInfo, in the portal's words; any other code is a failed trade. */
const TRADE_STATUS_OUTCOMES: Record<string, ProviderOutcome> = {
  "1": "paid",
  "0": "waiting",
  "10200047": "unknown_order",
};

/** RtnCode of a notice or result post: 1 is paid, anything else a failed payment. */
const RESULT_OUTCOMES: Record<string, ProviderOutcome> = { "1": "paid" };

const NOTICE_REPLIES: Record<NoticeOutcome, string> = {
  accepted: "1|OK",
  rejected_signature: "0|CheckMacValue error",
  unknown_order: "0|unknown_order",
  amount_mismatch: "0|amount_mismatch",
  bad_request: "0|bad request",
};

export function ecpayAdapter(config: EcpayConfig, timeoutMs: number): PaymentProviderAdapter {
  const sign = (params: EcpayParams) => withCheckMacValue(params, config.hashKey, config.hashIv);

  function answerOf(params: EcpayParams, outcome: ProviderOutcome): ProviderAnswer {
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
    tools: ["credit_card"],
    chargesByItself: true,
    payerOrigins: [new URL(config.checkoutUrl).origin],

    async start(order, callbacks, payer) {
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
        OrderResultURL: callbacks.returnUrl,
        ClientBackURL: callbacks.cancelUrl,
        ChoosePayment: "Credit",
        EncryptType: "1",
        // The card authorisation's serial (gwsr) comes with the paid result: the credit-card query needs it.
        NeedExtraPaidInfo: "Y",
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
