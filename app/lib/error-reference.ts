/**
 * The reference a resident quotes when the portal fails: the id of the request
 * that failed, which is also in the server's log line for it. A page rendered
 * on the server carries its document request's id; when a later in-browser
 * navigation fails, the failing request was a data request with an id of its
 * own, which Remix passes to the browser only as the (sanitized) error
 * message. So the server appends the id to that message, and the error page
 * reads it back: quoting the document's id there would send support to the
 * wrong log line.
 */

const TAG = /\s\[ref ([A-Za-z0-9._-]{8,64})\]$/;

export function withErrorReference(message: string, requestId: string): string {
  return `${message.replace(TAG, "")} [ref ${requestId}]`;
}

/**
 * The reference for an error boundary: the failed data request's id when the
 * error says so; otherwise the document's id, but only while the page is the
 * one the server rendered (after a client navigation it belongs to another request).
 */
export function errorReference(error: unknown, documentRequestId: string, isServerRenderedPage: boolean): string | null {
  if (error instanceof Error) {
    const tagged = TAG.exec(error.message);
    if (tagged) return tagged[1]!;
  }
  return isServerRenderedPage && documentRequestId ? documentRequestId : null;
}
