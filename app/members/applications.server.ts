import { casesOfApplicant, type CasesContext, type CaseView } from "~/cases/cases.server";
import { openRefundCasesForBillsPaidTwice } from "~/payments/refund-cases.server";
import type { Member } from "./sessions.server";

/**
 * "My applications" (我的申辦案件): a member's cases at the e-counter
 * (服務e櫃檯), matched by the applicant digest made at their last login from
 * the national ID the identity provider vouched for, never by anything typed.
 * Only identity-verified members (全功能會員) have one.
 */

export type MemberApplications =
  | { state: "answered"; cases: CaseView[] }
  /** Not identity-verified: the public query by case number and check code is theirs. */
  | { state: "not_verified" }
  /** Verified, but their last login made no digest (the e-counter was configured since): logging in again makes it. */
  | { state: "sign_in_again" }
  | { state: "unavailable" }
  | { state: "not_configured" };

export async function applicationsOfMember(ctx: CasesContext, member: Member, now = new Date()): Promise<MemberApplications> {
  if (!member.identityVerified || !member.nationalIdHash) return { state: "not_verified" };
  if (!ctx.env.ecounter) return { state: "not_configured" };
  if (!member.caseApplicantDigest) return { state: "sign_in_again" };
  const answer = await casesOfApplicant(
    ctx,
    { caseApplicantDigest: member.caseApplicantDigest, nationalIdHash: member.nationalIdHash },
    now,
  );
  if (answer.state !== "answered") return answer;
  // A fee paid here that the e-counter reports paid at the counter too: the portal's payment is the one to give back.
  await openRefundCasesForBillsPaidTwice(ctx.db, answer.paidTwice);
  return { state: "answered", cases: answer.cases };
}
