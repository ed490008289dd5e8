import type { AppLoadContext } from "@remix-run/node";
import { getDb } from "~/base/db.server";
import { getEnv } from "~/base/env.server";
import { amendBill, cancelBill, pushBills, readBill } from "./bills.server";
import { answerAgencyCall, problem, respond, type AgencyApiContext } from "./calls.server";
import {
  agencyApiDocument,
  amendRequestSchema,
  billPathSchema,
  cancelRequestSchema,
  feedQuerySchema,
  statementPathSchema,
  statementQuerySchema,
  type OperationId,
} from "./contract.server";
import { listNotices, readStatement } from "./notices.server";

/**
 * What the thin routes under app/routes/api.agency.v1.* call: each names the
 * operation of the contract it answers for each method.
 */

type Signed = Exclude<OperationId, "openApiDocument">;

const CALLS: Record<Signed, (ctx: AgencyApiContext, request: Request, params: Record<string, string | undefined>) => Promise<Response>> = {
  pushBills: (ctx, request, params) =>
    answerAgencyCall(ctx, request, params, { body: "raw", run: (caller, { body }) => pushBills(ctx, caller, body) }),
  readBill: (ctx, request, params) =>
    answerAgencyCall(ctx, request, params, {
      params: billPathSchema,
      run: (caller, input) => readBill(ctx, caller, input.params.billType, input.params.writeOffNumber),
    }),
  amendBill: (ctx, request, params) =>
    answerAgencyCall(ctx, request, params, {
      params: billPathSchema,
      body: amendRequestSchema,
      run: (caller, input) => amendBill(ctx, caller, input.params.billType, input.params.writeOffNumber, input.body),
    }),
  cancelBill: (ctx, request, params) =>
    answerAgencyCall(ctx, request, params, {
      params: billPathSchema,
      body: cancelRequestSchema,
      run: (caller, input) => cancelBill(ctx, caller, input.params.billType, input.params.writeOffNumber, input.body),
    }),
  listNotices: (ctx, request, params) =>
    answerAgencyCall(ctx, request, params, { query: feedQuerySchema, run: (caller, input) => listNotices(ctx, caller, input.query) }),
  readStatement: (ctx, request, params) =>
    answerAgencyCall(ctx, request, params, {
      params: statementPathSchema,
      query: statementQuerySchema,
      run: (caller, input) => readStatement(ctx, caller, input.params.date, input.query),
    }),
};

interface RouteArgs {
  request: Request;
  params: Record<string, string | undefined>;
  context?: Partial<AppLoadContext>;
}

/** Answers a route's request with the operation for its method, or 405 naming the methods there are. */
export function agencyApiRoute(args: RouteArgs, byMethod: Partial<Record<"GET" | "POST" | "PATCH", Signed>>): Promise<Response> {
  const operation = byMethod[args.request.method.toUpperCase() as keyof typeof byMethod];
  if (!operation) {
    const allowed = Object.keys(byMethod).join(", ");
    return Promise.resolve(
      respond({
        ...(problem(405, "method_not_allowed", `This path answers ${allowed}.`) as { status: number; body: unknown }),
        headers: { Allow: allowed },
      }),
    );
  }
  const ctx: AgencyApiContext = { db: getDb(), env: getEnv(), logger: args.context?.logger, requestId: args.context?.requestId };
  return CALLS[operation](ctx, args.request, args.params);
}

/** The OpenAPI document: public, unsigned, cacheable. */
export function openApiResponse(): Response {
  return new Response(JSON.stringify(agencyApiDocument()), {
    headers: { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "public, max-age=300" },
  });
}
