import { taipeiDate } from "../../app/domain/dates";
import { generateDemoData } from "../../app/demo/data/generate";

/**
 * Unpaid demo bills for tests that pay: the first four bills of each type are
 * the README's showcase (left alone), so these come from the rest. The demo
 * data is deterministic: these are the bills the e2e server seeded. Each test
 * takes its own slice (`from`), so parallel tests never pay the same bill.
 */
const bills = generateDemoData({ today: taipeiDate() }).bills;

export function unpaidDemoBills(billTypeCode: string, from: number, count: number): string[] {
  const today = taipeiDate();
  const picked = bills
    .filter((bill) => bill.billTypeCode === billTypeCode)
    .slice(4)
    .filter((bill) => bill.status === "unpaid" && bill.dueDate >= today)
    .slice(from, from + count)
    .map((bill) => bill.writeOffNumber);
  if (picked.length < count) throw new Error(`not enough unpaid ${billTypeCode} demo bills`);
  return picked;
}

/** The name printed on a demo bill (personal data: the back office shows it masked until revealed). */
export function demoPayerName(writeOffNumber: string): string {
  const bill = bills.find((b) => b.writeOffNumber === writeOffNumber);
  if (!bill) throw new Error(`no demo bill ${writeOffNumber}`);
  return bill.payerName;
}
