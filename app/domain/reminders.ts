import { addDays } from "./dates";

/**
 * Which reminder (繳費提醒) an unpaid bill of a member's bound numbers calls
 * for today: `due` from `daysBefore` days before its due date to the due date
 * itself, `overdue` from the day after; none before. Dates are Taiwan
 * calendar days (YYYY-MM-DD).
 */
export type ReminderPhase = "due" | "overdue";

export function reminderPhase(dueDate: string, today: string, daysBefore: number): ReminderPhase | null {
  if (dueDate < today) return "overdue";
  return dueDate <= addDays(today, daysBefore) ? "due" : null;
}
