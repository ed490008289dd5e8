import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { agencyLinkKeyFinder, billLinkQr, createBillLink } from "~/lookup/bill-links.server";
import { paymentProvidersFromEnv } from "~/payments/providers/registry.server";
import { CAPTCHA_AUDIO_DIR } from "~/lookup/captcha.server";
import { DatabaseInUseError, openDatabase, type DatabaseHandle } from "~/base/db.server";
import type { Env } from "~/base/env.server";
import { getCliLogger } from "~/base/logger.server";
import { ConfigurationError } from "~/base/env.server";
import { loadConfiguration } from "./configuration.server";
import { ControlSocketError, askPortal, carryOut, requestProblems, type OperatorRequest, type ResultOf } from "./control-socket.server";

/**
 * `node cli.js <command>`: tools for agencies and maintainers, built into the
 * same bundle as the server so they share its configuration.
 */

const USAGE = `Usage:
  node cli.js bill-link --bill-type <code> --number <write-off number> --expires <YYYY-MM-DD> --key <key id>
                        [--qr <file.svg|file.png>] [--base-url <url>]
      Prints the signed link for a paper bill's QR code; with --qr also writes the QR image.
      The key comes from AGENCY_LINK_KEYS (in demo mode also <agency>-demo, e.g. police-demo).
  node cli.js refund --order <reference> --refundable <NT$ as you saw it> --operator <your name> [--reason <text>]
      Break glass: refunds what is left of a paid order through its provider, with no approval
      chain, and records your name and system account on the refund and in the audit trail.
      The amount you give must be what the portal still holds as refundable, or nothing is
      refunded. Prints the outcome as JSON: exit 0 refunded, 1 not.
      A running portal carries it out (through its control socket, CONTROL_SOCKET): run this
      as the portal's system account. With no portal running, this process does it.
  node cli.js captcha-audio
      Regenerates the spoken digits of the audio captcha (needs espeak-ng and sox).
  node cli.js audit verify
      Recomputes every hash of the audit trail: prints how many entries hold and the head
      (seq and hash, to note down), exit 0; or the first broken entry and why, exit 1.
  node cli.js audit head
      Prints the last entry's seq and hash without checking the chain.
      Both are carried out by a running portal like refunds, or here when none runs.
  node cli.js backup <file.tar.gz>
      PGlite only: writes DATA_DIR/pglite as a gzipped tar archive, with the portal stopped
      (refused while it runs). Restore: unpack it into an empty DATA_DIR/pglite
      (tar -C <DATA_DIR>/pglite -xzf <file>). On PostgreSQL use pg_dump -Fc (README).
Exit code 2: the command was not usable as given (or not from this account).`;

export async function runCli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "bill-link":
        return await billLinkCommand(rest);
      case "captcha-audio":
        return await captchaAudioCommand();
      case "refund":
        return await refundCommand(rest);
      case "audit":
        return await auditCommand(rest);
      case "backup":
        return await backupCommand(rest);
      default:
        console.error(USAGE);
        return command === undefined || command === "--help" ? 0 : 2;
    }
  } catch (error) {
    if (error instanceof DatabaseInUseError || error instanceof UsageError || (error instanceof ControlSocketError && error.usage)) {
      console.error(error.message);
      return 2;
    }
    console.error(error instanceof ConfigurationError || error instanceof ControlSocketError ? error.message : error);
    return 1;
  }
}

class UsageError extends Error {}

async function billLinkCommand(args: string[]): Promise<number> {
  const { values } = parseOptions(args, {
    "bill-type": { type: "string" },
    number: { type: "string" },
    expires: { type: "string" },
    key: { type: "string" },
    qr: { type: "string" },
    "base-url": { type: "string" },
  });
  const { env } = await loadConfiguration();
  const missing = ["bill-type", "number", "expires", "key"].filter((name) => !values[name as keyof typeof values]);
  if (missing.length > 0) throw new UsageError(`Missing ${missing.map((m) => `--${m}`).join(", ")}\n\n${USAGE}`);
  const expiresAt = new Date(/^\d{4}-\d{2}-\d{2}$/.test(values.expires!) ? `${values.expires}T23:59:59+08:00` : values.expires!);
  if (Number.isNaN(expiresAt.getTime())) throw new UsageError(`--expires must be a date like 2027-03-31 (got "${values.expires}")`);
  const key = agencyLinkKeyFinder(env.AGENCY_LINK_KEYS)(values.key!);
  if (!key) throw new UsageError(`Unknown key "${values.key}": configure it in AGENCY_LINK_KEYS.`);

  const url = createBillLink(values["base-url"] ?? env.PUBLIC_URL, key, {
    billTypeCode: values["bill-type"]!,
    writeOffNumber: values.number!,
    expiresAt,
  });
  console.log(url);
  if (values.qr) {
    const format = values.qr.endsWith(".png") ? "png" : "svg";
    await writeFile(values.qr, await billLinkQr(url, format));
    console.error(`QR code written to ${values.qr}`);
  }
  return 0;
}

async function refundCommand(args: string[]): Promise<number> {
  const { values } = parseOptions(args, {
    order: { type: "string" },
    refundable: { type: "string" },
    operator: { type: "string" },
    reason: { type: "string" },
  });
  if (!values.order || !values.refundable || !values.operator?.trim() || !/^\d+$/.test(values.refundable)) {
    throw new UsageError(`refund needs --order, --refundable (a whole number of NT$) and --operator\n\n${USAGE}`);
  }
  const request = {
    command: "refund" as const,
    order: values.order,
    refundable: Number(values.refundable),
    operator: values.operator.trim(),
    systemUser: systemUser(),
    reason: values.reason?.trim() || "break-glass refund at the command line",
  };
  const problems = requestProblems(request);
  if (problems) throw new UsageError(`refund: ${problems}\n\n${USAGE}`);
  const { env } = await loadConfiguration();
  const result = await carriedOut(env, request, { migrate: true });
  console.log(JSON.stringify(result));
  return result.kind === "refunded" ? 0 : 1;
}

/** parseArgs, its complaints (an unknown option, a missing value) as usage errors. */
function parseOptions<O extends NonNullable<Parameters<typeof parseArgs>[0]>["options"]>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false });
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
  }
}

/**
 * The account that ran the command, and who became it through sudo (the usual
 * way to act as the portal's account): both are on record, as this machine
 * tells them.
 */
function systemUser(): string {
  const account = userInfo().username;
  const sudoer = process.env.SUDO_USER;
  return sudoer && sudoer !== account ? `${account}, sudo by ${sudoer}` : account;
}

/** A refund's answer waits on its provider, each bill in turn (PROVIDER_TIMEOUT_MS each). */
const PORTAL_ANSWER_TIMEOUT_MS = 5 * 60_000;

/**
 * A running portal carries the command out, through its control socket, with
 * its database and providers; with no portal listening this process does, on
 * the portal's database (with PGlite: refused while another process has it open).
 */
async function carriedOut<R extends OperatorRequest>(env: Env, request: R, options: { migrate: boolean }): Promise<ResultOf<R>> {
  const asked = await askPortal(env.controlSocket, request, PORTAL_ANSWER_TIMEOUT_MS);
  if (asked.kind === "answered") {
    console.error(`Carried out by the running portal (pid ${asked.pid}).`);
    return asked.result;
  }
  const database = await openPortalDatabase(env);
  try {
    if (options.migrate) await database.migrate();
    console.error("No portal is running: carried out by this process.");
    return await carryOut({ db: database.db, env, providers: paymentProvidersFromEnv(env), logger: getCliLogger() }, request);
  } finally {
    await database.close();
  }
}

/** The portal's own database; with PGlite, refused (DatabaseInUseError) while the portal has it open. */
const openPortalDatabase = (env: Env): Promise<DatabaseHandle> =>
  openDatabase({ url: env.DATABASE_URL, pgliteDir: path.resolve(env.DATA_DIR, "pglite"), poolSize: 2 });

/** Read only: no migration, so checking a database never changes it. */
async function auditCommand(args: string[]): Promise<number> {
  const [sub] = args;
  if (sub !== "verify" && sub !== "head") throw new UsageError(`audit needs "verify" or "head"\n\n${USAGE}`);
  const { env } = await loadConfiguration();
  if (sub === "head") {
    const head = await carriedOut(env, { command: "audit.head" }, { migrate: false });
    console.log(`head seq ${head.headSeq}\nhead hash ${head.headHash}`);
    return 0;
  }
  const result = await carriedOut(env, { command: "audit.verify" }, { migrate: false });
  if (result.ok) {
    console.log(`audit trail intact: ${result.checked} entries checked\nhead seq ${result.headSeq}\nhead hash ${result.headHash}`);
    return 0;
  }
  console.log(
    `audit trail BROKEN at seq ${result.brokenAtSeq}: ${CHAIN_PROBLEMS[result.problem]}\n` +
      `${result.checked} entries before it hold; the chain's head is seq ${result.headSeq} (${result.headHash})`,
  );
  return 1;
}

/** PGlite's data directory, consistent because this process alone has it open (the lock refuses a running portal). */
async function backupCommand(args: string[]): Promise<number> {
  const [file, ...extra] = args;
  if (!file || extra.length > 0) throw new UsageError(`backup needs one file to write\n\n${USAGE}`);
  const { env } = await loadConfiguration();
  if (env.DATABASE_URL) throw new UsageError("The portal uses PostgreSQL: back it up with pg_dump -Fc (README, Backups and retention).");
  if (existsSync(file)) throw new UsageError(`${file} exists already: a backup never overwrites one`);
  if (!existsSync(path.resolve(env.DATA_DIR, "pglite")))
    throw new UsageError(`${path.resolve(env.DATA_DIR, "pglite")} holds no database to back up`);
  const database = await openPortalDatabase(env);
  try {
    const archive = await database.dumpDataDir!();
    await writeFile(file, Buffer.from(await archive.arrayBuffer()));
    console.log(`backup written: ${path.resolve(file)} (${archive.size} bytes)`);
    return 0;
  } finally {
    await database.close();
  }
}

const CHAIN_PROBLEMS = {
  gap: "the entry is missing (removed)",
  previous_hash: "it does not name the hash of the entry before it (an earlier entry was rewritten)",
  hash: "its content does not match its hash (the entry was changed)",
} as const;

const SPOKEN_DIGITS = {
  "zh-TW": { voice: "cmn", speed: "120", words: [..."零一二三四五六七八九"] },
  en: { voice: "en-us", speed: "130", words: ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"] },
};

function run(program: string, args: string[]): void {
  const result = spawnSync(program, args, { stdio: ["ignore", "ignore", "pipe"] });
  if (result.error || result.status !== 0) {
    throw new UsageError(`${program} failed (${result.error?.message ?? result.stderr.toString().trim()}): install espeak-ng and sox`);
  }
}

async function captchaAudioCommand(): Promise<number> {
  const work = await mkdtemp(path.join(tmpdir(), "captcha-audio-"));
  try {
    for (const [locale, { voice, speed, words }] of Object.entries(SPOKEN_DIGITS)) {
      await mkdir(path.join(CAPTCHA_AUDIO_DIR, locale), { recursive: true });
      for (const [digit, word] of words.entries()) {
        const raw = path.join(work, `${locale}-${digit}.wav`);
        run("espeak-ng", ["-v", voice, "-s", speed, "-w", raw, word]);
        // 16 kHz mono 16-bit, silence trimmed at both ends, a little headroom.
        run("sox", [
          raw,
          "-b",
          "16",
          "-c",
          "1",
          path.join(CAPTCHA_AUDIO_DIR, locale, `${digit}.wav`),
          "gain",
          "-1",
          "rate",
          "16k",
          "silence",
          "1",
          "0.01",
          "0.5%",
          "reverse",
          "silence",
          "1",
          "0.01",
          "0.5%",
          "reverse",
        ]);
      }
    }
    console.log(`Spoken digits written to ${path.relative(process.cwd(), CAPTCHA_AUDIO_DIR)}/`);
    return 0;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
