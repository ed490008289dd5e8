import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, lstat, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { auditHead, recordAudit } from "~/base/audit.server";
import { paymentProvidersFromEnv } from "~/payments/providers/registry.server";
import { askPortal, openControlSocket, type ControlSocket } from "~/composition/control-socket.server";
import { describeEachDatabase } from "../support/databases";
import { demoEnv } from "../support/env";
import { capturedLogger } from "../support/payments";

/**
 * The portal's control socket, in this process: only the portal's account
 * can connect (mode 0600), a crashed portal's socket is replaced and a living
 * portal's left alone, requests that are not commands and a socket whose
 * permission was widened are refused, and once closed the socket is gone
 * (the CLI then carries its command out itself).
 */

const env = demoEnv();

describeEachDatabase("the control socket", (database) => {
  let dir: string;
  let socketPath: string;
  const opened: ControlSocket[] = [];
  const { logs, logger } = capturedLogger("info");
  const ctx = () => ({ db: database().db, env, providers: paymentProvidersFromEnv(env), logger });
  const open = async () => {
    const control = await openControlSocket(socketPath, ctx, logger);
    opened.push(control);
    return control;
  };
  const head = () => askPortal(socketPath, { command: "audit.head" }, 5_000);

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "control-socket-"));
    socketPath = path.join(dir, "control.sock");
    logs.length = 0;
  });
  afterEach(async () => {
    for (const control of opened.splice(0)) await control.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("carries out commands on a socket only the portal's account can open, and is gone once closed", async () => {
    await recordAudit(database().db, { actorType: "system", actorId: null, action: "test.control", targetType: "test" });
    const control = await open();
    const file = await lstat(socketPath);
    expect(file.isSocket()).toBe(true);
    expect(file.mode & 0o777).toBe(0o600);
    expect(file.uid).toBe(process.getuid!());

    expect(await head()).toEqual({ kind: "answered", pid: process.pid, result: await auditHead(database().db) });

    await control.close();
    expect(existsSync(socketPath)).toBe(false);
    expect(await head()).toEqual({ kind: "no_portal" });
  });

  it("replaces the socket a crashed portal left, and leaves a living portal's alone", async () => {
    // A portal killed outright never removes its socket.
    const crashed = spawn(process.execPath, [
      "-e",
      `require("node:net").createServer().listen(${JSON.stringify(socketPath)}, () => process.kill(process.pid, "SIGKILL"))`,
    ]);
    await new Promise((resolve) => crashed.once("exit", resolve));
    expect((await lstat(socketPath)).isSocket()).toBe(true);
    expect(await head()).toEqual({ kind: "no_portal" });

    await open();
    expect(await head()).toMatchObject({ kind: "answered", pid: process.pid });

    const second = await open();
    expect(logs.map((entry) => entry.msg)).toContainEqual(expect.stringContaining("another portal answers on it"));
    await second.close();
    expect(await head()).toMatchObject({ kind: "answered", pid: process.pid });
  });

  it("leaves a file that is not a socket alone", async () => {
    await writeFile(socketPath, "an operator's notes\n");
    await open();
    expect(logs).toContainEqual(expect.objectContaining({ level: 50, msg: "no control socket" }));
    expect(await readFile(socketPath, "utf8")).toBe("an operator's notes\n");
    expect(await head()).toEqual({ kind: "no_portal" });
  });

  it("refuses what is not a command, and carries out nothing once the socket's permission is widened", async () => {
    await open();
    const raw = (line: string) =>
      new Promise<string>((resolve) => {
        let answer = "";
        const socket = createConnection(socketPath, () => socket.write(line));
        socket.on("data", (chunk) => (answer += chunk)).once("close", () => resolve(answer));
      });
    expect(JSON.parse(await raw("refund everything\n"))).toEqual({ ok: false, error: expect.stringContaining("not a request") });
    const refusal = JSON.parse(await raw(`${JSON.stringify({ command: "refund", order: "P1", refundable: -5, operator: "x" })}\n`));
    expect(refusal.error).toMatch(/refundable.*systemUser|systemUser.*refundable/s);

    await chmod(socketPath, 0o666);
    await expect(head()).rejects.toThrow(/no longer the portal's alone.*nothing was done/);
    expect(logs).toContainEqual(expect.objectContaining({ alert: "control_socket_exposed" }));
  });
});
