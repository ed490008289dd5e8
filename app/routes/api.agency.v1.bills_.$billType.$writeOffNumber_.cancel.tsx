import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { agencyApiRoute } from "~/agency-api/routes.server";

/** POST /api/agency/v1/bills/{billType}/{writeOffNumber}/cancel. */
export const action = (args: ActionFunctionArgs) => agencyApiRoute(args, { POST: "cancelBill" });
export const loader = (args: LoaderFunctionArgs) => agencyApiRoute(args, { POST: "cancelBill" });
