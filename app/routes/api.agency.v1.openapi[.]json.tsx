import { openApiResponse } from "~/agency-api/routes.server";

/** GET /api/agency/v1/openapi.json: the contract, generated from the schemas that check the calls. */
export const loader = () => openApiResponse();
