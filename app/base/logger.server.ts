import { pino, type Logger } from "pino";
import { getEnv } from "./env.server";

let instance: Logger | undefined;

/**
 * The one logger: JSON lines on stdout. Personal data never goes in: request
 * and response bodies are not logged, and headers that carry credentials are
 * redacted.
 */
export function getLogger(): Logger {
  instance ??= pino({
    level: getEnv().LOG_LEVEL,
    base: { service: "bill-portal" },
    redact: {
      paths: ["req.headers.cookie", "req.headers.authorization", 'res.headers["set-cookie"]', "*.nationalId", "*.password"],
      censor: "[redacted]",
    },
  });
  return instance;
}
