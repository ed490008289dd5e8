// Starts the built portal for the e2e run on a database of its own, created
// fresh each run (the same first start a new user gets from `npm start`).
import { rm } from "node:fs/promises";
import path from "node:path";

const dataDir = process.env.DATA_DIR;
if (!dataDir || !path.resolve(dataDir).startsWith(path.resolve(".data"))) {
  throw new Error("serve.mjs only wipes a DATA_DIR under .data/");
}
await rm(dataDir, { recursive: true, force: true });
await import("../../server.js");
