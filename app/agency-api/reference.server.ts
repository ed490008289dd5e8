import { createHash } from "node:crypto";
import { AGENCY_API_BASE_PATH, canonicalRequest } from "~/domain/agency-api";
import { signAgencyCall } from "~/base/signatures.server";
import { agencyApiDocument } from "./contract.server";

/**
 * The reference page's content, read from the OpenAPI document (never written
 * twice): operations with their parameters and answers, the schemas, the
 * refusals, and a worked signing example computed by the portal's own code.
 */

interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  description?: string;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
}

/** A schema in a few words: its type, its component's name, its values or bounds. */
function typeOf(schema: JsonSchema | undefined): string {
  if (!schema) return "";
  if (schema.$ref) return schema.$ref.split("/").pop()!;
  if (schema.anyOf) return schema.anyOf.map(typeOf).join(" | ");
  if (schema.enum) return schema.enum.map((value) => JSON.stringify(value)).join(" | ");
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  const type = Array.isArray(schema.type) ? schema.type.join(" | ") : (schema.type ?? "object");
  if (type === "array") return `${typeOf(schema.items)}[]${schema.maxItems ? ` (≤ ${schema.maxItems})` : ""}`;
  // zod writes the safe-integer range on every integer, and a regex beside every format: neither tells a reader anything.
  const bounded = (bound: number | undefined) => bound !== undefined && Math.abs(bound) < Number.MAX_SAFE_INTEGER;
  const bounds =
    bounded(schema.minimum) && bounded(schema.maximum)
      ? ` ${schema.minimum}–${schema.maximum}`
      : bounded(schema.minimum)
        ? ` ≥ ${schema.minimum}`
        : "";
  const shape = schema.format ? ` (${schema.format})` : schema.pattern ? ` /${schema.pattern}/` : "";
  return `${type}${shape}${bounds}`;
}

type Operation = {
  operationId: string;
  summary?: string;
  description?: string;
  parameters?: Array<{ in: string; name: string; required?: boolean; description?: string; schema?: JsonSchema }>;
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: JsonSchema }> }>;
  security?: unknown[];
};

const EXAMPLE = {
  secret: "example-secret-do-not-use-0123456789abcdefghij",
  timestamp: "1764577200",
  nonce: "9f2c4e7a1b3d5f60",
  method: "POST",
  pathWithQuery: `${AGENCY_API_BASE_PATH}/bills`,
  body: JSON.stringify({
    bills: [
      {
        billType: "traffic-fine",
        writeOffNumber: "GF11500019",
        payerName: "王小明",
        subject: "ABC-1234",
        amount: 1800,
        issuedOn: "2026-12-01",
        dueDate: "2026-12-31",
      },
    ],
  }),
};

export function agencyApiReference() {
  const document = agencyApiDocument();
  const operations = Object.entries(document.paths ?? {}).flatMap(([path, methods]) =>
    Object.entries(methods as Record<string, Operation>).map(([method, operation]) => ({
      id: operation.operationId,
      method: method.toUpperCase(),
      path: `${AGENCY_API_BASE_PATH}${path}`,
      summary: operation.summary ?? "",
      description: operation.description ?? "",
      signed: operation.security === undefined,
      parameters: (operation.parameters ?? []).map((parameter) => ({
        in: parameter.in,
        name: parameter.name,
        required: parameter.required === true,
        type: typeOf(parameter.schema),
        description: parameter.description ?? parameter.schema?.description ?? "",
      })),
      body: operation.requestBody ? typeOf(Object.values(operation.requestBody.content)[0]?.schema) : null,
      responses: Object.entries(operation.responses).map(([status, response]) => ({
        status,
        description: response.description,
        type: response.content ? typeOf(Object.values(response.content)[0]?.schema) : "",
      })),
    })),
  );
  const schemas = Object.entries((document.components?.schemas ?? {}) as Record<string, JsonSchema>).map(([name, schema]) => ({
    name,
    description: schema.description ?? "",
    properties: Object.entries(schema.properties ?? {}).map(([property, value]) => ({
      name: property,
      type: typeOf(value),
      required: schema.required?.includes(property) ?? false,
      description: value.description ?? "",
    })),
  }));
  const refusals = Object.entries(
    (document as { "x-refusals"?: Record<string, { status: number; meaning: string }> })["x-refusals"] ?? {},
  ).map(([code, refusal]) => ({ code, ...refusal }));
  const bodySha256 = createHash("sha256").update(EXAMPLE.body).digest("hex");
  const signing = {
    ...EXAMPLE,
    bodySha256,
    canonical: canonicalRequest({ ...EXAMPLE, bodySha256 }),
    signature: signAgencyCall(EXAMPLE.secret, EXAMPLE),
  };
  return { title: document.info.title, version: document.info.version, operations, schemas, refusals, signing };
}
