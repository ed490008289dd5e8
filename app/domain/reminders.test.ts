import { describe, expect, it } from "vitest";
import { reminderPhase } from "./reminders";

describe("reminderPhase", () => {
  it("reminds of a bill from N days before its due date up to the day itself", () => {
    expect(reminderPhase("2026-12-05", "2026-12-01", 3)).toBeNull();
    expect(reminderPhase("2026-12-04", "2026-12-01", 3)).toBe("due");
    expect(reminderPhase("2026-12-01", "2026-12-01", 3)).toBe("due");
  });

  it("calls a bill overdue from the day after its due date", () => {
    expect(reminderPhase("2026-11-30", "2026-12-01", 3)).toBe("overdue");
  });
});
