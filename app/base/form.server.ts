import { storableText } from "~/domain/text";
import { CLIENT_ERROR_TEXT } from "./client-errors.server";

/**
 * The largest body one of the portal's forms sends (the contact message is
 * 2,000 characters, a payment up to a few bill ids): ample, and a bound on
 * what a request can make the server hold in memory.
 */
export const FORM_MAX_BYTES = 256 * 1024;

const FORM_TYPES = /^\s*(application\/x-www-form-urlencoded|multipart\/form-data)\s*(;|$)/i;

/**
 * The one way actions read a posted form. A body that is not a form (JSON,
 * text, XML, broken multipart), or is larger than any of ours (or than the
 * form's own limit, for a form that uploads a file), is the
 * client's mistake: it is thrown as a 4xx Response, which the root error
 * boundary shows as the localized "bad request" page. Text values come back
 * without what PostgreSQL would refuse (NUL, lone surrogates).
 */
export async function readForm(
  request: Request,
  options: { /** A form that uploads a file may take more. */ maxBytes?: number } = {},
): Promise<FormData> {
  const limit = options.maxBytes ?? FORM_MAX_BYTES;
  const type = request.headers.get("content-type") ?? "";
  if (!FORM_TYPES.test(type)) throw refused(400);
  if (Number(request.headers.get("content-length") ?? 0) > limit) throw refused(413);
  const body = await readAtMost(request, limit);
  if (body === null) throw refused(413);
  let parsed: FormData;
  try {
    parsed = await new Response(body, { headers: { "Content-Type": type } }).formData();
  } catch {
    throw refused(400);
  }
  const form = new FormData();
  for (const [name, value] of parsed) {
    if (typeof value === "string") form.append(storableText(name), storableText(value));
    else form.append(storableText(name), value);
  }
  return form;
}

/** Pages show their localized error page instead; the text is for a client that reads the body. */
function refused(status: 400 | 413): Response {
  return new Response(status === 413 ? CLIENT_ERROR_TEXT.tooLarge : CLIENT_ERROR_TEXT.body, {
    status,
    headers: { "Content-Type": "text/plain; charset=utf-8" },
  });
}

/** The whole body, or null once it passes `limit` bytes (a chunked body declares no length). */
async function readAtMost(request: Request, limit: number): Promise<Uint8Array<ArrayBuffer> | null> {
  if (!request.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    let next: ReadableStreamReadResult<Uint8Array>;
    try {
      next = await reader.read();
    } catch {
      throw refused(400);
    }
    if (next.done) break;
    size += next.value.byteLength;
    if (size > limit) {
      // Not cancelled: that would destroy the request and reset the connection before the
      // answer is read. The server reads and drops the rest instead (connections.server.ts).
      reader.releaseLock();
      return null;
    }
    chunks.push(next.value);
  }
  return Buffer.concat(chunks);
}
