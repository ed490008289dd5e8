import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { agencyApiRoute } from "~/agency-api/routes.server";

/** GET /api/agency/v1/notices?after=&limit=: payments, refunds and statements since a cursor. */
export const loader = (args: LoaderFunctionArgs) => agencyApiRoute(args, { GET: "listNotices" });
export const action = (args: ActionFunctionArgs) => agencyApiRoute(args, { GET: "listNotices" });
