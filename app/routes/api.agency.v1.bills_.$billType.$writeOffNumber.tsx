import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { agencyApiRoute } from "~/agency-api/routes.server";

/** GET (read with payments) and PATCH (amend) /api/agency/v1/bills/{billType}/{writeOffNumber}. */
const byMethod = { GET: "readBill", PATCH: "amendBill" } as const;
export const loader = (args: LoaderFunctionArgs) => agencyApiRoute(args, byMethod);
export const action = (args: ActionFunctionArgs) => agencyApiRoute(args, byMethod);
