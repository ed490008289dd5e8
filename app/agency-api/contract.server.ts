import { z } from "zod";
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiResponsesObject } from "zod-openapi";
import { BILL_STATUSES, PAYMENT_CHANNELS } from "~/domain/catalogue";
import {
  AGENCY_API_BASE_PATH,
  AGENCY_API_HEADERS,
  AUTH_REFUSALS,
  BILL_ROW_REFUSALS,
  DEFAULT_KEY_OVERLAP_DAYS,
  FEED_PAGE_MAX,
  MAX_KEY_OVERLAP_DAYS,
  MAX_BILLS_PER_PUSH,
  NONCE_RETENTION_SECONDS,
  SIGNATURE_TOLERANCE_SECONDS,
} from "~/domain/agency-api";
import { isValidNationalId } from "~/domain/national-id";
import { PAYMENT_ORDER_STATES, PAYMENT_PROVIDERS } from "~/domain/payment-order";
import { PAYMENT_TOOLS } from "~/domain/payment-tools";
import { WRITE_OFF_CHARSETS } from "~/domain/write-off-number";

/**
 * The agency API's contract: one zod schema per request and answer. The
 * same schemas check the calls (calls.server.ts) and make the OpenAPI 3.1
 * document served at /api/agency/v1/openapi.json, so the document cannot
 * drift from what the portal accepts.
 */

/** Why a whole call is refused, besides the signature's refusals and a bill's. */
const REQUEST_REFUSALS = [
  "malformed_json",
  "invalid_request",
  "body_too_large",
  "too_many_bills",
  "rate_limited",
  "route_not_found",
  "method_not_allowed",
  "unexpected",
] as const;

const ALL_REFUSALS = [...AUTH_REFUSALS, ...BILL_ROW_REFUSALS, ...REQUEST_REFUSALS] as const;
export type Refusal = (typeof ALL_REFUSALS)[number];

/** Each refusal's status (for a bill row of a push: 200, refused in its row) and what to do: the document's `x-refusals`. */
const REFUSALS: Record<Refusal, { status: number; meaning: string }> = {
  missing_headers: { status: 401, meaning: "A signature header is missing: send all four X-Agency-* headers." },
  unknown_key: { status: 401, meaning: "The key id is not one of this portal's: check X-Agency-Key-Id." },
  key_expired: { status: 401, meaning: "The key was revoked, or its overlap after a rotation ended: sign with the current key." },
  bad_timestamp: { status: 401, meaning: "X-Agency-Timestamp is not Unix time in whole seconds." },
  stale_timestamp: {
    status: 401,
    meaning: "The timestamp is more than 5 minutes from the portal's clock: sign with the current time, check NTP.",
  },
  bad_nonce: { status: 401, meaning: "X-Agency-Nonce must be 16 to 64 base64url characters." },
  replayed_nonce: { status: 401, meaning: "The nonce was used already: every call (a retry too) needs a new nonce and signature." },
  bad_signature: {
    status: 401,
    meaning: "The HMAC does not match the canonical request: check the path and query as sent, the body's exact bytes, and the secret.",
  },
  invalid: {
    status: 422,
    meaning: "A field is missing or out of range (amounts 1 to 999,999,999; dates real; due date not before issue date).",
  },
  unknown_bill_type: { status: 200, meaning: "No active bill type has this code." },
  bill_type_not_yours: { status: 200, meaning: "The bill type belongs to another agency: a key reaches its own agency's bill types only." },
  bad_write_off_number: {
    status: 200,
    meaning: "The write-off number breaks its bill type's rule (prefix, length, characters or check digit): see writeOffNumberProblem.",
  },
  duplicate_in_batch: { status: 200, meaning: "The same bill came earlier in the same batch: only the first counts." },
  conflict: {
    status: 200,
    meaning: "The portal has this bill with other content: amend the amount or due date with PATCH; other fields cannot change.",
  },
  not_found: { status: 404, meaning: "No such bill (or statement) of your agency." },
  already_paid: { status: 409, meaning: "The bill is paid: it cannot be amended or cancelled (refunds go through the back office)." },
  cancelled: { status: 409, meaning: "The bill is cancelled: push a new bill instead." },
  in_payment: { status: 409, meaning: "A payer is paying the bill right now: try again in a few minutes." },
  source_bill: { status: 409, meaning: "The bill comes from an outside bill source (water, power, parking), not from your pushes." },
  malformed_json: { status: 400, meaning: "The body is not JSON." },
  invalid_request: { status: 400, meaning: "The body, path or query does not match the schema: `errors` lists each field." },
  body_too_large: { status: 413, meaning: "The body is over 2 MiB." },
  too_many_bills: { status: 400, meaning: "More than 1,000 bills in one push: split the batch." },
  rate_limited: { status: 429, meaning: "Too many calls with this key: wait Retry-After seconds." },
  route_not_found: { status: 404, meaning: "No call of the agency API has this path." },
  method_not_allowed: { status: 405, meaning: "The path does not answer this method: see Allow." },
  unexpected: { status: 500, meaning: "The portal failed: try again later, quoting requestId." },
};

/** Where the reference page explains a refusal: a problem's `type`. */
const AGENCY_API_REFERENCE_PATH = "/developers/agency-api";
export const problemType = (code: Refusal) => `${AGENCY_API_REFERENCE_PATH}#refusal-${code}`;

/** Largest body a call may send: a full batch of long rows fits four times over. */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;

const isoDate = z.iso.date().meta({ description: "A calendar date, YYYY-MM-DD (Taiwan time).", example: "2026-12-15" });
const isoDateTime = z.iso.datetime().meta({ description: "A moment, ISO 8601 in UTC.", example: "2026-12-01T08:15:00.000Z" });
const billTypeCode = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,39}$/)
  .meta({ description: "The bill type's code in the catalogue (one of your agency's).", example: "traffic-fine" });
const writeOffNumber = z.string().min(1).max(40).meta({
  description:
    "銷帳編號 as printed: spaces, dashes and full-width characters are dropped or folded, then it must satisfy the bill type's rule (prefix, length, characters, check digit).",
  example: "GF11500019",
});
const amount = z.number().int().min(1).max(999_999_999).meta({ description: "Whole NT dollars (TWD).", example: 1800 });

const problemSchema = z
  .object({
    type: z.string().meta({ description: "A link to the refusal's explanation on the reference page." }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().meta({ description: "What was wrong and what to do about it." }),
    code: z.enum(ALL_REFUSALS),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .meta({ description: "For invalid_request: each field that was wrong." }),
    retryAfterSeconds: z.number().int().optional().meta({ description: "For rate_limited: as the Retry-After header." }),
    requestId: z.string().optional(),
  })
  .meta({ id: "Problem", description: "RFC 9457 problem details (application/problem+json)." });
export type Problem = z.infer<typeof problemSchema>;

export const pushedBillSchema = z
  .object({
    billType: billTypeCode,
    writeOffNumber,
    payerName: z.string().trim().min(1).max(60).meta({ description: "The payer's name as printed on the bill.", example: "王小明" }),
    subject: z
      .string()
      .trim()
      .min(1)
      .max(40)
      .meta({ description: "What the bill is for: plate, account or case number, as printed.", example: "ABC-1234" }),
    amount,
    issuedOn: isoDate,
    dueDate: isoDate,
    period: z
      .string()
      .regex(/^[0-9A-Z]{4}$/)
      .optional()
      .meta({
        description: "The 4-character period of the convenience-store barcode; by default the issue date's ROC year and month (YYMM).",
        example: "1512",
      }),
    payerNationalId: z
      .string()
      .regex(/^[A-Za-z][0-9A-Za-z]\d{8}$/)
      .refine(isValidNationalId, "is not a valid national ID (check digit)")
      .optional()
      .meta({
        description:
          "The payer's national ID or resident certificate number: only its keyed hash is kept, to show the bill to the verified member it was issued to.",
      }),
  })
  .refine((bill) => bill.dueDate >= bill.issuedOn, { message: "dueDate must not be before issuedOn", path: ["dueDate"] })
  .meta({ id: "PushedBill" });
export type PushedBill = z.infer<typeof pushedBillSchema>;

const pushRequestSchema = z
  .object({ bills: z.array(pushedBillSchema).min(1).max(MAX_BILLS_PER_PUSH) })
  .meta({ id: "PushBillsRequest", description: `One to ${MAX_BILLS_PER_PUSH} bills; each is accepted or refused on its own.` });

const writeOffProblemSchema = z
  .object({
    code: z.enum(["empty", "length", "characters", "prefix", "check_digit"]),
    expected: z.number().int().optional(),
    actual: z.number().int().optional(),
    charset: z.enum(WRITE_OFF_CHARSETS).optional(),
    prefix: z.string().optional(),
  })
  .meta({ id: "WriteOffNumberProblem" });

const rowRefusalSchema = z
  .object({
    code: z.enum(BILL_ROW_REFUSALS),
    detail: z.string(),
    differs: z.array(z.string()).optional().meta({ description: "For conflict: the fields that differ from the bill the portal has." }),
    writeOffNumberProblem: writeOffProblemSchema.optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: "BillRefusal" });
export type RowRefusal = z.infer<typeof rowRefusalSchema>;

const pushResultSchema = z
  .object({
    index: z.number().int().min(0).meta({ description: "The row's place in the request's `bills`, from 0." }),
    billType: z.string().nullable(),
    writeOffNumber: z.string().nullable().meta({ description: "Normalized, as stored." }),
    outcome: z.enum(["created", "unchanged", "refused"]).meta({
      description:
        "`created`: new; `unchanged`: the portal already has this bill with the same content (a retry is safe); `refused`: see `refusal`.",
    }),
    refusal: rowRefusalSchema.optional(),
  })
  .meta({ id: "PushResult" });
export type PushResult = z.infer<typeof pushResultSchema>;

const pushResponseSchema = z
  .object({
    created: z.number().int(),
    unchanged: z.number().int(),
    refused: z.number().int(),
    results: z.array(pushResultSchema),
  })
  .meta({ id: "PushBillsResponse" });

const refundSchema = z
  .object({
    refundNumber: z.string(),
    amount,
    state: z.string(),
    refundedAt: isoDateTime.nullable(),
  })
  .meta({ id: "BillRefund" });

const billPaymentSchema = z
  .object({
    orderReference: z.string(),
    state: z.enum(PAYMENT_ORDER_STATES),
    amount: amount.meta({ description: "What the order charged for this bill." }),
    paymentTool: z.enum(PAYMENT_TOOLS),
    provider: z.enum(PAYMENT_PROVIDERS),
    providerTransactionId: z.string().nullable(),
    paidAt: isoDateTime.nullable(),
    receiptNumber: z.string().nullable(),
    refunds: z.array(refundSchema),
  })
  .meta({ id: "BillPayment" });

const agencyBillSchema = z
  .object({
    billType: z.string(),
    writeOffNumber: z.string(),
    payerName: z.string(),
    subject: z.string(),
    amount,
    issuedOn: isoDate,
    dueDate: isoDate,
    period: z.string(),
    status: z.enum(BILL_STATUSES),
    paidAt: isoDateTime.nullable(),
    paidChannel: z.enum(PAYMENT_CHANNELS).nullable(),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
    payments: z.array(billPaymentSchema).meta({ description: "Payment orders that took money for this bill here, with their refunds." }),
  })
  .meta({ id: "Bill" });
export type AgencyBill = z.infer<typeof agencyBillSchema>;

export const billPathSchema = z.object({
  billType: billTypeCode,
  writeOffNumber: writeOffNumber.meta({ param: { description: "The bill's write-off number." } }),
});

export const amendRequestSchema = z
  .object({
    amount: amount.optional(),
    dueDate: isoDate.optional(),
    reason: z.string().trim().max(200).optional().meta({ description: "Kept in the audit trail." }),
  })
  .refine((amend) => amend.amount !== undefined || amend.dueDate !== undefined, { message: "give amount, dueDate or both" })
  .meta({ id: "AmendBillRequest", description: "A new amount or due date of an unpaid bill not being paid at this moment." });

export const cancelRequestSchema = z
  .object({ reason: z.string().trim().max(200).optional().meta({ description: "Kept in the audit trail." }) })
  .meta({ id: "CancelBillRequest" });

export const feedQuerySchema = z.object({
  after: z.coerce.number().int().min(0).default(0).meta({ description: "The `nextCursor` of your previous page (0: from the start)." }),
  limit: z.coerce.number().int().min(1).max(FEED_PAGE_MAX).default(100),
});

const noticeSchema = z
  .object({
    noticeId: z.uuid(),
    kind: z.enum(["bill.paid", "bill.payment_refunded", "bill.payment_partially_refunded", "statement.ready"]),
    feedSeq: z.number().int().min(1),
    createdAt: isoDateTime,
    notice: z.record(z.string(), z.unknown()).meta({
      description: "The notice exactly as the webhook carries it (docs/agency-write-off-webhooks.md), `noticeId` and `type` included.",
    }),
  })
  .meta({ id: "FeedNotice" });

const feedResponseSchema = z
  .object({
    notices: z.array(noticeSchema),
    nextCursor: z.number().int().min(0).meta({ description: "Pass as `after` next time; it only grows." }),
    hasMore: z.boolean(),
  })
  .meta({ id: "NoticesPage" });

export const statementPathSchema = z.object({ date: isoDate.meta({ param: { description: "The business day (Taiwan time)." } }) });
export const statementQuerySchema = z.object({
  version: z.coerce.number().int().min(1).optional().meta({ description: "A version; by default the one in force." }),
});

const statementLineSchema = z.object({
  billType: z.string(),
  paymentTool: z.enum(PAYMENT_TOOLS),
  payments: z.number().int(),
  collected: z.number().int(),
  refunds: z.number().int(),
  refunded: z.number().int(),
  fees: z.number().int(),
  net: z.number().int(),
});

const statementSchema = z
  .object({
    agency: z.string(),
    businessDate: isoDate,
    version: z.number().int().min(1),
    currency: z.literal("TWD"),
    collected: z.number().int(),
    refunded: z.number().int(),
    fees: z.number().int(),
    net: z.number().int(),
    lines: z.array(statementLineSchema),
    reconciliation: z.object({
      tiesOut: z.boolean(),
      settledCollected: z.number().int(),
      settledRefunded: z.number().int(),
      missingFiles: z.array(z.enum(PAYMENT_PROVIDERS)),
      unattributed: z.object({ lines: z.number().int(), collected: z.number().int(), refunded: z.number().int(), fees: z.number().int() }),
    }),
  })
  .meta({
    id: "Statement",
    description:
      "The day's statement as canonical JSON (keys sorted, no spaces), byte for byte the file the back office offers and the one `statement.ready`'s sha256 is of.",
  });

const signatureHeaders = z.object({
  [AGENCY_API_HEADERS.keyId]: z.string().meta({ description: "Your API key's id.", example: "police.k7m2abcdefghijkl" }),
  [AGENCY_API_HEADERS.timestamp]: z.string().regex(/^\d+$/).meta({ description: "Unix seconds when you signed.", example: "1764577200" }),
  [AGENCY_API_HEADERS.nonce]: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,64}$/)
    .meta({ description: "16–64 characters of base64url, new for every call.", example: "3b5e1d0c6a1f4e0b9d2c" }),
  [AGENCY_API_HEADERS.signature]: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .meta({ description: "hex HMAC-SHA256 of the canonical request." }),
});

const problemContent = { "application/problem+json": { schema: problemSchema } };
const problemResponse = (description: string) => ({ description, content: problemContent });
const retryAfter = z.string().regex(/^\d+$/).meta({ description: "Seconds to wait before calling again." });

function responses(success: ZodOpenApiResponsesObject, refusals: Record<string, string> = {}): ZodOpenApiResponsesObject {
  return {
    ...success,
    "400": problemResponse(
      "malformed_json or invalid_request: the body or a parameter is not what the schema says (`errors` lists each field).",
    ),
    "401": problemResponse(`The signature was refused: ${AUTH_REFUSALS.join(", ")}. The \`detail\` says what to fix.`),
    ...Object.fromEntries(Object.entries(refusals).map(([status, text]) => [status, problemResponse(text)])),
    "413": problemResponse("body_too_large: the body is over 2 MiB."),
    "429": {
      description: "rate_limited: too many calls with this key; wait `Retry-After` seconds.",
      headers: z.object({ "Retry-After": retryAfter }),
      content: problemContent,
    },
    "500": problemResponse("unexpected: the portal failed; try again later, quoting `requestId`."),
  };
}

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });

/** The operations, by id: the routes name theirs, a test checks each route file is here and each path has a route. */
const OPERATIONS = {
  pushBills: {
    method: "post",
    path: "/bills",
    operation: {
      operationId: "pushBills",
      summary: `Push one to ${MAX_BILLS_PER_PUSH} bills`,
      description:
        "Idempotent by bill type and write-off number: pushing a bill the portal already has with the same content answers `unchanged`; with other content, `conflict` (use the amend call). Each row is accepted or refused on its own.",
      requestParams: { header: signatureHeaders },
      requestBody: { required: true, content: { "application/json": { schema: pushRequestSchema } } },
      responses: responses({ "200": json(pushResponseSchema, "What became of each row.") }),
    },
  },
  readBill: {
    method: "get",
    path: "/bills/{billType}/{writeOffNumber}",
    operation: {
      operationId: "readBill",
      summary: "A bill with its payments and refunds",
      requestParams: { header: signatureHeaders, path: billPathSchema },
      responses: responses({ "200": json(agencyBillSchema, "The bill.") }, { "404": "not_found: no such bill of yours." }),
    },
  },
  amendBill: {
    method: "patch",
    path: "/bills/{billType}/{writeOffNumber}",
    operation: {
      operationId: "amendBill",
      summary: "Change an unpaid bill's amount or due date",
      requestParams: { header: signatureHeaders, path: billPathSchema },
      requestBody: { required: true, content: { "application/json": { schema: amendRequestSchema } } },
      responses: responses(
        { "200": json(agencyBillSchema, "The bill as amended (unchanged if it already said so).") },
        {
          "404": "not_found: no such bill of yours.",
          "409": "already_paid, in_payment (a payer is paying it right now: try again in a few minutes), cancelled, or source_bill.",
          "422": "invalid: the new due date is before the issue date.",
        },
      ),
    },
  },
  cancelBill: {
    method: "post",
    path: "/bills/{billType}/{writeOffNumber}/cancel",
    operation: {
      operationId: "cancelBill",
      summary: "Cancel an unpaid bill",
      description: "A cancelled bill can no longer be paid here. Cancelling it again answers the same.",
      requestParams: { header: signatureHeaders, path: billPathSchema },
      requestBody: { required: true, content: { "application/json": { schema: cancelRequestSchema } } },
      responses: responses(
        { "200": json(agencyBillSchema, "The bill, cancelled.") },
        { "404": "not_found: no such bill of yours.", "409": "already_paid, in_payment or source_bill." },
      ),
    },
  },
  listNotices: {
    method: "get",
    path: "/notices",
    operation: {
      operationId: "listNotices",
      summary: "Payments, refunds and statements since a cursor",
      description:
        "Your write-off notices in the order they were committed, for systems that cannot receive webhooks (or to catch up): no notice is skipped or repeated between pages.",
      requestParams: { header: signatureHeaders, query: feedQuerySchema },
      responses: responses({ "200": json(feedResponseSchema, "A page of notices.") }),
    },
  },
  readStatement: {
    method: "get",
    path: "/statements/{date}",
    operation: {
      operationId: "readStatement",
      summary: "A day's statement",
      requestParams: { header: signatureHeaders, path: statementPathSchema, query: statementQuerySchema },
      responses: responses(
        {
          "200": {
            description: "The statement; `Repr-Digest` carries its SHA-256 (the `sha256` of the statement.ready notice).",
            headers: z.object({
              "Repr-Digest": z.string().meta({ description: "sha-256=:<base64 of the SHA-256 of the body>: (RFC 9530)." }),
              "X-Statement-Sha256": z.string().regex(/^[0-9a-f]{64}$/),
            }),
            content: { "application/json": { schema: statementSchema } },
          },
        },
        { "404": "not_found: no statement of yours for that day (yet): it is made once the day is reconciled." },
      ),
    },
  },
  openApiDocument: {
    method: "get",
    path: "/openapi.json",
    operation: {
      operationId: "openApiDocument",
      summary: "This document",
      security: [],
      responses: {
        "200": { description: "The OpenAPI 3.1 document.", content: { "application/json": { schema: z.record(z.string(), z.unknown()) } } },
      },
    },
  },
} satisfies Record<string, { method: "get" | "post" | "patch"; path: string; operation: ZodOpenApiOperationObject }>;
export type OperationId = keyof typeof OPERATIONS;

const SIGNING_DESCRIPTION = [
  "Every call but this document is signed with your API key's secret.",
  "",
  "1. Take the Unix time in seconds (`timestamp`), a new random `nonce` (16–64 base64url characters) and the SHA-256 (hex) of the body's exact bytes (of the empty string for a GET).",
  "2. The canonical request is these lines joined with `\\n`: timestamp, nonce, the method in capitals, the path with its query exactly as sent, the body's SHA-256.",
  `3. Send \`${AGENCY_API_HEADERS.signature}\`: the hex HMAC-SHA256 of the canonical request under the secret, with \`${AGENCY_API_HEADERS.keyId}\`, \`${AGENCY_API_HEADERS.timestamp}\` and \`${AGENCY_API_HEADERS.nonce}\`.`,
  "",
  `A signature is accepted ${SIGNATURE_TOLERANCE_SECONDS / 60} minutes either side of the portal's clock; a nonce once only (it is remembered ${NONCE_RETENTION_SECONDS / 60} minutes).`,
  "",
  `After a rotation the old key keeps working for its overlap (${DEFAULT_KEY_OVERLAP_DAYS} days unless set otherwise, at most ${MAX_KEY_OVERLAP_DAYS}): deploy the new key meanwhile. A revoked key stops within seconds.`,
].join("\n");

let cachedDocument: ReturnType<typeof createDocument> | undefined;

/** The OpenAPI 3.1 document, made once from the schemas above. */
export function agencyApiDocument(): ReturnType<typeof createDocument> {
  cachedDocument ??= createDocument({
    openapi: "3.1.0",
    info: {
      title: "Taichung bill portal — agency bill API",
      version: "1.0.0",
      description:
        "Push your bills to the portal, amend or cancel them while unpaid, read a bill with its payments, follow payments and refunds since a cursor, and fetch a day's statement. Integration guide: docs/agency-api.md.",
    },
    servers: [{ url: AGENCY_API_BASE_PATH }],
    "x-refusals": REFUSALS,
    security: [{ agencySignature: [] }],
    components: {
      securitySchemes: {
        agencySignature: { type: "apiKey", in: "header", name: AGENCY_API_HEADERS.keyId, description: SIGNING_DESCRIPTION },
      },
    },
    paths: Object.values(OPERATIONS).reduce<Record<string, Record<string, ZodOpenApiOperationObject>>>(
      (paths, { method, path, operation }) => {
        (paths[path] ??= {})[method] = operation;
        return paths;
      },
      {},
    ),
  });
  return cachedDocument;
}
