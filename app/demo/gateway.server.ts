import { randomInt, randomUUID } from "node:crypto";
import { stringify } from "csv-stringify/sync";
import express, { type Request, type Response } from "express";
import { addDays, taipeiDate } from "~/domain/dates";
import type { PaymentProvider } from "~/domain/payment-order";
import { feeFor } from "~/domain/reconciliation";
import { ECPAY_MEDIA_COLUMNS, ECPAY_MEDIA_STATUS, LINE_PAY_REPORT_COLUMNS } from "~/money/settlement-files";
import { ecpayDate, verifyCheckMacValue, withCheckMacValue, type EcpayParams } from "~/payments/providers/ecpay-protocol.server";
import { LINE_PAY_CHECK, stringifyLinePayJson, verifyLinePaySignature } from "~/payments/providers/line-pay-protocol.server";
import type { Locale } from "~/i18n";
import { escapeHtml, sandboxLocale, sandboxPage, sandboxT } from "./html";
import { asyncRoute } from "~/base/async-route.server";
import { SANDBOX_FEES } from "./sandbox-fees";

/**
 * The sandbox payment gateway: the provider side of LINE Pay Online API v3
 * and ECPay AIO, for development and tests. It checks signatures as the real
 * providers do, shows the payer an approve/decline page, answers confirm,
 * status and refund calls, sends ECPay's server notifications, and gives each
 * provider's daily settlement file in its own format (ECPay's media file,
 * LINE Pay's settlement report), with fees. Faults can be switched on to test
 * what the portal does when providers decline, time out, lose, repeat or
 * delay notices, and when a settlement file disagrees with the portal.
 *
 * State is kept in memory: the sandbox stands in for a provider, it is not one.
 */

export interface SandboxCredentials {
  linePayChannelId: string;
  linePayChannelSecret: string;
  ecpayMerchantId: string;
  ecpayHashKey: string;
  ecpayHashIv: string;
  /** 商家檢查碼: the credit-card query's CreditCheckCode. */
  ecpayCreditCheckCode: string;
}

interface SandboxFaults {
  /**
   * Answer these calls only after this delay, having done their work first: the
   * provider has acted, its answer is late (the portal times out first).
   */
  delayMs: number;
  /** Which calls the delay applies to. */
  delayCalls: Array<"request" | "confirm" | "check" | "query" | "refund">;
  /** ECPay: do not send the server notification at all. */
  loseNotification: boolean;
  /** ECPay: send the server notification this many times. */
  notificationCopies: number;
  /** ECPay: send the notification this long after the payment (and after the payer is back). */
  notificationDelayMs: number;
  /** LINE Pay: report this much more (or less) than was requested as paid (payInfo), as a provider in error would. */
  reportedAmountDelta: number;
  /** When set, faults apply only to payments whose item names contain this text (a test's own bill). */
  only: string | null;
}

const NO_FAULTS: SandboxFaults = {
  delayMs: 0,
  delayCalls: [],
  loseNotification: false,
  notificationCopies: 1,
  notificationDelayMs: 0,
  reportedAmountDelta: 0,
  only: null,
};

/**
 * A change to a day's settlement files, as a provider in error (or a payment
 * the portal never heard of) would make it: by merchant order number.
 */
type SettlementFault =
  | { kind: "drop_line"; merchantOrderNumber: string }
  | { kind: "change_amount"; merchantOrderNumber: string; amount: number }
  | { kind: "change_fee"; merchantOrderNumber: string; fee: number }
  | { kind: "drop_refund"; merchantOrderNumber: string }
  | { kind: "add_line"; provider: PaymentProvider; merchantOrderNumber: string; amount: number; date?: string };

/** Fees the sandbox charges, in basis points of each payment (2.2% is 220); refunds carry none. */
interface SettlementRates {
  linePay: number;
  ecpayCredit: number;
}

const basisPointsOf = (provider: PaymentProvider) => Math.round(SANDBOX_FEES.find((fee) => fee.provider === provider)!.percent * 100);
const defaultRates = (): SettlementRates => ({ linePay: basisPointsOf("line_pay"), ecpayCredit: basisPointsOf("ecpay") });

/** A refund as the provider keeps it: its own id where it gives one, and when. */
interface SandboxRefund {
  refundId: string | null;
  amount: number;
  at: Date;
}

type LinePayStatus = "waiting" | "authorized" | "completed" | "cancelled" | "failed";

interface LinePayTransaction {
  transactionId: string;
  orderId: string;
  amount: number;
  currency: string;
  productName: string;
  confirmUrl: string;
  cancelUrl: string;
  status: LinePayStatus;
  createdAt: Date;
  paidAt?: Date;
  refunded: number;
  /** Each refund made, with the provider's own id and time (for the details call and the settlement report). */
  refunds: SandboxRefund[];
  /** The payer's language, as the shop asked (options.display.locale). */
  locale: Locale;
}

type EcpayStatus = "unpaid" | "paid" | "failed";

interface EcpayTrade {
  params: EcpayParams;
  tradeNo: string;
  /** ECPay's PaymentType for the ChoosePayment asked (Credit_CreditCard, TWQR_OPAY, ATM_TAISHIN, CVS_CVS, BARCODE_BARCODE). */
  paymentType: string;
  /** Paid later (ATM, CVS, BARCODE): the account or code issued, as posted to PaymentInfoURL, and its expiry. */
  issued?: { info: EcpayParams; expiresAt: Date };
  /** The card authorisation's serial (gwsr), given with NeedExtraPaidInfo=Y and asked for by the credit-card query. */
  gwsr: string;
  status: EcpayStatus;
  paidAt?: Date;
  refunded: number;
  refunds: SandboxRefund[];
}

export interface SandboxGateway {
  app: express.Express;
  faults: SandboxFaults;
  /** Called when LINE Pay confirm has completed a payment, before the answer is sent. */
  hooks: { afterConfirm?: (transaction: { transactionId: string; orderId: string }) => void | Promise<void> };
  reset(): void;
  linePayTransactions: Map<string, LinePayTransaction>;
  ecpayTrades: Map<string, EcpayTrade>;
  /** What the settlement files charge, and the changes they are to carry (POST /_sandbox/settlement-faults). */
  settlement: { rates: SettlementRates; faults: SettlementFault[] };
}

const PAYER_STYLE = `header .service{margin:0;font-weight:700;font-size:1.25rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{color:#4a4a4a}dd{margin:0}
button{font:inherit;font-weight:700;min-height:44px;padding:.5rem 1.25rem;margin:.25rem .5rem .25rem 0;border:2px solid #0b5563;border-radius:4px;background:#0b5563;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#083d47}
label{display:block;font-weight:700}input{font:inherit;min-height:44px;padding:.25rem .5rem;border:2px solid #1b1b1b;width:100%;max-width:20rem}`;

/** The payer's page at the provider: accessible, in the payer's language, works without JavaScript. */
function payerPage(locale: Locale, title: string, body: string): string {
  const t = sandboxT(locale);
  return sandboxPage({ locale, title, service: t("gateway.service"), banner: t("gateway.banner"), style: PAYER_STYLE, body });
}

function notFoundPage(locale: Locale): string {
  const text = sandboxT(locale)("gateway.notFound");
  return payerPage(locale, text, `<h1>${escapeHtml(text)}</h1>`);
}

function decisionButtons(locale: Locale): string {
  const t = sandboxT(locale);
  return `<button type="submit" name="decision" value="approve">${escapeHtml(t("gateway.approve"))}</button>
<button type="submit" name="decision" value="decline" class="secondary">${escapeHtml(t("gateway.decline"))}</button>
<button type="submit" name="decision" value="cancel" class="secondary">${escapeHtml(t("gateway.cancel"))}</button>`;
}

/** A page that posts a signed form back to the shop (auto-submitted when scripts run). */
function postBackPage(locale: Locale, action: string, fields: EcpayParams): string {
  const t = sandboxT(locale);
  const inputs = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join("");
  return payerPage(
    locale,
    t("gateway.backTitle"),
    `<h1>${escapeHtml(t("gateway.processed"))}</h1>
<form method="post" action="${escapeHtml(action)}" id="back">${inputs}<button type="submit">${escapeHtml(t("gateway.backToShop"))}</button></form>
<script>document.getElementById("back").submit()</script>`,
  );
}

/** ECPay's PaymentType for each ChoosePayment the sandbox speaks. */
const ECPAY_PAYMENT_TYPES: Record<string, string> = {
  Credit: "Credit_CreditCard",
  TWQR: "TWQR_OPAY",
  ATM: "ATM_TAISHIN",
  CVS: "CVS_CVS",
  BARCODE: "BARCODE_BARCODE",
};

/** The portal's tool for each ChoosePayment (for the fee the sandbox charges). */
const ECPAY_TOOL_OF: Record<string, string> = {
  Credit: "credit_card",
  TWQR: "taiwan_pay",
  ATM: "atm_transfer",
  CVS: "store_code",
  BARCODE: "store_barcode",
};

/**
 * The fee rule of a payment: the configured rate for LINE Pay and ECPay's
 * cards (tests change it), the sandbox's contract for ECPay's other tools.
 */
function feeRuleOf(provider: PaymentProvider, tool: string | undefined, rate: number): { basisPoints: number; fixed: number } {
  const other = tool && tool !== "credit_card" ? SANDBOX_FEES.find((fee) => fee.provider === provider && fee.tool === tool) : undefined;
  return other ? { basisPoints: Math.round(other.percent * 100), fixed: other.fixed } : { basisPoints: rate, fixed: 0 };
}

/** Trades paid later, at an ATM or a store, with the account or code ECPay issues. */
const isPaidLater = (trade: EcpayTrade) => ["ATM", "CVS", "BARCODE"].includes(trade.params.ChoosePayment ?? "");

/** ECPay's Language: ENG for English; without it ECPay's pages are in Traditional Chinese, whatever the browser says. */
const ecpayLocale = (params: EcpayParams): Locale => (params.Language === "ENG" ? "en" : "zh-TW");

export function createSandboxGateway(
  credentials: SandboxCredentials,
  options: { /** Where payers' browsers reach the sandbox; by default the address it was called at. */ publicUrl?: string } = {},
): SandboxGateway {
  const linePayTransactions = new Map<string, LinePayTransaction>();
  const ecpayTrades = new Map<string, EcpayTrade>();
  const gateway: SandboxGateway = {
    app: express(),
    faults: { ...NO_FAULTS },
    hooks: {},
    linePayTransactions,
    ecpayTrades,
    settlement: { rates: defaultRates(), faults: [] },
    reset() {
      linePayTransactions.clear();
      ecpayTrades.clear();
      Object.assign(gateway.faults, NO_FAULTS);
      gateway.hooks = {};
      gateway.settlement = { rates: defaultRates(), faults: [] };
    },
  };
  const { app } = gateway;
  app.disable("x-powered-by");

  const applies = (items: string) => gateway.faults.only === null || items.includes(gateway.faults.only);
  const delay = async (call: SandboxFaults["delayCalls"][number], items: string) => {
    if (gateway.faults.delayMs > 0 && gateway.faults.delayCalls.includes(call) && applies(items)) {
      await new Promise((resolve) => setTimeout(resolve, gateway.faults.delayMs));
    }
  };

  // ---- LINE Pay Online API v3 -------------------------------------------------

  const linePayJson = (res: Response, body: unknown, status = 200) =>
    res.status(status).type("application/json").send(stringifyLinePayJson(body));
  const payInfoOf = (transaction: LinePayTransaction) => [
    { method: "BALANCE", amount: transaction.amount + (applies(transaction.productName) ? gateway.faults.reportedAmountDelta : 0) },
  ];

  /** Checks the channel headers and signature; answers the error itself when they fail. */
  function linePayAuthorized(req: Request, res: Response, payload: string): boolean {
    const nonce = req.header("X-LINE-Authorization-Nonce") ?? "";
    const signature = req.header("X-LINE-Authorization") ?? "";
    if (req.header("X-LINE-ChannelId") !== credentials.linePayChannelId) {
      linePayJson(res, { returnCode: "1104", returnMessage: "Non-existent merchant." });
      return false;
    }
    if (!nonce || !verifyLinePaySignature(credentials.linePayChannelSecret, req.path, payload, nonce, signature)) {
      linePayJson(res, { returnCode: "1106", returnMessage: "Header information error." });
      return false;
    }
    return true;
  }

  app.post(
    "/v3/payments/request",
    express.text({ type: "application/json" }),
    asyncRoute(async (req, res) => {
      if (!linePayAuthorized(req, res, req.body)) return;
      const body = JSON.parse(req.body) as {
        amount: number;
        currency: string;
        orderId: string;
        packages: Array<{ amount: number; products: Array<{ name: string; quantity: number; price: number }> }>;
        redirectUrls: { confirmUrl: string; cancelUrl: string };
        options?: { display?: { locale?: string } };
      };
      const packagesTotal = body.packages.reduce((sum, p) => sum + p.amount, 0);
      const productsTotal = body.packages.flatMap((p) => p.products).reduce((sum, p) => sum + p.price * p.quantity, 0);
      if (!Number.isInteger(body.amount) || body.amount <= 0 || packagesTotal !== body.amount || productsTotal !== body.amount) {
        linePayJson(res, { returnCode: "1106", returnMessage: "Amounts do not add up." });
        return;
      }
      if ([...linePayTransactions.values()].some((t) => t.orderId === body.orderId)) {
        linePayJson(res, { returnCode: "1172", returnMessage: "Existing same orderId." });
        return;
      }
      const transactionId = `2026${String(randomInt(10 ** 9)).padStart(9, "0")}${String(randomInt(10 ** 6)).padStart(6, "0")}`;
      linePayTransactions.set(transactionId, {
        transactionId,
        orderId: body.orderId,
        amount: body.amount,
        currency: body.currency,
        productName: body.packages[0]?.products[0]?.name ?? "",
        confirmUrl: body.redirectUrls.confirmUrl,
        cancelUrl: body.redirectUrls.cancelUrl,
        status: "waiting",
        createdAt: new Date(),
        refunded: 0,
        refunds: [],
        locale: sandboxLocale(body.options?.display?.locale, (...languages) => req.acceptsLanguages(...languages)),
      });
      const paymentUrl = `${options.publicUrl ?? `${req.protocol}://${req.get("host")}`}/line-pay/approve/${transactionId}`;
      await delay("request", req.body);
      linePayJson(res, {
        returnCode: "0000",
        returnMessage: "Success.",
        info: { transactionId, paymentAccessToken: randomUUID().slice(0, 12), paymentUrl: { web: paymentUrl, app: paymentUrl } },
      });
    }),
  );

  app.get("/line-pay/approve/:transactionId", (req, res) => {
    const transaction = linePayTransactions.get(req.params.transactionId ?? "");
    if (!transaction || transaction.status !== "waiting") {
      res.status(404).send(notFoundPage(sandboxLocale(undefined, (...languages) => req.acceptsLanguages(...languages))));
      return;
    }
    const t = sandboxT(transaction.locale);
    res.send(
      payerPage(
        transaction.locale,
        t("gateway.linePayTitle"),
        `<h1>${escapeHtml(t("gateway.linePayHeading"))}</h1>
<dl><dt>${escapeHtml(t("gateway.item"))}</dt><dd>${escapeHtml(transaction.productName)}</dd>
<dt>${escapeHtml(t("gateway.amount"))}</dt><dd>${transaction.amount} ${escapeHtml(transaction.currency)}</dd>
<dt>${escapeHtml(t("gateway.order"))}</dt><dd>${escapeHtml(transaction.orderId)}</dd></dl>
<form method="post" action="/line-pay/approve/${escapeHtml(transaction.transactionId)}">${decisionButtons(transaction.locale)}</form>`,
      ),
    );
  });

  app.post("/line-pay/approve/:transactionId", express.urlencoded({ extended: false }), (req, res) => {
    const transaction = linePayTransactions.get(req.params.transactionId ?? "");
    if (!transaction || transaction.status !== "waiting") {
      res.status(404).send(notFoundPage(sandboxLocale(undefined, (...languages) => req.acceptsLanguages(...languages))));
      return;
    }
    const query = `transactionId=${transaction.transactionId}&orderId=${encodeURIComponent(transaction.orderId)}`;
    const decision = req.body.decision;
    if (decision === "cancel") {
      transaction.status = "cancelled";
      res.redirect(303, `${transaction.cancelUrl}${transaction.cancelUrl.includes("?") ? "&" : "?"}${query}`);
      return;
    }
    // A declined payment comes back like an approved one; confirm then fails.
    transaction.status = decision === "approve" ? "authorized" : "failed";
    res.redirect(303, `${transaction.confirmUrl}${transaction.confirmUrl.includes("?") ? "&" : "?"}${query}`);
  });

  app.post(
    "/v3/payments/:transactionId/confirm",
    express.text({ type: "application/json" }),
    asyncRoute(async (req, res) => {
      if (!linePayAuthorized(req, res, req.body)) return;
      const transaction = linePayTransactions.get(req.params.transactionId ?? "");
      const body = JSON.parse(req.body) as { amount: number; currency: string };
      if (!transaction) return void linePayJson(res, { returnCode: "1150", returnMessage: "Transaction record not found." });
      if (body.amount !== transaction.amount || body.currency !== transaction.currency) {
        return void linePayJson(res, { returnCode: "1106", returnMessage: "Amount or currency differs from the request." });
      }
      if (transaction.status === "completed") {
        return void linePayJson(res, { returnCode: "1172", returnMessage: "Existing same orderId." });
      }
      if (transaction.status === "failed") return void linePayJson(res, { returnCode: "1141", returnMessage: "Payment declined." });
      if (transaction.status !== "authorized") {
        return void linePayJson(res, { returnCode: "1133", returnMessage: "Not an authorized transaction." });
      }
      transaction.status = "completed";
      transaction.paidAt = new Date();
      await gateway.hooks.afterConfirm?.({ transactionId: transaction.transactionId, orderId: transaction.orderId });
      await delay("confirm", transaction.productName);
      linePayJson(res, {
        returnCode: "0000",
        returnMessage: "Success.",
        info: { orderId: transaction.orderId, transactionId: transaction.transactionId, payInfo: payInfoOf(transaction) },
      });
    }),
  );

  app.get(
    "/v3/payments/requests/:transactionId/check",
    asyncRoute(async (req, res) => {
      if (!linePayAuthorized(req, res, "")) return;
      const transaction = linePayTransactions.get(req.params.transactionId ?? "");
      await delay("check", transaction?.productName ?? "");
      if (!transaction) return void linePayJson(res, { returnCode: "1150", returnMessage: "Transaction record not found." });
      const code = {
        waiting: LINE_PAY_CHECK.waiting,
        authorized: LINE_PAY_CHECK.authorized,
        completed: LINE_PAY_CHECK.completed,
        cancelled: LINE_PAY_CHECK.cancelledOrExpired,
        failed: LINE_PAY_CHECK.failed,
      }[transaction.status];
      linePayJson(res, { returnCode: code, returnMessage: transaction.status });
    }),
  );

  app.get(
    "/v3/payments",
    asyncRoute(async (req, res) => {
      const query = new URLSearchParams(req.url.split("?")[1] ?? "").toString();
      if (!linePayAuthorized(req, res, query)) return;
      await delay("check", "");
      const orderId = req.query.orderId;
      const found = [...linePayTransactions.values()].filter(
        (t) => t.transactionId === req.query.transactionId || (typeof orderId === "string" && t.orderId === orderId),
      );
      linePayJson(res, {
        returnCode: "0000",
        returnMessage: "Success.",
        info: found.map((t) => ({
          transactionId: t.transactionId,
          orderId: t.orderId,
          payStatus: t.status === "completed" ? "CAPTURE" : t.status === "authorized" ? "AUTHORIZATION" : t.status.toUpperCase(),
          payInfo: payInfoOf(t),
          refundList: t.refunds.map((r) => ({
            refundTransactionId: r.refundId,
            transactionType: r.amount === t.amount ? "PAYMENT_REFUND" : "PARTIAL_REFUND",
            refundAmount: -r.amount,
            refundTransactionDate: r.at.toISOString(),
          })),
        })),
      });
    }),
  );

  app.post(
    "/v3/payments/:transactionId/refund",
    express.text({ type: "application/json" }),
    asyncRoute(async (req, res) => {
      if (!linePayAuthorized(req, res, req.body)) return;
      const transaction = linePayTransactions.get(req.params.transactionId ?? "");
      if (!transaction || transaction.status !== "completed") {
        return void linePayJson(res, { returnCode: "1165", returnMessage: "Transaction already refunded or not paid." });
      }
      const body = (req.body ? JSON.parse(req.body) : {}) as { refundAmount?: number };
      const amount = body.refundAmount ?? transaction.amount - transaction.refunded;
      if (amount <= 0 || transaction.refunded + amount > transaction.amount) {
        return void linePayJson(res, { returnCode: "1163", returnMessage: "Refund amount exceeds the refundable amount." });
      }
      transaction.refunded += amount;
      const refund = {
        refundId: `${transaction.transactionId.slice(0, 10)}${String(randomInt(10 ** 9)).padStart(9, "0")}`,
        amount,
        at: new Date(),
      };
      transaction.refunds.push(refund);
      // The refund is made; a delayed answer is one the portal may give up on (an unknown outcome).
      await delay("refund", transaction.productName);
      linePayJson(res, {
        returnCode: "0000",
        returnMessage: "Success.",
        info: { refundTransactionId: refund.refundId, refundTransactionDate: refund.at.toISOString() },
      });
    }),
  );

  // ---- ECPay AIO ------------------------------------------------------------------

  const ecpaySigned = (params: EcpayParams) => withCheckMacValue(params, credentials.ecpayHashKey, credentials.ecpayHashIv);

  app.post("/Cashier/AioCheckOut/V5", express.urlencoded({ extended: false }), (req, res) => {
    const params = req.body as EcpayParams;
    const problem =
      params.MerchantID !== credentials.ecpayMerchantId
        ? "MerchantID is wrong"
        : !verifyCheckMacValue(params, credentials.ecpayHashKey, credentials.ecpayHashIv)
          ? "CheckMacValue Error"
          : !/^[0-9A-Za-z]{1,20}$/.test(params.MerchantTradeNo ?? "")
            ? "MerchantTradeNo Error"
            : ecpayTrades.has(params.MerchantTradeNo!)
              ? "訂單編號重複 (MerchantTradeNo is duplicated)"
              : !/^[1-9]\d*$/.test(params.TotalAmount ?? "")
                ? "TotalAmount Error"
                : null;
    const locale = ecpayLocale(params);
    const t = sandboxT(locale);
    if (problem) {
      res
        .status(400)
        .send(
          payerPage(locale, t("gateway.cannotCreate"), `<h1>${escapeHtml(t("gateway.cannotCreate"))}</h1><p>${escapeHtml(problem)}</p>`),
        );
      return;
    }
    const tradeNo = `${new Date().toISOString().slice(2, 10).replaceAll("-", "")}${String(randomInt(10 ** 8)).padStart(8, "0")}`;
    const paymentType = ECPAY_PAYMENT_TYPES[params.ChoosePayment ?? "Credit"];
    if (!paymentType) {
      res
        .status(400)
        .send(payerPage(locale, t("gateway.cannotCreate"), `<h1>${escapeHtml(t("gateway.cannotCreate"))}</h1><p>ChoosePayment Error</p>`));
      return;
    }
    ecpayTrades.set(params.MerchantTradeNo!, {
      params,
      tradeNo,
      paymentType,
      gwsr: String(10_000_000 + randomInt(89_999_999)),
      status: "unpaid",
      refunded: 0,
      refunds: [],
    });
    const summary = `<dl><dt>${escapeHtml(t("gateway.order"))}</dt><dd>${escapeHtml(params.MerchantTradeNo!)}</dd>
<dt>${escapeHtml(t("gateway.items"))}</dt><dd>${escapeHtml(params.ItemName ?? "")}</dd>
<dt>${escapeHtml(t("gateway.amount"))}</dt><dd>NT$ ${escapeHtml(params.TotalAmount!)}</dd></dl>`;
    if (params.ChoosePayment === "TWQR") {
      return void res.send(
        payerPage(
          locale,
          t("gateway.twqrTitle"),
          `<h1>${escapeHtml(t("gateway.twqrHeading"))}</h1>${summary}
<p>${escapeHtml(t("gateway.twqrScan"))}</p>
<form method="post" action="/Cashier/pay/${escapeHtml(params.MerchantTradeNo!)}"><p>${decisionButtons(locale)}</p></form>`,
        ),
      );
    }
    const laterHeading = { ATM: "gateway.atmHeading", CVS: "gateway.cvsHeading", BARCODE: "gateway.barcodeHeading" } as const;
    const later = laterHeading[params.ChoosePayment as keyof typeof laterHeading];
    if (later) {
      return void res.send(
        payerPage(
          locale,
          t("gateway.laterTitle"),
          `<h1>${escapeHtml(t(later))}</h1>${summary}
<form method="post" action="/Cashier/issue/${escapeHtml(params.MerchantTradeNo!)}">
<fieldset><legend>${escapeHtml(t("gateway.expiryLegend"))}</legend>
<label><input type="radio" name="expiry" value="configured" checked> ${escapeHtml(t("gateway.expiryConfigured"))}</label>
<label><input type="radio" name="expiry" value="one_minute"> ${escapeHtml(t("gateway.expiryOneMinute"))}</label>
</fieldset>
<p><button type="submit" name="decision" value="issue">${escapeHtml(t("gateway.issue"))}</button>
<button type="submit" name="decision" value="cancel" class="secondary">${escapeHtml(t("gateway.cancel"))}</button></p>
</form>`,
        ),
      );
    }
    res.send(
      payerPage(
        locale,
        t("gateway.ecpayTitle"),
        `<h1>${escapeHtml(t("gateway.ecpayHeading"))}</h1>
<dl><dt>${escapeHtml(t("gateway.order"))}</dt><dd>${escapeHtml(params.MerchantTradeNo!)}</dd>
<dt>${escapeHtml(t("gateway.items"))}</dt><dd>${escapeHtml(params.ItemName ?? "")}</dd>
<dt>${escapeHtml(t("gateway.amount"))}</dt><dd>NT$ ${escapeHtml(params.TotalAmount!)}</dd></dl>
<form method="post" action="/Cashier/pay/${escapeHtml(params.MerchantTradeNo!)}">
<label for="card">${escapeHtml(t("gateway.testCard"))}</label>
<input id="card" name="card" value="4311-9522-2222-2222" inputmode="numeric" autocomplete="off">
<p>${decisionButtons(locale)}</p>
</form>`,
      ),
    );
  });

  /** The signed result of a trade, as ECPay posts it to ReturnURL and OrderResultURL. */
  function tradeResult(merchantTradeNo: string, trade: EcpayTrade): EcpayParams {
    const paid = trade.status === "paid";
    return ecpaySigned({
      MerchantID: credentials.ecpayMerchantId,
      MerchantTradeNo: merchantTradeNo,
      StoreID: "",
      RtnCode: paid ? "1" : "10100058",
      RtnMsg: paid ? "交易成功" : "付款失敗",
      TradeNo: trade.tradeNo,
      TradeAmt: trade.params.TotalAmount!,
      PaymentDate: paid ? ecpayDate(trade.paidAt!) : "",
      PaymentType: trade.paymentType,
      PaymentTypeChargeFee: "0",
      TradeDate: ecpayDate(new Date()),
      SimulatePaid: "0",
      CustomField1: trade.params.CustomField1 ?? "",
      // NeedExtraPaidInfo=Y: the card authorisation's details, which the credit-card query asks for.
      ...(trade.params.NeedExtraPaidInfo === "Y"
        ? {
            gwsr: trade.gwsr,
            amount: trade.params.TotalAmount!,
            auth_code: "777777",
            card4no: "2222",
            card6no: "431195",
            eci: "0",
            process_date: paid ? ecpayDate(trade.paidAt!) : "",
          }
        : {}),
    });
  }

  async function notify(url: string, body: EcpayParams, items: string): Promise<void> {
    const faults = applies(items) ? { ...gateway.faults } : { ...NO_FAULTS };
    if (faults.loseNotification) return;
    if (faults.notificationDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.notificationDelayMs));
    for (let copy = 0; copy < faults.notificationCopies; copy++) {
      // The portal must answer "1|OK"; ECPay would retry otherwise. A failed send is the portal's loss here.
      await fetch(url, { method: "POST", body: new URLSearchParams(body), signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
    }
  }

  app.post(
    "/Cashier/pay/:merchantTradeNo",
    express.urlencoded({ extended: false }),
    asyncRoute(async (req, res) => {
      const trade = ecpayTrades.get(req.params.merchantTradeNo ?? "");
      // Paid later, a trade is paid at an ATM or a store, not on this page.
      if (!trade || trade.status !== "unpaid" || isPaidLater(trade)) {
        res.status(404).send(notFoundPage(sandboxLocale(undefined, (...languages) => req.acceptsLanguages(...languages))));
        return;
      }
      const decision = req.body.decision;
      if (decision === "cancel") {
        // As ECPay: the payer just goes back to the shop; the trade stays unpaid.
        res.redirect(303, trade.params.ClientBackURL || trade.params.OrderResultURL || "/");
        return;
      }
      trade.status = decision === "approve" ? "paid" : "failed";
      if (trade.status === "paid") trade.paidAt = new Date();
      const result = tradeResult(req.params.merchantTradeNo ?? "", trade);
      const sending = notify(trade.params.ReturnURL!, result, trade.params.ItemName ?? "");
      if (gateway.faults.notificationDelayMs === 0 || !applies(trade.params.ItemName ?? "")) await sending;
      if (trade.params.OrderResultURL) res.send(postBackPage(ecpayLocale(trade.params), trade.params.OrderResultURL, result));
      else res.redirect(303, trade.params.ClientBackURL || "/");
    }),
  );

  app.post(
    "/Cashier/QueryTradeInfo/V5",
    express.urlencoded({ extended: false }),
    asyncRoute(async (req, res) => {
      const params = req.body as EcpayParams;
      if (
        params.MerchantID !== credentials.ecpayMerchantId ||
        !verifyCheckMacValue(params, credentials.ecpayHashKey, credentials.ecpayHashIv)
      ) {
        res.type("text/plain").send("CheckMacValueError");
        return;
      }
      const trade = ecpayTrades.get(params.MerchantTradeNo ?? "");
      await delay("query", trade?.params.ItemName ?? "");
      const answer: EcpayParams = trade
        ? {
            MerchantID: credentials.ecpayMerchantId,
            MerchantTradeNo: params.MerchantTradeNo!,
            StoreID: "",
            TradeNo: trade.tradeNo,
            TradeAmt: trade.params.TotalAmount!,
            PaymentDate: trade.paidAt ? ecpayDate(trade.paidAt) : "",
            PaymentType: trade.paymentType,
            HandlingCharge: "0",
            PaymentTypeChargeFee: "0",
            TradeDate: ecpayDate(new Date()),
            TradeStatus: trade.status === "paid" ? "1" : trade.status === "unpaid" ? "0" : "10200095",
            ItemName: trade.params.ItemName ?? "",
          }
        : {
            MerchantID: credentials.ecpayMerchantId,
            MerchantTradeNo: params.MerchantTradeNo ?? "",
            TradeStatus: "10200047",
            TradeAmt: "0",
          };
      res.type("text/plain").send(new URLSearchParams(ecpaySigned(answer)).toString());
    }),
  );

  app.post(
    "/CreditDetail/DoAction",
    express.urlencoded({ extended: false }),
    asyncRoute(async (req, res) => {
      const params = req.body as EcpayParams;
      const trade = ecpayTrades.get(params.MerchantTradeNo ?? "");
      const reply = (body: EcpayParams) => res.type("text/plain").send(new URLSearchParams(body).toString());
      if (!verifyCheckMacValue(params, credentials.ecpayHashKey, credentials.ecpayHashIv))
        return void reply({ RtnCode: "0", RtnMsg: "CheckMacValue Error" });
      if (!trade || trade.status !== "paid" || params.Action !== "R" || params.TradeNo !== trade.tradeNo) {
        return void reply({ RtnCode: "0", RtnMsg: "Trade not refundable" });
      }
      const amount = Number(params.TotalAmount);
      if (!Number.isInteger(amount) || amount <= 0 || trade.refunded + amount > Number(trade.params.TotalAmount)) {
        return void reply({ RtnCode: "0", RtnMsg: "Refund amount exceeds the trade amount" });
      }
      trade.refunded += amount;
      // ECPay's card refund (DoAction R) names no refund of its own.
      trade.refunds.push({ refundId: null, amount, at: new Date() });
      await delay("refund", trade.params.ItemName ?? "");
      reply({
        MerchantID: credentials.ecpayMerchantId,
        MerchantTradeNo: params.MerchantTradeNo!,
        TradeNo: trade.tradeNo,
        RtnCode: "1",
        RtnMsg: "Success",
      });
    }),
  );

  /**
   * The credit-card trade query (信用卡單筆查詢): by the authorisation serial
   * (CreditRefundId = gwsr), amount and the merchant's CreditCheckCode; JSON,
   * with each capture and refund in close_data (status "R" for a refund).
   */
  app.post("/CreditDetail/QueryTrade/V2", express.urlencoded({ extended: false }), (req, res) => {
    const params = req.body as EcpayParams;
    if (!verifyCheckMacValue(params, credentials.ecpayHashKey, credentials.ecpayHashIv))
      return void res.json({ RtnMsg: "CheckMacValue Error", RtnValue: null });
    const trade = [...ecpayTrades.values()].find((t) => t.gwsr === params.CreditRefundId);
    if (!trade || params.CreditCheckCode !== credentials.ecpayCreditCheckCode || params.CreditAmount !== trade.params.TotalAmount)
      return void res.json({ RtnMsg: "查無資料 (no such trade)", RtnValue: null });
    res.json({
      RtnMsg: "",
      RtnValue: {
        TradeID: trade.gwsr,
        amount: trade.params.TotalAmount,
        clsamt: String(Number(trade.params.TotalAmount) - trade.refunded),
        authtime: trade.paidAt ? ecpayDate(trade.paidAt) : "",
        status: trade.refunded === 0 ? "已授權" : "要求退款",
        close_data: [
          ...(trade.paidAt
            ? [{ status: "C", sno: trade.tradeNo, amount: trade.params.TotalAmount, datetime: ecpayDate(trade.paidAt) }]
            : []),
          ...trade.refunds.map((r, i) => ({
            status: "R",
            sno: `${trade.tradeNo}R${i + 1}`,
            amount: String(r.amount),
            datetime: ecpayDate(r.at),
          })),
        ],
      },
    });
  });

  // ---- Settlement files ---------------------------------------------------------

  /** One settlement line of either provider, before it is written in the provider's format. */
  interface SandboxLine {
    kind: "payment" | "refund";
    merchantOrderNumber: string;
    transactionId: string;
    refundId: string | null;
    amount: number;
    fee: number;
    at: Date;
    orderDate: Date;
    itemName: string;
  }

  const onDay = (day: string) => (moment: Date | undefined) => moment !== undefined && taipeiDate(moment) === day;

  /** The day's lines as the provider settled them, then the faults asked for. */
  function settlementLines(provider: PaymentProvider, day: string): SandboxLine[] {
    const on = onDay(day);
    const rate = provider === "line_pay" ? gateway.settlement.rates.linePay : gateway.settlement.rates.ecpayCredit;
    const trades =
      provider === "line_pay"
        ? [...linePayTransactions.values()]
            .filter((t) => t.status === "completed")
            .map((t) => ({ ...t, merchantOrderNumber: t.orderId, itemName: t.productName, orderDate: t.createdAt }))
        : [...ecpayTrades.entries()]
            .filter(([, t]) => t.status === "paid")
            .map(([no, t]) => ({
              tool: ECPAY_TOOL_OF[t.params.ChoosePayment ?? "Credit"],
              transactionId: t.tradeNo,
              merchantOrderNumber: no,
              amount: Number(t.params.TotalAmount),
              paidAt: t.paidAt,
              refunds: t.refunds,
              itemName: t.params.ItemName ?? "",
              orderDate: new Date(`${(t.params.MerchantTradeDate ?? "").replaceAll("/", "-").replace(" ", "T")}+08:00`),
            }));
    const lines: SandboxLine[] = [];
    for (const trade of trades) {
      const common = {
        merchantOrderNumber: trade.merchantOrderNumber,
        transactionId: trade.transactionId,
        orderDate: trade.orderDate,
        itemName: trade.itemName,
      };
      if (on(trade.paidAt))
        lines.push({
          ...common,
          kind: "payment",
          refundId: null,
          amount: trade.amount,
          fee: feeFor(trade.amount, feeRuleOf(provider, "tool" in trade ? trade.tool : undefined, rate)),
          at: trade.paidAt!,
        });
      for (const refund of trade.refunds.filter((r) => on(r.at)))
        lines.push({ ...common, kind: "refund", refundId: refund.refundId, amount: refund.amount, fee: 0, at: refund.at });
    }
    for (const fault of gateway.settlement.faults) {
      if (fault.kind === "add_line") {
        if (fault.provider !== provider || (fault.date ?? taipeiDate()) !== day) continue;
        const at = fault.date ? new Date(`${fault.date}T12:00:00+08:00`) : new Date();
        const transactionId =
          provider === "line_pay"
            ? `2026${String(randomInt(10 ** 9)).padStart(9, "0")}${String(randomInt(10 ** 6)).padStart(6, "0")}`
            : `${at.toISOString().slice(2, 10).replaceAll("-", "")}${String(randomInt(10 ** 8)).padStart(8, "0")}`;
        lines.push({
          kind: "payment",
          merchantOrderNumber: fault.merchantOrderNumber,
          transactionId,
          refundId: null,
          amount: fault.amount,
          fee: feeFor(fault.amount, { basisPoints: rate, fixed: 0 }),
          at,
          orderDate: at,
          itemName: "",
        });
        continue;
      }
      const index = lines.findIndex(
        (line) =>
          line.merchantOrderNumber === fault.merchantOrderNumber && line.kind === (fault.kind === "drop_refund" ? "refund" : "payment"),
      );
      if (index === -1) continue;
      if (fault.kind === "drop_line" || fault.kind === "drop_refund") lines.splice(index, 1);
      else if (fault.kind === "change_amount") lines[index] = { ...lines[index]!, amount: fault.amount };
      else lines[index] = { ...lines[index]!, fee: fault.fee };
    }
    return lines.sort((a, b) => a.at.getTime() - b.at.getTime());
  }

  /** "2026-12-01 14:03:22", Taiwan time, as LINE Pay's report writes it. */
  const linePayDate = (moment: Date) => ecpayDate(moment).replaceAll("/", "-");
  /** ECPay writes numbers that must stay text as ="…", for spreadsheets. */
  const asText = (value: string) => `="${value}"`;

  /** ECPay's 下載特店對帳媒體檔 (new format, by payment date), MD5-signed like ECPay's vendor host wants it. */
  app.post("/PaymentMedia/TradeNoAio", express.urlencoded({ extended: false }), (req, res) => {
    const params = req.body as EcpayParams;
    const refuse = (message: string) => res.type("text/plain").send(message);
    if (
      params.MerchantID !== credentials.ecpayMerchantId ||
      !verifyCheckMacValue(params, credentials.ecpayHashKey, credentials.ecpayHashIv, "md5")
    )
      return void refuse("CheckMacValue Error");
    const date = /^\d{4}-\d{2}-\d{2}$/;
    if (!date.test(params.BeginDate ?? "") || !date.test(params.EndDate ?? "") || params.BeginDate! > params.EndDate!)
      return void refuse("BeginDate or EndDate Error");
    if (params.DateType !== "2") return void refuse("The sandbox gives the media file by payment date only (DateType=2)");
    if (params.MediaFormated !== "1") return void refuse("The sandbox writes the new format only (MediaFormated=1)");
    if ((params.CharSet ?? "2") !== "2") return void refuse("The sandbox writes UTF-8 only (CharSet=2)");
    const c = ECPAY_MEDIA_COLUMNS;
    const rows: string[][] = [
      [c.orderDate, c.paidAt, c.merchantOrderNumber, c.tradeNo, c.paymentType, c.status, c.amount, c.fee, c.payout, c.itemName, c.remark],
    ];
    for (let day = params.BeginDate!; day <= params.EndDate!; day = addDays(day, 1)) {
      for (const line of settlementLines("ecpay", day)) {
        const signed = line.kind === "refund" ? -line.amount : line.amount;
        rows.push([
          ecpayDate(line.orderDate),
          ecpayDate(line.at),
          asText(line.merchantOrderNumber),
          asText(line.transactionId),
          "Credit_CreditCard",
          line.kind === "refund" ? ECPAY_MEDIA_STATUS.refunded : ECPAY_MEDIA_STATUS.paid,
          String(signed),
          String(line.fee),
          String(signed - line.fee),
          line.itemName,
          "",
        ]);
      }
    }
    res.type("text/csv; charset=utf-8").send(stringify(rows, { record_delimiter: "windows" }));
  });

  /**
   * LINE Pay's settlement report, as its merchant center downloads it (with a
   * byte-order mark, CRLF), served here behind the channel's v3 signature:
   * LINE Pay itself has no download API (docs/decisions/020).
   */
  app.get("/merchant/settlement-report", (req, res) => {
    const query = new URLSearchParams(req.url.split("?")[1] ?? "").toString();
    if (!linePayAuthorized(req, res, query)) return;
    const day = String(req.query.date ?? "");
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return void linePayJson(res, { returnCode: "2101", returnMessage: "Parameter error: date." });
    const c = LINE_PAY_REPORT_COLUMNS;
    const rows: string[][] = [
      [c.date, c.type, c.transactionId, c.originalTransactionId, c.orderId, c.method, c.currency, c.amount, c.fee, c.settlement],
    ];
    for (const line of settlementLines("line_pay", day)) {
      const signed = line.kind === "refund" ? -line.amount : line.amount;
      rows.push([
        linePayDate(line.at),
        line.kind === "refund" ? "REFUND" : "PAYMENT",
        line.kind === "refund" ? (line.refundId ?? "") : line.transactionId,
        line.kind === "refund" ? line.transactionId : "",
        line.merchantOrderNumber,
        "BALANCE",
        "TWD",
        String(signed),
        String(line.fee),
        String(signed - line.fee),
      ]);
    }
    res.type("text/csv; charset=utf-8").send(stringify(rows, { record_delimiter: "windows", bom: true }));
  });

  // ---- ECPay, paid later: ATM virtual accounts, store codes and barcodes ---------

  /**
   * The payer asks for the account or code: it is issued, posted signed to
   * the shop's PaymentInfoURL (server to server), and the payer is sent back
   * with it to ClientRedirectURL. "In 1 minute" lets a test see a code expire;
   * its expiry then carries the time even for an ATM account (ECPay's own
   * ATM expiry is a day).
   */
  app.post(
    "/Cashier/issue/:merchantTradeNo",
    express.urlencoded({ extended: false }),
    asyncRoute(async (req, res) => {
      const merchantTradeNo = req.params.merchantTradeNo ?? "";
      const trade = ecpayTrades.get(merchantTradeNo);
      if (!trade || trade.status !== "unpaid" || trade.issued || !isPaidLater(trade)) {
        res.status(404).send(notFoundPage(sandboxLocale(undefined, (...languages) => req.acceptsLanguages(...languages))));
        return;
      }
      if (req.body.decision === "cancel") return void res.redirect(303, trade.params.ClientBackURL || "/");
      const now = new Date();
      const oneMinute = req.body.expiry === "one_minute";
      const choose = trade.params.ChoosePayment!;
      const endOfDayIn = (days: number) => new Date(`${addDays(taipeiDate(now), days)}T23:59:59+08:00`);
      const expiresAt = oneMinute
        ? new Date(now.getTime() + 60_000)
        : choose === "ATM"
          ? endOfDayIn(Number(trade.params.ExpireDate || 3))
          : choose === "CVS"
            ? new Date(now.getTime() + Number(trade.params.StoreExpireDate || 10_080) * 60_000)
            : endOfDayIn(Number(trade.params.StoreExpireDate || 7));
      const digits = (length: number) => Array.from({ length }, () => randomInt(10)).join("");
      const issuedFields: EcpayParams =
        choose === "ATM"
          ? { RtnCode: "2", RtnMsg: "Get VirtualAccount Succeeded", BankCode: "812", vAccount: `9103${digits(10)}` }
          : choose === "CVS"
            ? { RtnCode: "10100073", RtnMsg: "Get CVS Code Succeeded", PaymentNo: `LLL${digits(11)}` }
            : {
                RtnCode: "10100073",
                RtnMsg: "Get CVS Code Succeeded",
                Barcode1: `${ecpayDate(expiresAt).slice(2, 10).replaceAll("/", "")}6DM`,
                Barcode2: digits(16),
                Barcode3: `${digits(9)}${trade.params.TotalAmount!.padStart(6, "0")}`,
              };
      const info = ecpaySigned({
        MerchantID: credentials.ecpayMerchantId,
        MerchantTradeNo: merchantTradeNo,
        StoreID: "",
        TradeNo: trade.tradeNo,
        TradeAmt: trade.params.TotalAmount!,
        PaymentType: trade.paymentType,
        TradeDate: ecpayDate(now),
        CustomField1: trade.params.CustomField1 ?? "",
        ...issuedFields,
        ExpireDate: choose === "ATM" && !oneMinute ? ecpayDate(expiresAt).slice(0, 10) : ecpayDate(expiresAt),
      });
      trade.issued = { info, expiresAt };
      if (trade.params.PaymentInfoURL) await notify(trade.params.PaymentInfoURL, info, trade.params.ItemName ?? "");
      if (trade.params.ClientRedirectURL) res.send(postBackPage(ecpayLocale(trade.params), trade.params.ClientRedirectURL, info));
      else res.redirect(303, trade.params.ClientBackURL || "/");
    }),
  );

  const outstanding = () => [...ecpayTrades.entries()].filter(([, trade]) => trade.issued && trade.status === "unpaid");

  /** The tester's page: every account or code not yet paid, and buttons that pay it at the ATM or store. */
  app.get("/_sandbox/ecpay/pay-later", (req, res) => {
    const locale = sandboxLocale(String(req.query.lang ?? ""), (...languages) => req.acceptsLanguages(...languages));
    const t = sandboxT(locale);
    const now = Date.now();
    const rows = outstanding()
      .map(([no, trade]) => {
        const info = trade.issued!.info;
        const what = info.vAccount
          ? `${info.BankCode} ${info.vAccount}`
          : info.PaymentNo || [info.Barcode1, info.Barcode2, info.Barcode3].join(" ");
        const expired = trade.issued!.expiresAt.getTime() <= now ? ` (${t("gateway.laterExpired")})` : "";
        const button = (mode: string, label: string, secondary = true) =>
          `<form method="post" action="/_sandbox/ecpay/pay-later/${escapeHtml(no)}/pay"><input type="hidden" name="mode" value="${mode}"><button type="submit"${secondary ? ' class="secondary"' : ""}>${escapeHtml(label)}</button></form>`;
        return `<tr><td>${escapeHtml(no)}</td><td>NT$ ${escapeHtml(trade.params.TotalAmount!)}</td><td>${escapeHtml(what)}</td>
<td>${escapeHtml(ecpayDate(trade.issued!.expiresAt))}${escapeHtml(expired)}</td>
<td>${button("once", t("gateway.payNow"), false)}${button("twice", t("gateway.payTwice"))}${button("late", t("gateway.payLate"))}</td></tr>`;
      })
      .join("");
    res.send(
      payerPage(
        locale,
        t("gateway.laterListTitle"),
        `<h1>${escapeHtml(t("gateway.laterListHeading"))}</h1>${
          rows
            ? `<table><thead><tr><th scope="col">${escapeHtml(t("gateway.order"))}</th><th scope="col">${escapeHtml(t("gateway.amount"))}</th><th scope="col">${escapeHtml(t("gateway.instructions"))}</th><th scope="col">${escapeHtml(t("gateway.expires"))}</th><th scope="col">${escapeHtml(t("gateway.actions"))}</th></tr></thead><tbody>${rows}</tbody></table>`
            : `<p>${escapeHtml(t("gateway.laterNone"))}</p>`
        }`,
      ),
    );
  });

  /** An outstanding account or code, as issued (for tests). */
  app.get("/_sandbox/ecpay/pay-later/:merchantTradeNo", (req, res) => {
    const trade = ecpayTrades.get(req.params.merchantTradeNo);
    if (!trade?.issued) return void res.status(404).json({ error: "no account or code issued for this trade" });
    res.json({ status: trade.status, expiresAt: trade.issued.expiresAt.toISOString(), info: trade.issued.info });
  });

  /**
   * The payer pays at the ATM or store: the signed paid notice goes to
   * ReturnURL (RtnCode 1). `mode`: "once"; "twice" (the notice repeated);
   * "late" (the money comes after the expiry, as a bank's late transfer;
   * otherwise an expired code is refused, as the store would). A form post
   * comes back to the list; JSON gets the portal's answers.
   */
  app.post(
    "/_sandbox/ecpay/pay-later/:merchantTradeNo/pay",
    express.urlencoded({ extended: false }),
    express.json(),
    asyncRoute(async (req, res) => {
      const asJson = req.is("application/json") !== false;
      const trade = ecpayTrades.get(req.params.merchantTradeNo ?? "");
      if (!trade?.issued || trade.status !== "unpaid") return void res.status(404).json({ error: "nothing outstanding for this trade" });
      const mode = String((req.body as { mode?: unknown }).mode ?? "once");
      if (trade.issued.expiresAt.getTime() <= Date.now() && mode !== "late") return void res.status(409).json({ error: "expired" });
      trade.status = "paid";
      trade.paidAt = new Date();
      const result = tradeResult(req.params.merchantTradeNo ?? "", trade);
      const answers: string[] = [];
      for (let copy = 0; copy < (mode === "twice" ? 2 : 1); copy++) {
        answers.push(
          await fetch(trade.params.ReturnURL!, { method: "POST", body: new URLSearchParams(result), signal: AbortSignal.timeout(10_000) })
            .then((response) => response.text())
            .catch((error: unknown) => `no answer: ${String(error)}`),
        );
      }
      if (asJson) res.json({ paid: true, answers });
      else res.redirect(303, "/_sandbox/ecpay/pay-later");
    }),
  );

  // ---- Test controls ----------------------------------------------------------

  /** The changes the next settlement files carry, replacing any set before: `{ faults: [...] }` (none: as settled). */
  app.post("/_sandbox/settlement-faults", express.json(), (req, res) => {
    const faults = (req.body as { faults?: unknown }).faults;
    gateway.settlement.faults = Array.isArray(faults) ? (faults as SettlementFault[]) : [];
    res.json({ faults: gateway.settlement.faults });
  });

  /**
   * ECPay's merchant back office "simulate payment" (模擬付款) button: a
   * correctly signed paid notice with SimulatePaid=1 to the trade's
   * ReturnURL. No money moves; the trade stays unpaid.
   */
  app.post(
    "/_sandbox/ecpay/simulate-paid",
    express.json(),
    asyncRoute(async (req, res) => {
      const merchantTradeNo = String((req.body as { merchantTradeNo?: unknown }).merchantTradeNo ?? "");
      const trade = ecpayTrades.get(merchantTradeNo);
      if (!trade) return void res.status(404).json({ error: "no such trade" });
      const notice = ecpaySigned({
        ...tradeResult(merchantTradeNo, { ...trade, status: "paid", paidAt: new Date() }),
        SimulatePaid: "1",
        CheckMacValue: "",
      });
      const answer = await fetch(trade.params.ReturnURL!, {
        method: "POST",
        body: new URLSearchParams(notice),
        signal: AbortSignal.timeout(10_000),
      })
        .then((response) => response.text())
        .catch((error: unknown) => `no answer: ${String(error)}`);
      res.json({ sent: true, answer });
    }),
  );

  app.post("/_sandbox/faults", express.json(), (req, res) => {
    Object.assign(gateway.faults, NO_FAULTS, req.body as Partial<SandboxFaults>);
    res.json(gateway.faults);
  });

  return gateway;
}
