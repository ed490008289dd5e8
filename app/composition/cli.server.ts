import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { agencyLinkKeyFinder, billLinkQr, createBillLink } from "~/lookup/bill-links.server";
import { breakGlassRefund } from "~/money/refunds.server";
import { paymentProvidersFromEnv } from "~/payments/providers/registry.server";
import { CAPTCHA_AUDIO_DIR } from "~/lookup/captcha.server";
import { auditHead, verifyAuditChain } from "~/base/audit.server";
import { DatabaseInUseError, openDatabase, type DatabaseHandle } from "~/base/db.server";
import type { Env } from "~/base/env.server";
import { getLogger } from "~/base/logger.server";
import { ConfigurationError } from "~/base/env.server";
import { loadConfiguration } from "./configuration.server";

/**
 * `node cli.js <command>`: tools for agencies and maintainers, built into the
 * same bundle as the server so they share its configuration.
 */

const USAGE = `Usage:
  node cli.js bill-link --bill-type <code> --number <write-off number> --expires <YYYY-MM-DD> --key <key id>
                        [--qr <file.svg|file.png>] [--base-url <url>]
      Prints the signed link for a paper bill's QR code; with --qr also writes the QR image.
      The key comes from AGENCY_LINK_KEYS (in demo mode also <agency>-demo, e.g. police-demo).
  node cli.js refund --order <reference> --refundable <NT$ as you saw it> --operator <your name>
      Refunds a paid order in full through its provider and records who did it. The amount
      you give must be what the portal still holds as refundable, or nothing is refunded.
      With the embedded database (PGlite), stop the portal first: one process at a time.
  node cli.js captcha-audio
      Regenerates the spoken digits of the audio captcha (needs espeak-ng and sox).
  node cli.js audit verify
      Recomputes every hash of the audit trail: prints how many entries hold and the head
      (seq and hash, to note down), exit 0; or the first broken entry and why, exit 1.
  node cli.js audit head
      Prints the last entry's seq and hash without checking the chain.
      With the embedded database (PGlite) the portal must be stopped (exit 2 while it runs):
      verify from the back office's audit trail page instead.`;

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
      default:
        console.error(USAGE);
        return command === undefined || command === "--help" ? 0 : 2;
    }
  } catch (error) {
    if (error instanceof DatabaseInUseError) {
      console.error(error.message);
      return 2;
    }
    console.error(error instanceof ConfigurationError || error instanceof UsageError ? error.message : error);
    return 1;
  }
}

class UsageError extends Error {}

async function billLinkCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      "bill-type": { type: "string" },
      number: { type: "string" },
      expires: { type: "string" },
      key: { type: "string" },
      qr: { type: "string" },
      "base-url": { type: "string" },
    },
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
  const { values } = parseArgs({
    args,
    options: { order: { type: "string" }, refundable: { type: "string" }, operator: { type: "string" } },
  });
  if (!values.order || !values.refundable || !values.operator || !/^\d+$/.test(values.refundable)) {
    throw new UsageError(`refund needs --order, --refundable (a whole number of NT$) and --operator\n\n${USAGE}`);
  }
  const { env } = await loadConfiguration();
  const database = await openPortalDatabase(env);
  try {
    await database.migrate();
    const ctx = { db: database.db, env, providers: paymentProvidersFromEnv(env), logger: getLogger() };
    const result = await breakGlassRefund(ctx, {
      orderReference: values.order,
      refundableAsSeen: Number(values.refundable),
      operator: values.operator,
      systemUser: userInfo().username,
      reasonText: "break-glass refund at the command line",
    });
    console.log(JSON.stringify(result));
    return result.kind === "refunded" ? 0 : 1;
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
  const database = await openPortalDatabase(env);
  try {
    if (sub === "head") {
      const head = await auditHead(database.db);
      console.log(`head seq ${head.headSeq}\nhead hash ${head.headHash}`);
      return 0;
    }
    const result = await verifyAuditChain(database.db);
    if (result.ok) {
      console.log(`audit trail intact: ${result.checked} entries checked\nhead seq ${result.headSeq}\nhead hash ${result.headHash}`);
      return 0;
    }
    console.log(
      `audit trail BROKEN at seq ${result.brokenAtSeq}: ${CHAIN_PROBLEMS[result.problem]}\n` +
        `${result.checked} entries before it hold; the chain's head is seq ${result.headSeq} (${result.headHash})`,
    );
    return 1;
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
