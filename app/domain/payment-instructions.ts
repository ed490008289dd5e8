/**
 * Payment instructions (繳費資訊) a provider issues for a tool paid later:
 * an ATM virtual account (虛擬帳號), a convenience-store payment code (超商代碼),
 * or the three convenience-store barcodes (超商條碼). Stored on the order as
 * the provider gave them; `expiresAt` is when the provider stops accepting
 * them (ISO 8601). Every field is shown to the payer only: mails and lists
 * carry the masked form.
 */
export type PaymentInstructions =
  | { kind: "atm"; bankCode: string; account: string; expiresAt: string }
  | { kind: "store_code"; code: string; expiresAt: string }
  | { kind: "store_barcode"; barcodes: [string, string, string]; expiresAt: string };

/** How long before the instructions expire a payer who left an e-mail address is reminded (hours). */
export const CODE_REMINDER_HOURS_BEFORE = 24;

/** Instructions that have not yet expired at `now`. */
export function instructionsOutstanding(instructions: PaymentInstructions | null, now: Date): boolean {
  return instructions !== null && new Date(instructions.expiresAt).getTime() > now.getTime();
}
