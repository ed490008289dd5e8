import { STATUS_CODES, type IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type express from "express";
import type { Logger } from "pino";
import { CLIENT_ERROR_TEXT } from "~/base/client-errors.server";

/**
 * Answers that come before the request's body has been read (a refused
 * cross-site form, a body over a limit, a page that takes no form, a request
 * line too long to parse) must not cut the connection. A server that closes a
 * socket with unread bytes in it makes the kernel send a reset, and the
 * client, still sending, loses the answer; a kept-alive connection whose body
 * nobody reads answers nothing more. So the rest of the body is read and
 * dropped first, up to a bound: past it (or past the time), the connection is
 * cut on purpose.
 */
const DRAIN_LIMIT_BYTES = 8 * 1024 * 1024;
const DRAIN_TIMEOUT_MS = 10_000;

/** Holds back the end of each answer until the request's body has been read to its end. */
export const readBodyBeforeAnswering: express.RequestHandler = (req, res, next) => {
  const end = res.end;
  res.end = function (this: express.Response, ...args: unknown[]) {
    if (req.complete || req.destroyed) return end.apply(this, args as Parameters<typeof end>);
    // drainBody never rejects: it resolves once the body is read, dropped or given up on.
    void drainBody(req).then(() => end.apply(this, args as Parameters<typeof end>));
    return this;
  } as typeof res.end;
  next();
};

function drainBody(req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    let read = 0;
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    const cut = () => {
      req.socket.destroy();
      done();
    };
    const timer = setTimeout(cut, DRAIN_TIMEOUT_MS);
    // Whoever read before has stopped (a body parser past its limit, Remix's paused stream).
    req.removeAllListeners("data");
    req.on("data", (chunk: Buffer) => {
      read += chunk.length;
      if (read > DRAIN_LIMIT_BYTES) cut();
    });
    req.once("end", done);
    req.once("close", done);
    req.resume();
  });
}

const answered = new WeakSet<Duplex>();

/**
 * Node's own answer to a request it cannot parse (a header or address over
 * 16 KB, a bad request line) writes a bare 400 or 431 and destroys the socket
 * at once, resetting it while the client may still be sending. This answers
 * with the short bilingual text, then closes gracefully: only its sending
 * side, reading (and dropping) what still comes until the client closes.
 */
export function answerUnparsableRequest(logger: Logger) {
  return (error: Error & { code?: string }, socket: Duplex) => {
    if (answered.has(socket)) return;
    answered.add(socket);
    if (error.code === "ECONNRESET" || !socket.writable) return void socket.destroy();
    const status = error.code === "HPE_HEADER_OVERFLOW" ? 431 : error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
    logger.info({ code: error.code, status }, "unparsable request refused");
    const body = status === 431 ? CLIENT_ERROR_TEXT.tooLong : CLIENT_ERROR_TEXT.address;
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    let read = 0;
    const timer = setTimeout(() => socket.destroy(), DRAIN_TIMEOUT_MS);
    socket.on("data", (chunk: Buffer) => {
      read += chunk.length;
      if (read > DRAIN_LIMIT_BYTES) socket.destroy();
    });
    socket.once("end", () => socket.destroy());
    socket.once("close", () => clearTimeout(timer));
    socket.resume();
  };
}
