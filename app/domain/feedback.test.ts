import { describe, expect, it } from "vitest";
import {
  FEEDBACK_STATUSES,
  inboxReach,
  inboxRoleFor,
  mayChangeStatus,
  mayRecordReply,
  statusChangesFrom,
  type FeedbackStatus,
} from "./feedback";
import { maskEmailAddress } from "./masking";
import type { EffectiveRole } from "./staff";

const role = (r: EffectiveRole["role"], agencyCode: string | null = null, actingFor: string | null = null): EffectiveRole => ({
  role: r,
  agencyCode,
  actingFor,
});

describe("moves of a contact message's status", () => {
  it("takes a message from new through in progress and answered to closed, and reopens a closed one", () => {
    expect(mayChangeStatus("new", "in_progress")).toBe(true);
    expect(mayRecordReply("in_progress")).toBe(true);
    expect(mayChangeStatus("answered", "closed")).toBe(true);
    expect(mayChangeStatus("closed", "in_progress")).toBe(true);
    expect(statusChangesFrom("new")).toEqual(["in_progress", "closed"]);
    expect(statusChangesFrom("closed")).toEqual(["in_progress"]);
  });

  it("reaches answered only by recording a reply, never by a bare status change", () => {
    for (const from of FEEDBACK_STATUSES) expect(mayChangeStatus(from, "answered")).toBe(false);
    expect(mayRecordReply("new")).toBe(true);
    expect(mayRecordReply("answered")).toBe(true);
  });

  it("refuses to go back to new, to stay where it is, or to answer a closed message without reopening it", () => {
    for (const from of FEEDBACK_STATUSES) {
      expect(mayChangeStatus(from, "new")).toBe(false);
      expect(mayChangeStatus(from, from)).toBe(false);
    }
    expect(mayRecordReply("closed")).toBe(false);
    expect(mayChangeStatus("closed", "closed" as FeedbackStatus)).toBe(false);
  });
});

describe("who reaches which contact messages", () => {
  it("gives agency roles their own agency's messages only, never the unrouted ones", () => {
    const police = [role("handler", "police")];
    expect(inboxRoleFor(police, "inbox.view", "police")).toEqual(police[0]);
    expect(inboxRoleFor(police, "inbox.view", "water")).toBeNull();
    expect(inboxRoleFor(police, "inbox.view", null)).toBeNull();
    expect(inboxReach(police, "inbox.work")).toEqual({ agencies: ["police"], unrouted: false });
    // The accounting head reads the inbox but does not work it.
    expect(inboxRoleFor([role("accounting_head", "police")], "inbox.work", "police")).toBeNull();
  });

  it("gives the city administrator the unrouted messages only, to read, work and reveal", () => {
    const admin = [role("city_admin")];
    for (const permission of ["inbox.view", "inbox.work", "personal_data.reveal"] as const) {
      expect(inboxRoleFor(admin, permission, null)).toEqual(admin[0]);
      expect(inboxRoleFor(admin, permission, "police")).toBeNull();
    }
    expect(inboxReach(admin, "inbox.view")).toEqual({ agencies: [], unrouted: true });
  });

  it("lets the auditor read every message and work none", () => {
    const auditor = [role("auditor")];
    expect(inboxReach(auditor, "inbox.view")).toEqual({ agencies: "all", unrouted: true });
    expect(inboxRoleFor(auditor, "inbox.view", "water")).toEqual(auditor[0]);
    expect(inboxReach(auditor, "inbox.work")).toEqual({ agencies: [], unrouted: false });
    expect(inboxRoleFor(auditor, "inbox.work", null)).toBeNull();
  });

  it("uses one's own role before a role held as a proxy", () => {
    const roles = [role("reviewer", "police", "principal"), role("handler", "police")];
    expect(inboxRoleFor(roles, "inbox.work", "police")?.actingFor).toBeNull();
    expect(inboxRoleFor([roles[0]!], "inbox.work", "police")?.actingFor).toBe("principal");
  });
});

describe("a sender's e-mail before a reveal", () => {
  it("keeps the first letters and the top-level domain only", () => {
    expect(maskEmailAddress("ming@example.tw")).toBe("m***@e******.tw");
    expect(maskEmailAddress("a@b.gov.tw")).toBe("a***@b****.tw");
    expect(maskEmailAddress("nope")).toBe("***");
  });
});
