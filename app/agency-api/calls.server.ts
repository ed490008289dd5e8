import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { z } from "zod";
import { AGENCY_API_BASE_PATH } from "~/domain/agency-api";
import type { Database } from "~/base/db.server";
import type { Env } from "~/base/env.server";
import { authenticateCall, type AgencyCaller } from "./auth.server";
import { MAX_BODY_BYTES, problemType, type Problem, type Refusal } from "./contract.server";

/**
 * One signed call, from raw request to answer: the body's bytes read (the
 * signature is over them) up to a bound, the signature checked, the inputs
 * checked by the contract's schemas, the service run, and every refusal or
 * failure answered as problem+json, never an HTML page.
 */

export interface AgencyApiContext {
  db: Database;
  env: Pick<Env, "BINDING_ENCRYPTION_KEY" | "AGENCY_API_RATE_LIMIT" | "PII_HMAC_KEY">;
  logger?: Logger;
  requestId?: string;
}

export type Answer = { status: number; body: unknown; headers?: Record<string, string> } | Response;

const TITLES: Record<number, string> = {
  400: "Bad request",
  401: "Signature refused",
  404: "Not found",
  405: "Method not allowed",
  409: "Conflict",
  413: "Content too large",
  422: "Unprocessable content",
  429: "Too many requests",
  500: "Internal error",
};

export function problem(status: number, code: Refusal, detail: string, extra: Partial<Problem> = {}): Answer {
  const body: Problem = { type: problemType(code), title: TITLES[status] ?? "Refused", status, detail, code, ...extra };
  const headers: Record<string, string> = {};
  if (extra.retryAfterSeconds !== undefined) headers["Retry-After"] = String(extra.retryAfterSeconds);
  return { status, body, headers };
}

export function respond(answer: Answer): Response {
  if (answer instanceof Response) return answer;
  const isProblem = answer.status >= 400;
  return new Response(JSON.stringify(answer.body), {
    status: answer.status,
    headers: {
      "Content-Type": isProblem ? "application/problem+json" : "application/json; charset=utf-8",
      "Cache-Control": "no-store",
      ...answer.headers,
    },
  });
}

class BodyTooLarge extends Error {}

async function readBody(request: Request): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) throw new BodyTooLarge();
  if (!request.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      throw new BodyTooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

const issuesOf = (error: z.ZodError) =>
  error.issues.map((issue) => ({ path: issue.path.map(String).join(".") || "(body)", message: issue.message }));

const invalidRequest = (error: z.ZodError, what: string): Answer =>
  problem(400, "invalid_request", `The ${what} does not match the schema: see errors (and the OpenAPI document).`, {
    errors: issuesOf(error),
  });

interface CallSpec<Params, Query, Body> {
  params?: z.ZodType<Params>;
  query?: z.ZodType<Query>;
  /** The body's schema; `"raw"` hands the parsed JSON over unchecked (the service checks it part by part). */
  body?: z.ZodType<Body> | "raw";
  run(caller: AgencyCaller, input: { params: Params; query: Query; body: Body }): Promise<Answer>;
}

/** Answers a signed call; `routeParams` are Remix's path parameters. */
export async function answerAgencyCall<Params = undefined, Query = undefined, Body = undefined>(
  ctx: AgencyApiContext,
  request: Request,
  routeParams: Record<string, string | undefined>,
  spec: CallSpec<Params, Query, Body>,
): Promise<Response> {
  const requestId = ctx.requestId ?? randomUUID();
  try {
    let raw: Uint8Array;
    try {
      raw = await readBody(request);
    } catch (error) {
      if (error instanceof BodyTooLarge)
        return respond(problem(413, "body_too_large", `The body is over ${MAX_BODY_BYTES} bytes: send at most 1,000 bills per call.`));
      throw error;
    }
    const url = new URL(request.url);
    const outcome = await authenticateCall(ctx.db, ctx.env, {
      method: request.method,
      pathWithQuery: url.pathname + url.search,
      headers: request.headers,
      body: raw,
    });
    if (!outcome.ok) {
      ctx.logger?.info({ refusal: outcome.code, path: url.pathname }, "agency API call refused");
      return respond(
        problem(
          outcome.status,
          outcome.code,
          outcome.detail,
          outcome.status === 429 ? { retryAfterSeconds: outcome.retryAfterSeconds } : {},
        ),
      );
    }

    const params = spec.params ? spec.params.safeParse(routeParams) : undefined;
    if (params && !params.success) return respond(invalidRequest(params.error, "path"));
    const query = spec.query ? spec.query.safeParse(Object.fromEntries(url.searchParams)) : undefined;
    if (query && !query.success) return respond(invalidRequest(query.error, "query string"));
    let body: unknown;
    if (spec.body) {
      try {
        body = JSON.parse(Buffer.from(raw).toString("utf8"));
      } catch {
        return respond(problem(400, "malformed_json", "The body is not JSON: send a JSON object with Content-Type: application/json."));
      }
      if (spec.body !== "raw") {
        const parsed = spec.body.safeParse(body);
        if (!parsed.success) return respond(invalidRequest(parsed.error, "body"));
        body = parsed.data;
      }
    }
    const answer = await spec.run(outcome.caller, {
      params: params?.data as Params,
      query: query?.data as Query,
      body: body as Body,
    });
    return respond(answer);
  } catch (error) {
    ctx.logger?.error({ err: error, requestId }, "agency API call failed");
    return respond(problem(500, "unexpected", `The portal could not answer: try again later, quoting ${requestId}.`, { requestId }));
  }
}

/** A path under /api/agency/v1 that is no call. */
export function unknownRoute(request: Request): Response {
  const path = new URL(request.url).pathname;
  return respond(problem(404, "route_not_found", `${path} is no call of the agency API: see ${AGENCY_API_BASE_PATH}/openapi.json.`));
}
