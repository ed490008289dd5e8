import type { BillStatus, PaymentChannel } from "~/domain/catalogue";
import { addDays, rocPeriod } from "~/domain/dates";
import { electricityCheckDigit } from "~/domain/identifiers";
import { completeNationalId } from "~/domain/national-id";
import { withCheckDigit } from "~/domain/write-off-number";
import { DEMO_BILL_TYPES, type DemoBillType } from "./catalogue";

/**
 * Deterministic demo residents and bills. The same seed gives the same write-off
 * numbers, so the numbers printed in the README keep working; dates are
 * relative to the day the database is seeded, so there are always bills due
 * soon and bills overdue.
 */

export interface DemoResident {
  name: string;
  nationalId: string;
  plates: string[];
  waterAccount: string;
  electricityAccount: string;
  gasAccount: string;
  studentNumber: string;
}

export interface DemoBill {
  billTypeCode: string;
  writeOffNumber: string;
  payerName: string;
  payerNationalId: string;
  subject: string;
  amount: number;
  issuedOn: string;
  dueDate: string;
  period: string;
  status: BillStatus;
  paidAt: Date | null;
  paidChannel: PaymentChannel | null;
}

/** mulberry32: tiny, fast and good enough for demo data (not for secrets). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const int = (random: Random, min: number, max: number) => min + Math.floor(random() * (max - min + 1));
const digits = (random: Random, count: number) => Array.from({ length: count }, () => int(random, 0, 9)).join("");

const SURNAMES = [..."陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周徐蘇葉莊呂江何蕭羅高潘簡朱鍾彭游詹胡施沈余盧梁趙顏柯翁魏孫戴"];
const GIVEN = [..."美芯志明家豪怡君淑芬俊傑雅婷宗翰佩珊建宏欣怡冠宇詩涵承恩宜蓁柏翰品妤彥廷若瑜信宏靜宜博文思妤子晴韋成"];
// Plates issued since 2012 do not use I or O.
const PLATE_LETTERS = [..."ABCDEFGHJKLMNPQRSTUVWXYZ"];

function plate(random: Random): string {
  const letters = (n: number) => Array.from({ length: n }, () => pick(random, PLATE_LETTERS)).join("");
  const shape = random();
  if (shape < 0.6) return `${letters(3)}-${digits(random, 4)}`; // car since 2012
  if (shape < 0.85) return `${letters(3)}-${digits(random, 3)}`; // motorcycle
  return `${letters(2)}-${digits(random, 4)}`; // older car
}

function electricityAccount(random: Random): string {
  const firstTen = `07${digits(random, 8)}`;
  return `${firstTen}${electricityCheckDigit(firstTen)}`;
}

function generateResidents(count: number, random: Random): DemoResident[] {
  const residents: DemoResident[] = [];
  for (let i = 0; i < count; i++) {
    const female = random() < 0.5;
    // B is the letter of IDs first issued in Taichung.
    const letter = random() < 0.7 ? "B" : pick(random, [..."ALNMP"]);
    residents.push({
      name: pick(random, SURNAMES) + pick(random, GIVEN) + pick(random, GIVEN),
      nationalId: completeNationalId(`${letter}${female ? 2 : 1}${digits(random, 7)}`),
      plates: Array.from({ length: int(random, 0, 2) }, () => plate(random)),
      waterAccount: `04-${digits(random, 8)}-${digits(random, 1)}`,
      electricityAccount: electricityAccount(random),
      gasAccount: `38${digits(random, 8)}`,
      studentNumber: `${int(random, 112, 115)}${digits(random, 5)}`,
    });
  }
  // A fixed first resident the README and the tests can name.
  residents[0] = {
    name: "林美芯",
    nationalId: completeNationalId("B22345678"),
    plates: ["BKR-2046", "MHV-385"],
    waterAccount: "04-12345678-5",
    electricityAccount: `0712345678${electricityCheckDigit("0712345678")}`,
    gasAccount: "3800012345",
    studentNumber: "11400123",
  };
  return residents;
}

function amountFor(type: DemoBillType, random: Random): number {
  if ("choices" in type.amounts) return pick(random, type.amounts.choices);
  const { min, max, step } = type.amounts;
  return min + step * int(random, 0, Math.floor((max - min) / step));
}

function subjectFor(type: DemoBillType, resident: DemoResident, serial: number, random: Random): string | null {
  switch (type.subjectKind) {
    case "vehicle_plate":
      return resident.plates.length > 0 ? pick(random, resident.plates) : null;
    case "water_account":
      return resident.waterAccount;
    case "electricity_account":
      return resident.electricityAccount;
    case "gas_account":
      return resident.gasAccount;
    case "student_number":
      return resident.studentNumber;
    case "case_number":
      return `${type.writeOff.prefix || "CS"}-115-${String(serial).padStart(6, "0")}`;
  }
}

/** Write-off number of the n-th demo bill of a type: prefix, batch, serial, check digit. */
function demoWriteOffNumber(type: DemoBillType, serial: number): string {
  const { prefix, length, check } = type.writeOff;
  const batch = type.batch ?? "115";
  const bodyLength = length - prefix.length - (check === "none" ? 0 : 1);
  const body = `${batch}${String(serial).padStart(bodyLength - batch.length, "0")}`;
  return withCheckDigit(prefix + body, type.writeOff);
}

function taipeiTimestamp(isoDate: string, random: Random): Date {
  return new Date(`${isoDate}T${String(int(random, 8, 21)).padStart(2, "0")}:${String(int(random, 0, 59)).padStart(2, "0")}:00+08:00`);
}

interface Outcome {
  status: BillStatus;
  dueDate: string;
  paidOn: string | null;
}

// The first four bills of every type are the ones the README lists.
function showcaseOutcome(serial: number, today: string): Outcome | null {
  switch (serial) {
    case 1:
      return { status: "unpaid", dueDate: addDays(today, 25), paidOn: null };
    case 2:
      return { status: "unpaid", dueDate: addDays(today, -10), paidOn: null };
    case 3:
      return { status: "paid", dueDate: addDays(today, 12), paidOn: addDays(today, -3) };
    case 4:
      return { status: "cancelled", dueDate: addDays(today, 5), paidOn: null };
    default:
      return null;
  }
}

function randomOutcome(today: string, random: Random): Outcome {
  const roll = random();
  if (roll < 0.65) return { status: "unpaid", dueDate: addDays(today, int(random, -90, 60)), paidOn: null };
  const dueDate = addDays(today, int(random, -200, 20));
  const beforeDue = addDays(dueDate, -int(random, 0, 15));
  const paidOn = beforeDue < today ? beforeDue : addDays(today, -1);
  if (roll < 0.87) return { status: "paid", dueDate, paidOn };
  if (roll < 0.95) return { status: "written_off", dueDate, paidOn };
  return { status: "cancelled", dueDate, paidOn: null };
}

/**
 * The resident whose electricity number the power simulator reports three
 * bills for: one due tomorrow, one due in two days and one due in two weeks,
 * so a tester can pay the first before leaving an address and then see a
 * due-date reminder for the second only. No spec but the reminders' uses
 * this resident.
 */
export const REMINDER_SHOWCASE_RESIDENT = 9;

export interface DemoDataOptions {
  /** Today's date in Taiwan (YYYY-MM-DD). */
  today: string;
  billsPerType?: number;
  residents?: number;
  seed?: number;
}

export function generateDemoData(options: DemoDataOptions): { residents: DemoResident[]; bills: DemoBill[] } {
  const random = seededRandom(options.seed ?? 20261121);
  const residents = generateResidents(options.residents ?? 800, random);
  const perType = options.billsPerType ?? 240;
  const bills: DemoBill[] = [];

  for (const type of DEMO_BILL_TYPES) {
    const channels: PaymentChannel[] =
      type.category === "utility" ? ["convenience_store", "bank", "auto_debit"] : ["convenience_store", "bank", "agency_counter"];
    for (let serial = 1; serial <= perType; serial++) {
      // Resident 0 owns the showcase bills, so a member bound to their plate sees them.
      let resident = serial <= 4 ? residents[0]! : pick(random, residents);
      let subject = subjectFor(type, resident, serial, random);
      while (subject === null) {
        resident = pick(random, residents);
        subject = subjectFor(type, resident, serial, random);
      }
      const outcome = showcaseOutcome(serial, options.today) ?? randomOutcome(options.today, random);
      const latestIssue = outcome.paidOn && outcome.paidOn < addDays(outcome.dueDate, -20) ? outcome.paidOn : addDays(outcome.dueDate, -20);
      const issuedOn = addDays(latestIssue, -int(random, 0, 25));
      const paid = outcome.status === "paid" || outcome.status === "written_off";
      bills.push({
        billTypeCode: type.code,
        writeOffNumber: demoWriteOffNumber(type, serial),
        payerName: resident.name,
        payerNationalId: resident.nationalId,
        subject,
        amount: amountFor(type, random),
        issuedOn,
        dueDate: outcome.dueDate,
        period: rocPeriod(issuedOn),
        status: outcome.status,
        paidAt: paid && outcome.paidOn ? taipeiTimestamp(outcome.paidOn, random) : null,
        paidChannel: paid ? pick(random, channels) : null,
      });
    }
  }
  return { residents, bills };
}
