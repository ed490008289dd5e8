/** Kinds of number a member can bind (綁定) to see pending bills automatically. */
export const BINDING_KINDS = ["vehicle_plate", "water_account", "electricity_account"] as const;
export type BindingKind = (typeof BINDING_KINDS)[number];
