import { describe, expect, it } from "vitest";
import { normalizeBindingLabel, normalizeBindingValue } from "./member";

describe("numbers a member binds", () => {
  it("stores plates in their printed form, whatever the member typed", () => {
    expect(normalizeBindingValue("vehicle_plate", "bkr 2046")).toEqual({ ok: true, value: "BKR-2046" });
    expect(normalizeBindingValue("vehicle_plate", "ＭＨＶ－３８５")).toEqual({ ok: true, value: "MHV-385" });
    expect(normalizeBindingValue("vehicle_plate", "AB1234")).toEqual({ ok: false, problem: "plate_ambiguous" });
    expect(normalizeBindingValue("vehicle_plate", "BIO-1234")).toEqual({ ok: false, problem: "plate_letters_i_o" });
    expect(normalizeBindingValue("vehicle_plate", "12345678")).toEqual({ ok: false, problem: "plate_shape" });
    expect(normalizeBindingValue("vehicle_plate", "   ")).toEqual({ ok: false, problem: "empty" });
  });

  it("checks the electricity account's check digit and the water account's shape", () => {
    expect(normalizeBindingValue("electricity_account", "01-2345-6789-7")).toEqual({ ok: true, value: "01234567897" });
    expect(normalizeBindingValue("electricity_account", "01234567898")).toEqual({ ok: false, problem: "electricity_check" });
    expect(normalizeBindingValue("electricity_account", "0123456789")).toEqual({ ok: false, problem: "electricity_shape" });
    expect(normalizeBindingValue("water_account", "04 1234 5678 5")).toEqual({ ok: true, value: "04-12345678-5" });
    expect(normalizeBindingValue("water_account", "04-1234567-5")).toEqual({ ok: false, problem: "water_shape" });
  });

  it("keeps labels short and tidy", () => {
    expect(normalizeBindingLabel("  媽媽的\n機車 ")).toEqual({ ok: true, label: "媽媽的 機車" });
    expect(normalizeBindingLabel("車".repeat(30))).toEqual({ ok: true, label: "車".repeat(30) });
    expect(normalizeBindingLabel("車".repeat(31))).toEqual({ ok: false, problem: "label_long" });
  });
});
