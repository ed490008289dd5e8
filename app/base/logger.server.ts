import cluster from "node:cluster";
import { pino, type DestinationStream, type Logger } from "pino";
import { getEnv } from "./env.server";

let instance: Logger | undefined;

const create = (destination?: DestinationStream) =>
  pino(
    {
      level: getEnv().LOG_LEVEL,
      // In cluster mode, which worker wrote a line (docs/decisions/028).
      base: cluster.isWorker ? { service: "bill-portal", pid: process.pid } : { service: "bill-portal" },
      redact: {
        paths: ["req.headers.cookie", "req.headers.authorization", 'res.headers["set-cookie"]', "*.nationalId", "*.password"],
        censor: "[redacted]",
      },
    },
    destination,
  );

/**
 * The one logger: JSON lines on stdout. Personal data never goes in: request
 * and response bodies are not logged, and headers that carry credentials are
 * redacted.
 */
export function getLogger(): Logger {
  instance ??= create();
  return instance;
}

/** The command line's: the same logger on stderr, so that stdout holds only a command's answer (a script reads it). */
export function getCliLogger(): Logger {
  instance ??= create(pino.destination({ dest: 2, sync: true }));
  return instance;
}
