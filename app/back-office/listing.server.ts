import type { StaffContext } from "./staff-request.server";

/** What a back-office service needs of the staff member: who, with which roles, on which request (for the audit). */
export type StaffActor = Pick<StaffContext, "staffId" | "roles" | "requestId">;

/** `?page=` of a list: a whole number from 1, else the first page (never an error). */
export function pageNumber(params: URLSearchParams): number {
  const page = Number(params.get("page") ?? "1");
  return Number.isSafeInteger(page) && page >= 1 && page <= 100_000 ? page : 1;
}

/** How many pages `total` items make, at least one (an empty list is one empty page). */
export const pageCount = (total: number, pageSize: number) => Math.max(1, Math.ceil(total / pageSize));
