import { lstat, mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import type { Logger } from "pino";
import { z } from "zod";
import { auditHead, verifyAuditChain } from "~/base/audit.server";
import { breakGlassRefund } from "~/money/refunds.server";
import type { PaymentContext } from "~/payments/orders/order.server";

/**
 * The portal's control socket (操作通道): operators on the portal's machine
 * have the running portal carry out their commands (`node cli.js refund`,
 * `audit verify|head`), through the same services, with the portal's own
 * database and payment providers. With PGlite the CLI cannot open the
 * database while the portal runs, and in demo mode the sandbox gateway lives
 * in the portal's process; through the socket neither matters.
 *
 * A Unix socket, mode 0600: only the portal's system account and root can
 * connect, and that file permission is the whole trust boundary
 * (docs/decisions/023). One JSON request per connection, one JSON answer,
 * each a line. No portal listening (no socket, or a stale one): the CLI
 * carries the command out itself.
 */

const operatorRequest = z.discriminatedUnion("command", [
  z.object({
    command: z.literal("refund"),
    order: z.string().min(1).max(100),
    refundable: z.number().int().min(0),
    /** The operator's name, as they gave it. */
    operator: z.string().trim().min(1).max(200),
    /** The system account that ran the command, as the CLI found it. */
    systemUser: z.string().min(1).max(200),
    reason: z.string().min(1).max(500),
  }),
  z.object({ command: z.literal("audit.verify") }),
  z.object({ command: z.literal("audit.head") }),
]);

export type OperatorRequest = z.infer<typeof operatorRequest>;

const problemsOf = (error: z.ZodError) => error.issues.map((i) => `${i.path.join(".") || "request"} ${i.message}`).join("; ");

/** What is wrong with a request, as the portal would refuse it; null when nothing (the CLI asks before sending). */
export function requestProblems(request: OperatorRequest): string | null {
  const parsed = operatorRequest.safeParse(request);
  return parsed.success ? null : problemsOf(parsed.error);
}
type Command = OperatorRequest["command"];

const COMMANDS = {
  refund: (ctx: PaymentContext, request: Extract<OperatorRequest, { command: "refund" }>) =>
    breakGlassRefund(ctx, {
      orderReference: request.order,
      refundableAsSeen: request.refundable,
      operator: request.operator,
      systemUser: request.systemUser,
      reasonText: request.reason,
    }),
  "audit.verify": (ctx: PaymentContext) => verifyAuditChain(ctx.db),
  "audit.head": (ctx: PaymentContext) => auditHead(ctx.db),
} satisfies { [C in Command]: (ctx: PaymentContext, request: Extract<OperatorRequest, { command: C }>) => Promise<unknown> };

export type ResultOf<R extends OperatorRequest> = Awaited<ReturnType<(typeof COMMANDS)[R["command"]]>>;

/** Carries out an operator's command: in the portal for the socket, or in the CLI when no portal listens. */
export function carryOut<R extends OperatorRequest>(ctx: PaymentContext, request: R): Promise<ResultOf<R>> {
  // TypeScript cannot follow the command from the request to its handler: the table above ties them.
  const run = COMMANDS[request.command] as unknown as (ctx: PaymentContext, request: R) => Promise<ResultOf<R>>;
  return run(ctx, request);
}

type Answer = { ok: true; pid: number; result: unknown } | { ok: false; error: string };

/** sun_path holds 108 bytes with the final NUL; Node cuts a longer path short without a word. */
const MAX_SOCKET_PATH_BYTES = 107;
const fitsUnixSocket = (socketPath: string) => Buffer.byteLength(socketPath) <= MAX_SOCKET_PATH_BYTES;

/** A request is a few hundred bytes; an operator's CLI sends it at once. */
const MAX_REQUEST_BYTES = 16 * 1024;
const REQUEST_TIMEOUT_MS = 10_000;

/** Reads one line (a request or an answer) from the socket, or rejects. */
function readLine(socket: Socket, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = "";
    const onData = (chunk: Buffer) => {
      received += chunk.toString("utf8");
      const end = received.indexOf("\n");
      if (end !== -1) finish(() => resolve(received.slice(0, end)));
      else if (received.length > maxBytes) finish(() => reject(new Error(`more than ${maxBytes} bytes without a line's end`)));
    };
    const onEnd = () => finish(() => reject(new Error("the other side closed the connection before a whole line")));
    const onError = (error: Error) => finish(() => reject(error));
    const finish = (settle: () => void) => {
      socket.off("data", onData).off("end", onEnd).off("close", onEnd).off("error", onError);
      settle();
    };
    socket.on("data", onData).once("end", onEnd).once("close", onEnd).once("error", onError);
  });
}

export interface ControlSocket {
  /** Stops listening, waits for commands in flight; the socket file goes with it. */
  close(): Promise<void>;
}

const NO_SOCKET: ControlSocket = { close: async () => {} };

/**
 * Listens on `socketPath` (null: off). Never stops the portal from starting:
 * without its socket it serves residents all the same, and the operator's
 * CLI works in-process where the database allows (said in the log).
 */
export async function openControlSocket(socketPath: string | null, ctx: () => PaymentContext, logger: Logger): Promise<ControlSocket> {
  if (socketPath === null) return NO_SOCKET;
  const log = logger.child({ controlSocket: socketPath });
  if (!fitsUnixSocket(socketPath)) {
    log.error(`no control socket: its path is longer than ${MAX_SOCKET_PATH_BYTES} bytes; set CONTROL_SOCKET to a shorter one`);
    return NO_SOCKET;
  }
  try {
    // On PostgreSQL nothing else may have made DATA_DIR; made here, it is the portal's alone.
    await mkdir(path.dirname(socketPath), { recursive: true, mode: 0o700 });
    if ((await socketState(socketPath)) === "answering") {
      log.warn("no control socket: another portal answers on it (several instances on one machine); it carries out operators' commands");
      return NO_SOCKET;
    }
  } catch (error) {
    log.error({ err: error }, "no control socket");
    return NO_SOCKET;
  }
  // Connections still to send their request are dropped at shutdown; commands in flight are waited for.
  const waiting = new Set<Socket>();
  const inFlight = new Set<Promise<void>>();
  const server = createServer((socket) => {
    waiting.add(socket);
    const handled = answer(socket, socketPath, { ctx, log, received: () => waiting.delete(socket) }).finally(() => {
      waiting.delete(socket);
      inFlight.delete(handled);
    });
    inFlight.add(handled);
  });
  try {
    await listenPrivately(server, socketPath);
  } catch (error) {
    log.error({ err: error }, "no control socket: cannot listen");
    return NO_SOCKET;
  }
  log.info("control socket listening");
  return {
    // Closing the server removes the socket file (libuv unlinks it).
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of waiting) socket.destroy();
      await Promise.allSettled([...inFlight]);
      await closed;
    },
  };
}

/**
 * What is at the socket's path: nothing; a socket a portal answers on; or a
 * stale one (its portal crashed), removed here. Anything else is not ours to
 * remove.
 */
async function socketState(socketPath: string): Promise<"free" | "answering"> {
  const found = await lstat(socketPath).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return null;
    throw error;
  });
  if (!found) return "free";
  if (!found.isSocket()) throw new Error(`${socketPath} exists and is not a socket: remove it, or set CONTROL_SOCKET elsewhere`);
  const answering = await new Promise<boolean>((resolve, reject) => {
    const probe = createConnection(socketPath)
      .once("connect", () => {
        probe.destroy();
        resolve(true);
      })
      .once("error", (error: NodeJS.ErrnoException) =>
        error.code === "ECONNREFUSED" || error.code === "ENOENT" ? resolve(false) : reject(error),
      );
  });
  if (!answering) await rm(socketPath, { force: true });
  return answering ? "answering" : "free";
}

/**
 * Binds with umask 0177, so the socket is 0600 from its first instant (a
 * chmod after the bind would leave a moment in which anyone could connect).
 * The bind is synchronous within listen(), so the umask is back before any
 * other JavaScript runs.
 */
function listenPrivately(server: Server, socketPath: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    const umask = process.umask(0o177);
    try {
      server.listen(socketPath, () => {
        server.off("error", reject);
        resolve();
      });
    } finally {
      process.umask(umask);
    }
  });
}

interface Answering {
  ctx: () => PaymentContext;
  log: Logger;
  /** The request is in: from here on the command is carried out even when the portal is shutting down. */
  received(): void;
}

async function answer(socket: Socket, socketPath: string, { ctx, log, received }: Answering): Promise<void> {
  socket.on("error", () => {});
  socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy());
  const reply = (message: Answer) =>
    new Promise<void>((resolve) =>
      socket.destroyed ? resolve() : socket.end(`${JSON.stringify(message)}\n`, () => resolve(void socket.destroy())),
    );
  let line: string;
  try {
    line = await readLine(socket, MAX_REQUEST_BYTES);
  } catch (error) {
    log.warn({ err: error }, "control socket: no request read");
    return reply({ ok: false, error: "no request: send one JSON object on one line" });
  }
  received();
  socket.setTimeout(0);
  // The file's permission is the trust boundary: widened or changed hands, nothing is carried out until it is put right.
  const guard = await lstat(socketPath).catch(() => null);
  if (!guard || (guard.mode & 0o077) !== 0 || guard.uid !== process.getuid?.()) {
    log.error({ alert: "control_socket_exposed" }, "control socket: its file is no longer the portal's alone (mode 0600); request refused");
    return reply({ ok: false, error: `${socketPath} is no longer the portal's alone (mode 0600): nothing was done. Restart the portal.` });
  }
  const parsed = operatorRequest.safeParse(parseJson(line));
  if (!parsed.success) return reply({ ok: false, error: `not a request: ${problemsOf(parsed.error)}` });
  const request = parsed.data;
  const loud = request.command === "refund";
  if (loud) log.warn({ alert: "break_glass_refund", request }, "control socket: break-glass refund by an operator");
  try {
    const result = await carryOut(ctx(), request);
    (loud ? log.warn.bind(log) : log.info.bind(log))({ command: request.command, result }, "control socket: command carried out");
    return reply({ ok: true, pid: process.pid, result });
  } catch (error) {
    log.error({ err: error, command: request.command }, "control socket: command failed");
    return reply({ ok: false, error: `the portal could not carry it out: ${error instanceof Error ? error.message : String(error)}` });
  }
}

function parseJson(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return undefined;
  }
}

/** The portal's answer to the operator, or that no portal listens (the CLI carries the command out itself). */
export type PortalAnswer<R extends OperatorRequest> = { kind: "no_portal" } | { kind: "answered"; pid: number; result: ResultOf<R> };

/** The portal is there but cannot be used (wrong account, or it refused): the CLI does nothing itself. */
export class ControlSocketError extends Error {
  constructor(
    message: string,
    readonly usage: boolean,
  ) {
    super(message);
  }
}

/**
 * Sends the request to the portal listening on `socketPath`. Once a request
 * has gone out, whatever happens is the portal's: an answer lost is an error
 * saying the outcome is unknown, never a second try in-process.
 */
export function askPortal<R extends OperatorRequest>(socketPath: string | null, request: R, timeoutMs: number): Promise<PortalAnswer<R>> {
  if (socketPath === null || !fitsUnixSocket(socketPath)) return Promise.resolve({ kind: "no_portal" });
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    socket.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT" || error.code === "ECONNREFUSED") return resolve({ kind: "no_portal" });
      if (error.code === "EACCES")
        return reject(
          new ControlSocketError(
            `The running portal's control socket (${socketPath}) is not open to this account: run the command as the portal's system account (or root), e.g. sudo -u <that account>.`,
            true,
          ),
        );
      reject(error);
    });
    socket.once("connect", () => {
      socket.removeAllListeners("error").on("error", () => {});
      const unknown = (why: string) =>
        new ControlSocketError(`${why}: whether the portal carried it out is unknown. Look before trying again.`, false);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(unknown(`No answer from the portal in ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      socket.write(`${JSON.stringify(request)}\n`);
      readLine(socket, Number.POSITIVE_INFINITY)
        .then((line) => {
          const answer = parseJson(line) as Answer | undefined;
          if (!answer || typeof answer !== "object") return reject(unknown("The portal's answer is not JSON"));
          if (!answer.ok) return reject(new ControlSocketError(`The portal refused: ${answer.error}`, false));
          resolve({ kind: "answered", pid: answer.pid, result: answer.result as ResultOf<R> });
        })
        .catch((error: Error) => reject(unknown(`The connection to the portal broke (${error.message})`)))
        .finally(() => {
          clearTimeout(timer);
          socket.destroy();
        });
    });
  });
}
