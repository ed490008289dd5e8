import type { Page } from "@playwright/test";
import { expect } from "./fixtures";

/**
 * Refunds through the back office's pages, as staff take them: each page is
 * signed in as one staff member (staffSignIn) with a virtual authenticator
 * (addVirtualAuthenticator), and each step is signed with its passkey. The
 * words are matched in both languages.
 */

type RefundReason = "duplicate_payment" | "paid_elsewhere" | "bill_cancelled" | "amount_corrected" | "payer_request" | "other";

export interface RefundAsked {
  /** Whole NT dollars; left out, the form's own figure (all that is refundable, or a duplicate's amount). */
  amount?: number;
  /** Left out, the form's own (a duplicate's reason). */
  reason?: RefundReason;
  reasonText?: string;
}

export interface RequestedRefund {
  /** The refund's page, /back-office/refunds/<id>. */
  path: string;
  /** 退款編號, as the payer's receipt and the agency's notice give it. */
  number: string;
}

const STEP_UP = /^(以通行金鑰確認|Confirm with passkey)$/;

/** The step-up shows what is signed; the virtual authenticator signs it once the page runs its scripts. */
async function signWithPasskey(page: Page): Promise<void> {
  await expect(page.getByRole("heading", { name: /^(以通行金鑰確認|Confirm with your passkey)$/ })).toBeVisible();
  await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
  await page.getByRole("button", { name: STEP_UP }).click();
}

/** The request form, reached from a payment's page or the duplicates queue: filled in, continued, signed. */
async function fileRequest(page: Page, asked: RefundAsked): Promise<RequestedRefund> {
  await expect(page.locator("h1")).toHaveText(/^(申請退款|Request a refund)$/);
  if (asked.amount !== undefined) await page.getByLabel(/^(退款金額|Amount to refund)/).fill(String(asked.amount));
  if (asked.reason) await page.getByLabel(/^(退款原因|Reason)/).selectOption(asked.reason);
  if (asked.reasonText !== undefined) await page.getByLabel(/^(說明|Details)/).fill(asked.reasonText);
  await page.getByRole("button", { name: /^(繼續簽章|Continue to sign)$/ }).click();
  await signWithPasskey(page);
  await expect(page).toHaveURL(/\/back-office\/refunds\/[0-9a-f-]{36}\?done=requested$/);
  const number = /RF\d{8}[0-9A-Z]{6}/.exec((await page.locator("h1").textContent()) ?? "")?.[0];
  expect(number, "the refund's number in its title").toBeTruthy();
  return { path: new URL(page.url()).pathname, number: number! };
}

/** A handler starts the refund of a duplicate payment from the queue (the case's one action), the form filled in from the case. */
export async function refundDuplicate(page: Page, writeOffNumber: string, asked: RefundAsked = {}) {
  await page.goto("/back-office/duplicates?state=open");
  const refundCase = page.locator("article.duplicate-case", { hasText: writeOffNumber });
  await refundCase.getByRole("link", { name: /^(退還較晚的付款|Refund the later payment)$/ }).click();
  return fileRequest(page, asked);
}

/**
 * The next step of the refund, by whoever `page` is signed in as: approve
 * (the last approval releases it) or reject (with a note), signed. Returns
 * the outcome the page reports (`?done=`: approved, rejected, refunded,
 * unknown, provider_refused, stale).
 */
export async function takeRefundStep(
  page: Page,
  refund: Pick<RequestedRefund, "path">,
  decision: "approve" | "reject",
  note = "",
): Promise<string> {
  await page.goto(refund.path);
  await page.locator(`input[name="decision"][value="${decision}"]`).check();
  if (note) await page.getByLabel(/^(意見|Note)/).fill(note);
  await page.getByRole("button", { name: /^(繼續簽章|Continue to sign)$/ }).click();
  await signWithPasskey(page);
  await expect(page).toHaveURL(/\?done=\w+$/);
  await expect(page.getByRole("status").first()).toBeVisible();
  return new URL(page.url()).searchParams.get("done")!;
}
