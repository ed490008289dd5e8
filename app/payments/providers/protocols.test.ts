import { describe, expect, it } from "vitest";
import { checkMacValue, ecpayDate, parseEcpayDate, verifyCheckMacValue, withCheckMacValue } from "./ecpay-protocol.server";
import { linePaySignature, parseLinePayJson, stringifyLinePayJson, verifyLinePaySignature } from "./line-pay-protocol.server";

describe("ECPay CheckMacValue", () => {
  const key = "pwFHCqoQZGmho4w6";
  const iv = "EkRm7iFT261dpevs";
  const official = {
    ChoosePayment: "ALL",
    EncryptType: "1",
    ItemName: "Apple iphone 15",
    MerchantID: "3002607",
    MerchantTradeDate: "2023/03/12 15:30:23",
    MerchantTradeNo: "ecpay20230312153023",
    PaymentType: "aio",
    ReturnURL: "https://www.ecpay.com.tw/receive.php",
    TotalAmount: "30000",
    TradeDesc: "促銷方案",
  };

  it("matches ECPay's official test vector", () => {
    expect(checkMacValue(official, key, iv)).toBe("6C51C9E6888DE861FD62FB1DD17029FC742634498FD813DC43D4243B5685B840");
  });

  it("ignores the order of parameters and an existing CheckMacValue", () => {
    const shuffled = Object.fromEntries(Object.entries(official).reverse());
    expect(checkMacValue({ ...shuffled, CheckMacValue: "X" }, key, iv)).toBe(checkMacValue(official, key, iv));
  });

  it("verifies signed parameters and refuses any change", () => {
    const signed = withCheckMacValue(official, key, iv);
    expect(verifyCheckMacValue(signed, key, iv)).toBe(true);
    expect(verifyCheckMacValue({ ...signed, TotalAmount: "30001" }, key, iv)).toBe(false);
    expect(verifyCheckMacValue({ ...signed, CheckMacValue: signed.CheckMacValue!.toLowerCase() }, key, iv)).toBe(true);
    expect(verifyCheckMacValue(signed, key, "another-iv")).toBe(false);
    expect(verifyCheckMacValue({ ...official }, key, iv)).toBe(false);
  });

  it("writes and reads ECPay dates in Taiwan time", () => {
    expect(ecpayDate(new Date("2026-11-21T16:30:05Z"))).toBe("2026/11/22 00:30:05");
    expect(parseEcpayDate("2026/11/22 00:30:05")?.toISOString()).toBe("2026-11-21T16:30:05.000Z");
    expect(parseEcpayDate("yesterday")).toBeNull();
  });
});

describe("LINE Pay signatures and answers", () => {
  it("signs channel secret + path + body + nonce", () => {
    const body = '{"amount":100}';
    const signature = linePaySignature("secret", "/v3/payments/request", body, "nonce-1");
    // printf 'secret/v3/payments/request{"amount":100}nonce-1' | openssl dgst -sha256 -hmac secret -binary | base64
    expect(signature).toBe("uVdoXfryRWbBTwZT8w+Eq2ww6jMno6nqeuccdPIQQe4=");
    expect(verifyLinePaySignature("secret", "/v3/payments/request", body, "nonce-1", signature)).toBe(true);
    expect(verifyLinePaySignature("secret", "/v3/payments/request", '{"amount":101}', "nonce-1", signature)).toBe(false);
    expect(verifyLinePaySignature("secret", "/v3/payments/request", body, "nonce-2", signature)).toBe(false);
  });

  it("keeps 19-digit transaction ids exact", () => {
    const text = '{"returnCode":"0000","info":{"transactionId":2026112100012345678,"paymentUrl":{"web":"x"}}}';
    const parsed = parseLinePayJson<{ info: { transactionId: string } }>(text);
    expect(parsed.info.transactionId).toBe("2026112100012345678");
    // What JSON.parse alone would have made of it:
    expect(String(JSON.parse(text).info.transactionId)).not.toBe("2026112100012345678");
    expect(stringifyLinePayJson(parsed)).toBe(text);
  });
});
