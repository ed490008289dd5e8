import { normalizeElectricityAccount, normalizeWaterAccount, parsePlate } from "./identifiers";
import { foldIdentifier } from "./text";

/** Kinds of number a member can bind (綁定) to see pending bills automatically. */
export const BINDING_KINDS = ["vehicle_plate", "water_account", "electricity_account"] as const;
export type BindingKind = (typeof BINDING_KINDS)[number];

export const isBindingKind = (value: unknown): value is BindingKind => BINDING_KINDS.includes(value as BindingKind);

/**
 * How many numbers of each kind one member may bind: a household's vehicles
 * and the accounts of a home and perhaps a shop or a parent's home. The limit
 * also bounds the work one dashboard asks of the outside sources.
 */
export const BINDING_LIMITS: Record<BindingKind, number> = {
  vehicle_plate: 5,
  water_account: 3,
  electricity_account: 3,
};

/** A member's own name for a binding ("媽媽的機車"). */
export const BINDING_LABEL_MAX = 30;

export type BindingValueProblem =
  "empty" | "plate_shape" | "plate_ambiguous" | "plate_letters_i_o" | "water_shape" | "electricity_shape" | "electricity_check";

export type BindingValueResult = { ok: true; value: string } | { ok: false; problem: BindingValueProblem };

/**
 * The canonical form of a number to bind, in the form bills print it (and
 * store it as their subject): plates `ABC-1234`, water accounts
 * `04-12345678-5`, electricity accounts 11 digits.
 */
export function normalizeBindingValue(kind: BindingKind, raw: string): BindingValueResult {
  if (raw.trim() === "") return { ok: false, problem: "empty" };
  switch (kind) {
    case "vehicle_plate": {
      const plate = parsePlate(raw);
      return plate.ok ? { ok: true, value: plate.plate } : { ok: false, problem: `plate_${plate.problem}` };
    }
    case "water_account": {
      const account = normalizeWaterAccount(raw);
      return account ? { ok: true, value: account } : { ok: false, problem: "water_shape" };
    }
    case "electricity_account": {
      // The check digit catches most mistyped digits before a source is asked about a stranger's account.
      const account = normalizeElectricityAccount(raw);
      if (account) return { ok: true, value: account };
      return { ok: false, problem: /^\d{11}$/.test(foldIdentifier(raw)) ? "electricity_check" : "electricity_shape" };
    }
  }
}

export type BindingLabelResult = { ok: true; label: string } | { ok: false; problem: "label_long" };

export function normalizeBindingLabel(raw: string): BindingLabelResult {
  const label = raw.normalize("NFC").replace(/\s+/gu, " ").trim();
  return [...label].length > BINDING_LABEL_MAX ? { ok: false, problem: "label_long" } : { ok: true, label };
}

/**
 * Outside systems bills come from, and what each may answer about: the kind
 * of number it is asked with and the bill types it issues. A source's answer
 * outside these is ignored, so one source cannot put bills of another agency
 * in front of members. The water company, the power company and the parking
 * system are asked with a member's bound numbers; the e-counter (服務e櫃檯)
 * with case numbers: its bills are the fees of applications (docs/ecounter-cases.md),
 * bound to no number a member types.
 */
export const BILL_SOURCES = {
  water: { bindingKind: "water_account", billTypes: ["water-bill"] },
  power: { bindingKind: "electricity_account", billTypes: ["electricity-bill"] },
  parking: { bindingKind: "vehicle_plate", billTypes: ["parking-fee"] },
  ecounter: {
    bindingKind: null,
    billTypes: ["accident-assessment-fee", "environmental-fine", "labor-fine", "animal-protection-fine"],
  },
} as const satisfies Record<string, { bindingKind: BindingKind | null; billTypes: readonly string[] }>;

export type BillSourceId = keyof typeof BILL_SOURCES;
export const BILL_SOURCE_IDS = Object.keys(BILL_SOURCES) as BillSourceId[];

/** The sources asked with a member's bound numbers (configured in `BILL_SOURCES`). */
export type BindingSourceId = { [K in BillSourceId]: (typeof BILL_SOURCES)[K]["bindingKind"] extends null ? never : K }[BillSourceId];
export const BINDING_SOURCE_IDS = BILL_SOURCE_IDS.filter((source): source is BindingSourceId => BILL_SOURCES[source].bindingKind !== null);
