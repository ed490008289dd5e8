import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { agencyApiRoute } from "~/agency-api/routes.server";

/** POST /api/agency/v1/bills: push one to 1,000 bills (app/agency-api/contract.server.ts). */
export const action = (args: ActionFunctionArgs) => agencyApiRoute(args, { POST: "pushBills" });
export const loader = (args: LoaderFunctionArgs) => agencyApiRoute(args, { POST: "pushBills" });
