import { describe, expect, it } from "vitest";
import type { PaymentTool } from "~/domain/payment-tools";
import type { OrderForProvider } from "./adapter.server";
import { ecpayAdapter } from "./ecpay.server";
import { withCheckMacValue } from "./ecpay-protocol.server";

// ECPay's published stage credentials (the official test vector's).
const config = {
  checkoutUrl: "https://payment-stage.ecpay.com.tw/Cashier/AioCheckOut/V5",
  apiUrl: "https://payment-stage.ecpay.com.tw",
  merchantId: "3002607",
  hashKey: "pwFHCqoQZGmho4w6",
  hashIv: "EkRm7iFT261dpevs",
  creditCheckCode: null,
  vendorUrl: undefined,
};
const adapter = ecpayAdapter(config, 1000, { atmDays: 3, storeCodeMinutes: 4320, storeBarcodeDays: 5 });
const callbacks = {
  returnUrl: "https://portal.example/payments/callbacks/ecpay/return",
  cancelUrl: "https://portal.example/payments/callbacks/ecpay/cancel?order=P2612020000000001",
  notifyUrl: "https://portal.example/payments/callbacks/ecpay/notify",
  paymentInfoUrl: "https://portal.example/payments/callbacks/ecpay/payment-info",
};
const order = (paymentTool: PaymentTool): OrderForProvider => ({
  reference: "P2612020000000001",
  paymentTool,
  totalAmount: 1234,
  createdAt: new Date("2026-12-02T02:00:00Z"),
  providerTransactionId: "2612021234567890",
  items: [{ name: "水費 12345678901", amount: 1234 }],
  paidDetails: null,
});
const signed = (params: Record<string, string>) => withCheckMacValue(params, config.hashKey, config.hashIv);
const common = {
  MerchantID: "3002607",
  MerchantTradeNo: "P2612020000000001",
  StoreID: "",
  TradeNo: "2612021234567890",
  TradeAmt: "1234",
  TradeDate: "2026/12/02 10:00:00",
};
const read = (form: Record<string, string>) => adapter.notices!.read({ query: {}, form });

describe("ECPay, paid later", () => {
  it("asks for an ATM account with PaymentInfoURL, the payer's way back and the configured days", async () => {
    const started = await adapter.start(order("atm_transfer"), callbacks, { locale: "zh-TW" });
    if (started.kind !== "form") throw new Error("a form");
    expect(started.fields).toMatchObject({
      ChoosePayment: "ATM",
      ExpireDate: "3",
      PaymentInfoURL: callbacks.paymentInfoUrl,
      ClientRedirectURL: callbacks.returnUrl,
      ReturnURL: callbacks.notifyUrl,
    });
    expect(started.fields.OrderResultURL).toBeUndefined();
    expect(started.fields.NeedExtraPaidInfo).toBeUndefined();
  });

  it("asks for a store code in minutes, barcodes in days, and 台灣Pay as a payment made at once", async () => {
    const fieldsOf = async (tool: PaymentTool) => {
      const started = await adapter.start(order(tool), callbacks, { locale: "en" });
      if (started.kind !== "form") throw new Error("a form");
      return started.fields;
    };
    expect(await fieldsOf("store_code")).toMatchObject({ ChoosePayment: "CVS", StoreExpireDate: "4320" });
    expect(await fieldsOf("store_barcode")).toMatchObject({ ChoosePayment: "BARCODE", StoreExpireDate: "5" });
    const twqr = await fieldsOf("taiwan_pay");
    expect(twqr).toMatchObject({ ChoosePayment: "TWQR", OrderResultURL: callbacks.returnUrl });
    expect(twqr.PaymentInfoURL).toBeUndefined();
  });

  it("reads a signed ATM account, good through the end of its last day in Taiwan", () => {
    const notice = read(
      signed({
        ...common,
        RtnCode: "2",
        RtnMsg: "Get VirtualAccount Succeeded",
        PaymentType: "ATM_TAISHIN",
        BankCode: "812",
        vAccount: "9103522175887271",
        ExpireDate: "2026/12/05",
      }),
    );
    expect(notice).toMatchObject({
      kind: "answer",
      reference: "P2612020000000001",
      answer: {
        outcome: "awaiting_payment",
        instructions: { kind: "atm", bankCode: "812", account: "9103522175887271", expiresAt: "2026-12-05T15:59:59.000Z" },
      },
    });
  });

  it("reads a store code and the three barcodes with their expiry", () => {
    expect(
      read(
        signed({ ...common, RtnCode: "10100073", PaymentType: "CVS_CVS", PaymentNo: "LLL22251222222", ExpireDate: "2026/12/05 10:00:00" }),
      ),
    ).toMatchObject({
      answer: {
        outcome: "awaiting_payment",
        instructions: { kind: "store_code", code: "LLL22251222222", expiresAt: "2026-12-05T02:00:00.000Z" },
      },
    });
    expect(
      read(
        signed({
          ...common,
          RtnCode: "10100073",
          PaymentType: "BARCODE_BARCODE",
          Barcode1: "261207DM6",
          Barcode2: "1234567890123456",
          Barcode3: "120700000001234",
          ExpireDate: "2026/12/07 23:59:59",
        }),
      ),
    ).toMatchObject({
      answer: {
        outcome: "awaiting_payment",
        instructions: { kind: "store_barcode", barcodes: ["261207DM6", "1234567890123456", "120700000001234"] },
      },
    });
  });

  it("refuses a payment-info post whose signature does not match", () => {
    const genuine = signed({
      ...common,
      RtnCode: "2",
      PaymentType: "ATM_TAISHIN",
      BankCode: "812",
      vAccount: "9103522175887271",
      ExpireDate: "2026/12/05",
    });
    expect(read({ ...genuine, vAccount: "9103000000000000" })).toMatchObject({ kind: "rejected", reference: "P2612020000000001" });
  });

  it("reads a failed issue (another RtnCode) or an issue without a usable account as declined", () => {
    expect(read(signed({ ...common, RtnCode: "10100050", PaymentType: "ATM_TAISHIN", ExpireDate: "" }))).toMatchObject({
      answer: { outcome: "declined" },
    });
    expect(
      read(signed({ ...common, RtnCode: "2", PaymentType: "ATM_TAISHIN", BankCode: "812", vAccount: "", ExpireDate: "2026/12/05" })),
    ).toMatchObject({
      answer: { outcome: "declined" },
    });
  });

  it("reads the later paid notice as paid", () => {
    expect(
      read(
        signed({
          ...common,
          RtnCode: "1",
          RtnMsg: "交易成功",
          PaymentType: "ATM_TAISHIN",
          PaymentDate: "2026/12/03 09:15:00",
          SimulatePaid: "0",
        }),
      ),
    ).toMatchObject({ answer: { outcome: "paid", amount: 1234, transactionId: "2612021234567890" } });
  });

  it("says plainly that an ATM or store payment cannot be refunded through ECPay, without calling it", async () => {
    const refused = await adapter.refund(order("store_code"), 1234);
    expect(refused).toMatchObject({ ok: false, refundId: null, payload: { reason: "manual_bank_transfer" } });
  });
});
