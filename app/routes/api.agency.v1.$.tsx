import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { unknownRoute } from "~/agency-api/calls.server";

/** Any other path under /api/agency/v1: a JSON 404, never the site's HTML page. */
export const loader = ({ request }: LoaderFunctionArgs) => unknownRoute(request);
export const action = ({ request }: ActionFunctionArgs) => unknownRoute(request);
