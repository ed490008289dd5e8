import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { agencyApiRoute } from "~/agency-api/routes.server";

/** GET /api/agency/v1/statements/{date}: a day's statement, canonical JSON. */
export const loader = (args: LoaderFunctionArgs) => agencyApiRoute(args, { GET: "readStatement" });
export const action = (args: ActionFunctionArgs) => agencyApiRoute(args, { GET: "readStatement" });
