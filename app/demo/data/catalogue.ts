import type { AgencyKind, BillCategory, SubjectKind } from "~/domain/catalogue";
import type { PaymentTool } from "~/domain/payment-tools";
import type { WriteOffRule } from "~/domain/write-off-number";
import type { AgencyRole } from "~/domain/staff";

/**
 * Demo catalogue modelled on Taichung's 支付繳費通: city fines and fees from
 * several bureaus, and living fees from utility companies. Agencies are real
 * public bodies; every bill generated for them is fictional.
 */

export interface DemoAgency {
  code: string;
  nameZh: string;
  nameEn: string;
  kind: AgencyKind;
  phone: string | null;
  websiteUrl: string | null;
  /** Who approves a refund after the handler's request (default: reviewer, then releaser). */
  refundApprovalChain?: AgencyRole[];
}

export interface DemoBillType {
  code: string;
  agencyCode: string;
  nameZh: string;
  nameEn: string;
  category: BillCategory;
  subjectKind: SubjectKind;
  collectionItemCode: string;
  writeOff: WriteOffRule;
  writeOffHintZh: string;
  writeOffHintEn: string;
  paymentTools: PaymentTool[];
  /** Leading digits of the demo numbers, so types without a prefix do not share numbers. */
  batch?: string;
  /** Plausible amounts in NT$, one picked per bill. */
  amounts: { choices: number[] } | { min: number; max: number; step: number };
}

const CITY_SWITCHBOARD = "04-2228-9111";

export const DEMO_AGENCIES: DemoAgency[] = [
  {
    code: "police",
    nameZh: "臺中市政府警察局",
    nameEn: "Taichung City Police Department",
    kind: "city_government",
    phone: CITY_SWITCHBOARD,
    websiteUrl: "https://www.police.taichung.gov.tw/",
  },
  {
    code: "transportation",
    nameZh: "臺中市政府交通局",
    nameEn: "Transportation Bureau, Taichung City Government",
    kind: "city_government",
    phone: CITY_SWITCHBOARD,
    websiteUrl: "https://www.traffic.taichung.gov.tw/",
  },
  {
    code: "environment",
    nameZh: "臺中市政府環境保護局",
    nameEn: "Environmental Protection Bureau, Taichung City Government",
    kind: "city_government",
    phone: CITY_SWITCHBOARD,
    websiteUrl: "https://www.epb.taichung.gov.tw/",
  },
  {
    code: "economic",
    nameZh: "臺中市政府經濟發展局",
    nameEn: "Economic Development Bureau, Taichung City Government",
    kind: "city_government",
    phone: CITY_SWITCHBOARD,
    websiteUrl: "https://www.economic.taichung.gov.tw/",
  },
  {
    code: "urban-development",
    nameZh: "臺中市政府都市發展局",
    nameEn: "Urban Development Bureau, Taichung City Government",
    kind: "city_government",
    phone: CITY_SWITCHBOARD,
    websiteUrl: "https://www.ud.taichung.gov.tw/",
  },
  {
    code: "labor",
    nameZh: "臺中市政府勞工局",
    nameEn: "Labor Affairs Bureau, Taichung City Government",
    kind: "city_government",
    phone: CITY_SWITCHBOARD,
    websiteUrl: "https://www.labor.taichung.gov.tw/",
  },
  {
    code: "health",
    nameZh: "臺中市政府衛生局",
    nameEn: "Public Health Bureau, Taichung City Government",
    kind: "city_government",
    phone: CITY_SWITCHBOARD,
    websiteUrl: "https://www.health.taichung.gov.tw/",
  },
  {
    code: "animal-protection",
    nameZh: "臺中市動物保護防疫處",
    nameEn: "Animal Protection Office, Taichung City",
    kind: "city_government",
    phone: CITY_SWITCHBOARD,
    websiteUrl: "https://www.animal.taichung.gov.tw/",
  },
  {
    code: "education",
    nameZh: "臺中市政府教育局",
    nameEn: "Education Bureau, Taichung City Government",
    kind: "city_government",
    phone: CITY_SWITCHBOARD,
    websiteUrl: "https://www.tc.edu.tw/",
  },
  {
    code: "water",
    nameZh: "台灣自來水公司第四區管理處",
    nameEn: "Taiwan Water Corporation, 4th Branch",
    kind: "utility_company",
    phone: "1910",
    websiteUrl: "https://www.water.gov.tw/",
    // A company's money goes past its accounting head too.
    refundApprovalChain: ["reviewer", "accounting_head", "releaser"],
  },
  {
    code: "power",
    nameZh: "台灣電力公司台中區營業處",
    nameEn: "Taipower, Taichung District Office",
    kind: "utility_company",
    phone: "1911",
    websiteUrl: "https://www.taipower.com.tw/",
  },
  {
    code: "gas",
    nameZh: "欣林天然氣股份有限公司",
    nameEn: "Shin Lin Natural Gas Co.",
    kind: "utility_company",
    phone: null,
    websiteUrl: null,
  },
];

const ALL_TOOLS: PaymentTool[] = [
  "line_pay",
  "credit_card",
  "jko_pay",
  "easy_wallet",
  "icash_pay",
  "pi_wallet",
  "ipass_money",
  "px_pay_plus",
  "taiwan_pay",
  "atm_transfer",
  "store_code",
  "store_barcode",
];
// Living fees are collected without card fees: mobile payment, or paid later at an ATM or a convenience store.
const LIVING_FEE_TOOLS: PaymentTool[] = ALL_TOOLS.filter((tool) => tool !== "credit_card");

export const DEMO_BILL_TYPES: DemoBillType[] = [
  {
    code: "traffic-fine",
    agencyCode: "police",
    nameZh: "交通違規罰鍰",
    nameEn: "Traffic violation fine",
    category: "fine",
    subjectKind: "vehicle_plate",
    collectionItemCode: "PT1",
    writeOff: { prefix: "GF", length: 10, charset: "digits", check: "mod10-137" },
    writeOffHintZh: "印在「舉發違反道路交通管理事件通知單」右上角的「單號」，以 GF 開頭共 10 碼。",
    writeOffHintEn: "The ticket number at the top right of the traffic violation notice: 10 characters starting with GF.",
    paymentTools: ALL_TOOLS,
    amounts: { choices: [600, 900, 1200, 1500, 1800, 2400, 3000, 3600, 6000, 12000] },
  },
  {
    code: "parking-fee",
    agencyCode: "transportation",
    nameZh: "路邊停車費",
    nameEn: "On-street parking fee",
    batch: "11502",
    category: "parking",
    subjectKind: "vehicle_plate",
    collectionItemCode: "TP2",
    writeOff: { prefix: "", length: 16, charset: "digits", check: "mod10-137" },
    writeOffHintZh: "停車繳費通知單上方條碼下的 16 碼「繳費單號」。",
    writeOffHintEn: "The 16-digit slip number under the barcode at the top of the parking notice.",
    paymentTools: LIVING_FEE_TOOLS,
    amounts: { choices: [20, 30, 40, 60, 80, 100, 120, 160, 200] },
  },
  {
    code: "accident-assessment-fee",
    agencyCode: "transportation",
    nameZh: "車輛行車事故鑑定費",
    nameEn: "Traffic accident assessment fee",
    category: "government_fee",
    subjectKind: "case_number",
    collectionItemCode: "TA3",
    writeOff: { prefix: "AC", length: 12, charset: "digits", check: "mod11-27" },
    writeOffHintZh: "鑑定申請繳費通知上的「繳費編號」，以 AC 開頭共 12 碼。",
    writeOffHintEn: "The payment number on the assessment fee notice: 12 characters starting with AC.",
    paymentTools: ALL_TOOLS,
    amounts: { choices: [3000] },
  },
  {
    code: "environmental-fine",
    agencyCode: "environment",
    nameZh: "環保行政罰鍰",
    nameEn: "Environmental administrative fine",
    category: "fine",
    subjectKind: "case_number",
    collectionItemCode: "EP4",
    writeOff: { prefix: "EP", length: 13, charset: "digits", check: "mod11-27" },
    writeOffHintZh: "裁處書繳款單左上方的「銷帳編號」，以 EP 開頭共 13 碼。",
    writeOffHintEn: "The write-off number at the top left of the penalty payment slip: 13 characters starting with EP.",
    paymentTools: ALL_TOOLS,
    amounts: { choices: [1200, 3000, 6000, 10000, 30000, 60000, 100000] },
  },
  {
    code: "market-usage-fee",
    agencyCode: "economic",
    nameZh: "市集使用費",
    nameEn: "Market stall usage fee",
    category: "government_fee",
    subjectKind: "case_number",
    collectionItemCode: "EM5",
    writeOff: { prefix: "MK", length: 12, charset: "digits", check: "mod10-137" },
    writeOffHintZh: "市集使用費繳款書右上角的「銷帳編號」，以 MK 開頭共 12 碼。",
    writeOffHintEn: "The write-off number at the top right of the market fee payment slip: 12 characters starting with MK.",
    paymentTools: ALL_TOOLS,
    amounts: { min: 1500, max: 9000, step: 50 },
  },
  {
    code: "building-permit-fee",
    agencyCode: "urban-development",
    nameZh: "建築執照規費",
    nameEn: "Building permit fee",
    category: "government_fee",
    subjectKind: "case_number",
    collectionItemCode: "UB6",
    writeOff: { prefix: "BP", length: 14, charset: "digits", check: "none" },
    writeOffHintZh: "規費繳款單上的「繳款編號」，以 BP 開頭共 14 碼。",
    writeOffHintEn: "The payment number on the permit fee slip: 14 characters starting with BP.",
    paymentTools: ALL_TOOLS,
    amounts: { min: 2000, max: 80000, step: 100 },
  },
  {
    code: "labor-fine",
    agencyCode: "labor",
    nameZh: "勞動行政罰鍰",
    nameEn: "Labour administrative fine",
    category: "fine",
    subjectKind: "case_number",
    collectionItemCode: "LA7",
    writeOff: { prefix: "LB", length: 11, charset: "digits", check: "mod10-137" },
    writeOffHintZh: "罰鍰繳款單上的「銷帳編號」，以 LB 開頭共 11 碼。",
    writeOffHintEn: "The write-off number on the fine payment slip: 11 characters starting with LB.",
    paymentTools: ALL_TOOLS,
    amounts: { choices: [20000, 30000, 50000, 100000, 200000] },
  },
  {
    code: "health-fine",
    agencyCode: "health",
    nameZh: "衛生行政罰鍰",
    nameEn: "Public health administrative fine",
    category: "fine",
    subjectKind: "case_number",
    collectionItemCode: "HB8",
    writeOff: { prefix: "HF", length: 11, charset: "digits", check: "mod11-27" },
    writeOffHintZh: "罰鍰繳款單上的「銷帳編號」，以 HF 開頭共 11 碼。",
    writeOffHintEn: "The write-off number on the fine payment slip: 11 characters starting with HF.",
    paymentTools: ALL_TOOLS,
    amounts: { choices: [2000, 3000, 10000, 30000, 60000] },
  },
  {
    code: "animal-protection-fine",
    agencyCode: "animal-protection",
    nameZh: "動物保護行政罰鍰",
    nameEn: "Animal protection administrative fine",
    category: "fine",
    subjectKind: "case_number",
    collectionItemCode: "AP9",
    writeOff: { prefix: "AN", length: 10, charset: "digits", check: "mod10-137" },
    writeOffHintZh: "罰鍰繳款單上的「銷帳編號」，以 AN 開頭共 10 碼。",
    writeOffHintEn: "The write-off number on the fine payment slip: 10 characters starting with AN.",
    paymentTools: ALL_TOOLS,
    amounts: { choices: [3000, 15000, 30000, 50000] },
  },
  {
    code: "school-fee",
    agencyCode: "education",
    nameZh: "市立高中職學雜費",
    nameEn: "Municipal high school tuition and fees",
    batch: "11410",
    category: "school",
    subjectKind: "student_number",
    collectionItemCode: "ED0",
    writeOff: { prefix: "", length: 14, charset: "digits", check: "mod10-137" },
    writeOffHintZh: "學雜費繳費單上方的 14 碼「銷帳編號」。",
    writeOffHintEn: "The 14-digit write-off number at the top of the school fee slip.",
    paymentTools: ["credit_card", "line_pay", "taiwan_pay", "jko_pay"],
    amounts: { min: 1200, max: 26000, step: 10 },
  },
  {
    code: "water-bill",
    agencyCode: "water",
    nameZh: "水費",
    nameEn: "Water bill",
    batch: "11504",
    category: "utility",
    subjectKind: "water_account",
    collectionItemCode: "W4A",
    writeOff: { prefix: "", length: 16, charset: "digits", check: "mod10-137" },
    writeOffHintZh: "水費通知單右上方的 16 碼「銷帳編號」(不是 11 碼水號)。",
    writeOffHintEn: "The 16-digit write-off number at the top right of the water bill (not the 11-character water account number).",
    paymentTools: LIVING_FEE_TOOLS,
    amounts: { min: 120, max: 2400, step: 1 },
  },
  {
    code: "electricity-bill",
    agencyCode: "power",
    nameZh: "電費",
    nameEn: "Electricity bill",
    batch: "11507",
    category: "utility",
    subjectKind: "electricity_account",
    collectionItemCode: "E1B",
    writeOff: { prefix: "", length: 16, charset: "digits", check: "mod11-27" },
    writeOffHintZh: "電費通知單下方代收聯上的 16 碼「銷帳編號」(不是 11 碼電號)。",
    writeOffHintEn: "The 16-digit write-off number on the collection stub of the electricity bill (not the 11-digit account number).",
    paymentTools: LIVING_FEE_TOOLS,
    amounts: { min: 250, max: 6800, step: 1 },
  },
  {
    code: "gas-bill",
    agencyCode: "gas",
    nameZh: "天然氣費",
    nameEn: "Natural gas bill",
    batch: "11509",
    category: "utility",
    subjectKind: "gas_account",
    collectionItemCode: "G1C",
    writeOff: { prefix: "", length: 14, charset: "digits", check: "mod10-137" },
    writeOffHintZh: "天然氣費帳單上的 14 碼「銷帳編號」。",
    writeOffHintEn: "The 14-digit write-off number on the gas bill.",
    paymentTools: LIVING_FEE_TOOLS,
    amounts: { min: 180, max: 1800, step: 1 },
  },
];
