import { PassThrough } from "node:stream";
import { buffer } from "node:stream/consumers";
import {
  createReadableStreamFromReadable,
  type AppLoadContext,
  type EntryContext,
  type HandleDataRequestFunction,
  type HandleErrorFunction,
} from "@remix-run/node";
import { RemixServer, isRouteErrorResponse } from "@remix-run/react";
import { isbot } from "isbot";
import { renderToPipeableStream } from "react-dom/server";
import { I18nextProvider } from "react-i18next";
import { RequestInfoProvider } from "./components/request-info";
import { withErrorReference } from "./lib/error-reference";
import { getI18n, getLocale } from "~/base/i18n.server";

// The Express server lives in the same build so that the server and the routes
// share one configuration, one logger and one database client (docs/decisions/002).
export { startServer } from "~/composition/http.server";
export { runCli } from "~/composition/cli.server";

const ABORT_DELAY = 5_000;

export default async function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  const i18n = await getI18n(await getLocale(request));
  const { cspNonce: nonce, requestId } = loadContext;
  // Only a page with deferred data (a member's dashboard asking the sources) has anything to stream:
  // browsers get its shell early. Every other page, and every page for crawlers and no-JS clients,
  // is sent whole, in one write with its length, instead of a chunk per 2 KB React hands over.
  const streamed = hasDeferredData(remixContext) && !isbot(request.headers.get("user-agent") ?? "");

  return new Promise<Response>((resolve, reject) => {
    let shellRendered = false;
    // The timer holds the whole render: it goes as soon as the page is out.
    const abortTimer = setTimeout(() => abort(), ABORT_DELAY);
    const { pipe, abort } = renderToPipeableStream(
      // A form sent without JavaScript and refused: the page shows its errors (a 4xx answer to a POST,
      // or a 400 to a search form's GET with its query).
      <RequestInfoProvider value={{ nonce, requestId, formRefused: formRefused(request, responseStatusCode) }}>
        <I18nextProvider i18n={i18n}>
          <RemixServer context={remixContext} url={request.url} abortDelay={ABORT_DELAY} nonce={nonce} />
        </I18nextProvider>
      </RequestInfoProvider>,
      {
        nonce,
        [streamed ? "onShellReady" : "onAllReady"]() {
          shellRendered = true;
          const body = new PassThrough();
          body.once("close", () => clearTimeout(abortTimer));
          responseHeaders.set("Content-Type", "text/html; charset=utf-8");
          if (streamed) {
            resolve(new Response(createReadableStreamFromReadable(body), { headers: responseHeaders, status: responseStatusCode }));
          } else {
            buffer(body).then((html) => {
              responseHeaders.set("Content-Length", String(html.byteLength));
              resolve(new Response(html, { headers: responseHeaders, status: responseStatusCode }));
            }, reject);
          }
          pipe(body);
        },
        onShellError(error: unknown) {
          clearTimeout(abortTimer);
          reject(error);
        },
        onError(error: unknown) {
          responseStatusCode = 500;
          // Errors after the shell are logged here; before it, handleError does.
          if (shellRendered) loadContext.logger.error({ err: error }, "render error");
        },
      },
    );
  });
}

/** Whether a loader of this page answered with `defer()`: data still on its way when the page starts. */
function hasDeferredData(context: EntryContext): boolean {
  const deferred = context.staticHandlerContext.activeDeferreds;
  return deferred !== null && Object.keys(deferred).length > 0;
}

export const handleError: HandleErrorFunction = (error, { request, context }) => {
  if (request.signal.aborted) return;
  const url = new URL(request.url).pathname;
  // Remix's own refusals (a method no route takes, a data request for another route) are the client's.
  if (isRouteErrorResponse(error) && error.status < 500) {
    context.logger.info({ status: error.status, reason: error.data, url }, "request refused by the router");
    return;
  }
  context.logger.error({ err: error, url }, "unhandled route error");
};

/** A failed data request tells the browser its own id, so the error page quotes the right reference. */
export const handleDataRequest: HandleDataRequestFunction = async (response, { context }) => {
  if (!response.headers.has("X-Remix-Error") || !context.requestId) return response;
  const body = (await response.json().catch(() => ({}))) as { message?: unknown; stack?: unknown };
  const message = withErrorReference(typeof body.message === "string" ? body.message : "Unexpected Server Error", context.requestId);
  const headers = new Headers(response.headers);
  headers.delete("Content-Length");
  return new Response(JSON.stringify({ ...body, message }), { status: response.status, headers });
};

function formRefused(request: Request, status: number): boolean {
  if (request.method === "POST") return status >= 400 && status < 500;
  return request.method === "GET" && status === 400 && new URL(request.url).search !== "";
}
