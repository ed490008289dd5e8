import { json, redirect, type ActionFunctionArgs } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation, useSubmit } from "@remix-run/react";
import type { TFunction } from "i18next";
import { useCallback, useEffect, useRef, useState, type ChangeEvent } from "react";
import { useTranslation } from "react-i18next";
import { DetailRow } from "~/components/detail-row";
import { ErrorSummary, IdentifierField, type FieldError } from "~/components/forms";
import type { BarcodeProblem, ConvenienceBill, SegmentRole } from "~/domain/convenience-barcode";
import { taipeiDate } from "~/domain/dates";
import { formatDate, formatMoney } from "~/domain/format";
import { portalBillLinkPath, type ScanState } from "~/domain/scan";
import type { RouteHandle } from "~/route-handle";
import { routeHeaders } from "~/route-headers";
import type { CameraProblem, CameraScanner } from "~/scanner/camera.client";
import { getDb } from "~/base/db.server";
import { getEnv } from "~/base/env.server";
import { readForm } from "~/base/form.server";
import { openScannedBill, type ScanOutcome } from "~/lookup/scan.server";
import { commitVisitorSession, getVisitorSession, grantBill } from "~/base/session.server";

export const handle: RouteHandle = { pageTitle: (t) => t("scan.title") };
// Retry-After of a 429 reaches a form posted without JavaScript too.
export const headers = routeHeaders;

export function loader() {
  return json({ today: taipeiDate(), officialOrigin: new URL(getEnv().PUBLIC_URL).origin });
}

const SEGMENTS: SegmentRole[] = [1, 2, 3];
const fieldId = (segment: SegmentRole) => `barcode${segment}`;
const text = (value: FormDataEntryValue | null) => (typeof value === "string" ? value.slice(0, 60) : "");

type ReadSummary = Pick<ConvenienceBill, "collectionItemCode" | "writeOffNumber" | "amount" | "deadline">;
type ScanActionData = {
  outcome: Exclude<ScanOutcome, { kind: "found" }>["kind"];
  problems?: BarcodeProblem[];
  read?: ReadSummary;
  retryAfterMinutes?: number;
  /** Another biller's bill past its convenience-store deadline. */
  expired?: boolean;
  values: [string, string, string];
};

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const values = [text(form.get("barcode1")), text(form.get("barcode2")), text(form.get("barcode3"))] as [string, string, string];
  const outcome = await openScannedBill(getDb(), { env: getEnv(), clientAddress: context.clientAddress, logger: context.logger }, values);
  if (outcome.kind === "found") {
    const session = await getVisitorSession(request);
    grantBill(session, outcome.bill.id, "scan");
    return redirect("/bills", { status: 303, headers: { "Set-Cookie": await commitVisitorSession(session) } });
  }
  const data: ScanActionData = { outcome: outcome.kind, values };
  if (outcome.kind === "unreadable") data.problems = outcome.problems;
  if ("read" in outcome) {
    const { collectionItemCode, writeOffNumber, amount, deadline } = outcome.read;
    data.read = { collectionItemCode, writeOffNumber, amount, deadline };
  }
  if (outcome.kind === "other_biller") data.expired = outcome.expired;
  if (outcome.kind === "rate_limited") {
    data.retryAfterMinutes = Math.ceil(outcome.retryAfterSeconds / 60);
    return json(data, { status: 429, headers: { "Retry-After": String(outcome.retryAfterSeconds) } });
  }
  // Another biller's bill was read correctly: that is an answer, not an error.
  return json(data, { status: outcome.kind === "other_biller" ? 200 : 400 });
}

function problemMessage(t: TFunction, problem: BarcodeProblem): string {
  switch (problem.code) {
    case "empty":
      return t(`scan.errors.empty_${problem.segment}`);
    case "shape":
      return t(`scan.errors.shape_${problem.segment}`);
    case "deadline_date":
      return t("scan.errors.deadlineDate");
    case "check_code":
      return t("scan.errors.checkCode");
    case "expired":
      return t("scan.errors.expired", { date: problem.deadline });
  }
}

/** The problems of a submission, as the error summary lists them. */
function summaryOf(t: TFunction, locale: string, data: ScanActionData | undefined): FieldError[] {
  if (!data) return [];
  switch (data.outcome) {
    case "unreadable":
      return (data.problems ?? []).map((problem) => ({
        fieldId: "segment" in problem ? fieldId(problem.segment) : fieldId(1),
        message: problemMessage(t, problem),
      }));
    case "expired":
      return [{ message: t("scan.errors.expired", { date: formatDate(data.read!.deadline, locale) }) }];
    case "misread_number":
      return [{ fieldId: fieldId(2), message: t("scan.errors.misreadNumber") }];
    case "not_found":
      return [{ message: t("scan.errors.notFound") }];
    case "amount_mismatch":
      return [{ message: t("scan.errors.amountMismatch") }];
    case "rate_limited":
      return [{ message: t("lookup.errors.rateLimited", { count: data.retryAfterMinutes ?? 1 }) }];
    case "other_biller":
      return [];
  }
}

export default function Scan() {
  const { today, officialOrigin } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const { t, i18n } = useTranslation();
  const submit = useSubmit();
  const navigation = useNavigation();
  const [enhanced, setEnhanced] = useState(false);
  useEffect(() => setEnhanced(true), []);

  const submitBarcodes = useCallback(
    (barcodes: [string, string, string], source: "camera" | "photo") => {
      submit({ barcode1: barcodes[0], barcode2: barcodes[1], barcode3: barcodes[2], source }, { method: "post", action: "/scan" });
    },
    [submit],
  );
  const openQr = useCallback(
    (qrText: string): boolean => {
      const path = portalBillLinkPath(qrText, officialOrigin);
      if (path) window.location.assign(path);
      return path !== null;
    },
    [officialOrigin],
  );

  const summary = summaryOf(t, i18n.language, actionData);
  const fieldErrors = new Map(summary.filter((item) => item.fieldId).map((item) => [item.fieldId!, item.message]));

  return (
    <>
      <ErrorSummary errors={summary} />
      <h1>{t("scan.title")}</h1>
      <p className="lead">{t("scan.intro")}</p>
      {actionData?.outcome === "other_biller" && actionData.read ? (
        <OtherBiller read={actionData.read} expired={actionData.expired === true} answer={actionData} />
      ) : null}
      {actionData?.outcome === "expired" || actionData?.outcome === "not_found" || actionData?.outcome === "amount_mismatch" ? (
        <p>
          <Link to="/lookup">{t("scan.lookUpInstead")}</Link>
        </p>
      ) : null}

      <section aria-labelledby="camera-heading" className="scan-section">
        <h2 id="camera-heading">{t("scan.camera.heading")}</h2>
        {enhanced ? (
          <CameraPanel today={today} onBill={submitBarcodes} onQr={openQr} busy={navigation.state !== "idle"} answer={actionData} />
        ) : (
          <p>{t("scan.needsJavaScript")}</p>
        )}
      </section>

      <section aria-labelledby="photo-heading" className="scan-section">
        <h2 id="photo-heading">{t("scan.photo.heading")}</h2>
        {enhanced ? (
          <PhotoPanel today={today} onBill={submitBarcodes} onQr={openQr} answer={actionData} />
        ) : (
          <p>{t("scan.needsJavaScript")}</p>
        )}
      </section>

      <section aria-labelledby="manual-heading" className="scan-section" id="manual">
        <h2 id="manual-heading">{t("scan.manual.heading")}</h2>
        <p>{t("scan.manual.intro")}</p>
        <Form method="post" action="/scan" noValidate className="manual-barcodes">
          <input type="hidden" name="source" value="manual" />
          {SEGMENTS.map((segment) => (
            <IdentifierField
              key={`${segment}-${actionData?.values[segment - 1] ?? ""}`}
              id={fieldId(segment)}
              name={fieldId(segment)}
              label={t(`scan.manual.label_${segment}`)}
              hint={t(`scan.manual.hint_${segment}`)}
              defaultValue={actionData?.values[segment - 1]}
              error={fieldErrors.get(fieldId(segment))}
              required
            />
          ))}
          <button type="submit" className="button">
            {t("scan.manual.submit")}
          </button>
        </Form>
      </section>
    </>
  );
}

/**
 * Another biller's bill, read correctly: what it is, why the portal cannot
 * collect it and what to do instead. Scanned on a phone, the notice appears
 * above the camera, out of sight: focus moves to it and brings it into view
 * (a new answer, even for the same bill, moves it again).
 */
function OtherBiller({ read, expired, answer }: { read: ReadSummary; expired: boolean; answer: object }) {
  const { t, i18n } = useTranslation();
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    ref.current?.focus({ preventScroll: true });
    ref.current?.scrollIntoView({ block: "start" });
  }, [answer]);
  const values = { code: read.collectionItemCode, date: formatDate(read.deadline, i18n.language) };
  return (
    <section
      ref={ref}
      className={expired ? "notice notice-warning" : "notice"}
      tabIndex={-1}
      aria-labelledby="other-biller-heading"
      id="other-biller"
    >
      <h2 id="other-biller-heading">{expired ? t("scan.otherBiller.expiredHeading") : t("scan.otherBiller.heading")}</h2>
      <p>{t("scan.otherBiller.read", values)}</p>
      <p>{expired ? t("scan.otherBiller.expiredWhatToDo", values) : t("scan.otherBiller.whatToDo", values)}</p>
      <p>{t("scan.otherBiller.barcodesSay")}</p>
      <dl className="bill-details">
        <DetailRow label={t("bill.writeOffNumber")} className="identifier">
          {read.writeOffNumber}
        </DetailRow>
        <DetailRow label={t("bill.amount")} className="amount">
          {formatMoney(read.amount, i18n.language)}
        </DetailRow>
        <DetailRow label={t("scan.otherBiller.deadline")}>
          {formatDate(read.deadline, i18n.language)}
          {expired ? ` ${t("scan.otherBiller.deadlinePassed")}` : null}
        </DetailRow>
        <DetailRow label={t("scan.otherBiller.collectionCode")} className="identifier">
          {read.collectionItemCode}
        </DetailRow>
      </dl>
    </section>
  );
}

/** How long the camera sees nothing readable before the resident is told to move closer. */
const MOVE_CLOSER_AFTER_MS = 6_000;

type CameraStatus = "idle" | "starting" | "scanning" | "found" | "problem";

function CameraPanel({
  today,
  onBill,
  onQr,
  busy,
  answer,
}: {
  today: string;
  onBill: (barcodes: [string, string, string], source: "camera") => void;
  onQr: (text: string) => boolean;
  busy: boolean;
  /** The server's answer to the barcodes posted (a bill that opens navigates away instead). */
  answer: object | undefined;
}) {
  const { t } = useTranslation();
  const video = useRef<HTMLVideoElement>(null);
  const scanner = useRef<CameraScanner | null>(null);
  const [status, setStatus] = useState<CameraStatus>("idle");
  const [problem, setProblem] = useState<CameraProblem | null>(null);
  const [captured, setCaptured] = useState<ScanState["captured"]>({ 1: false, 2: false, 3: false });
  const [foreignQr, setForeignQr] = useState(false);
  const [torch, setTorch] = useState<{ supported: boolean; on: boolean }>({ supported: false, on: false });
  const [announcement, setAnnouncement] = useState("");
  const [moveCloser, setMoveCloser] = useState(false);
  const readSomething = useRef(false);
  // "Opening the bill" lasts only until the server answers; an answer that stays on this page is shown above.
  const answered = useAnswered(answer, status === "found");

  const stop = useCallback(() => {
    scanner.current?.stop();
    scanner.current = null;
  }, []);
  // Leaving the page stops the camera.
  useEffect(() => stop, [stop]);

  const start = async () => {
    if (!video.current) return;
    setStatus("starting");
    setProblem(null);
    setAnnouncement(t("scan.camera.starting"));
    const { startCameraScanner, CameraError } = await import("~/scanner/camera.client");
    let seen = { 1: false, 2: false, 3: false };
    let qrHandled = false;
    readSomething.current = false;
    setMoveCloser(false);
    try {
      scanner.current = await startCameraScanner(video.current, {
        today,
        onState: (state) => {
          // Announce only what changed: one message per newly read barcode, not per frame.
          const fresh = SEGMENTS.filter((segment) => state.captured[segment] && !seen[segment]);
          if (fresh.length > 0 || state.qrText) {
            readSomething.current = true;
            setMoveCloser(false);
          }
          if (fresh.length > 0) {
            seen = { ...state.captured };
            setCaptured(state.captured);
            if (!state.bill) setAnnouncement(t("scan.camera.captured", { count: SEGMENTS.filter((s) => state.captured[s]).length }));
          }
          if (state.qrText && !qrHandled) {
            qrHandled = true;
            if (onQr(state.qrText)) {
              stop();
              setStatus("found");
              setAnnouncement(t("scan.camera.qrFound"));
              return;
            }
            setForeignQr(true);
            setAnnouncement(t("scan.camera.foreignQr"));
          }
          if (state.bill?.bill) {
            stop();
            setStatus("found");
            setAnnouncement(t("scan.camera.done"));
            onBill(state.bill.bill.barcodes, "camera");
          }
        },
      });
      setTorch({ supported: scanner.current.torchSupported, on: false });
      setStatus("scanning");
      setAnnouncement(t("scan.camera.scanning"));
    } catch (error) {
      const kind = error instanceof CameraError ? error.problem : "failed";
      setProblem(kind);
      setStatus("problem");
      setAnnouncement(t(`scan.camera.problems.${kind}`));
    }
  };

  const toggleTorch = async () => {
    await scanner.current?.setTorch(!torch.on).catch(() => undefined);
    setTorch((current) => ({ ...current, on: !current.on }));
  };

  // A code too small or blurred to read (a bill held at arm's length) gives no sign at all:
  // after a while with nothing read, say what helps.
  useEffect(() => {
    if (status !== "scanning") return;
    const timer = setTimeout(() => {
      if (readSomething.current) return;
      setMoveCloser(true);
      setAnnouncement(t("scan.camera.moveCloser"));
    }, MOVE_CLOSER_AFTER_MS);
    return () => clearTimeout(timer);
  }, [status, t]);

  const active = status === "starting" || status === "scanning";
  return (
    <div className="camera-panel">
      <p>{t("scan.camera.hint")}</p>
      <div className="camera-controls">
        {active ? (
          <button
            type="button"
            className="button button-secondary-dark"
            onClick={() => {
              stop();
              setStatus("idle");
              setAnnouncement(t("scan.camera.stopped"));
            }}
          >
            {t("scan.camera.stop")}
          </button>
        ) : (
          <button type="button" className="button" onClick={start} disabled={busy}>
            {t("scan.camera.start")}
          </button>
        )}
        {active && torch.supported ? (
          <button type="button" className="button button-secondary-dark" aria-pressed={torch.on} onClick={toggleTorch}>
            {t("scan.camera.torch")}
          </button>
        ) : null}
      </div>
      <div className={active ? "scanner-viewport" : "scanner-viewport scanner-viewport-hidden"}>
        <video ref={video} muted playsInline aria-label={t("scan.camera.videoLabel")} />
        <div className="guide-frame" aria-hidden="true" />
      </div>
      <ul className="segment-progress" aria-label={t("scan.camera.progressLabel")}>
        {SEGMENTS.map((segment) => (
          <li key={segment} className={captured[segment] ? "captured" : undefined}>
            {t("scan.camera.segmentStatus", {
              segment: t(`scan.camera.segment_${segment}`),
              status: captured[segment] ? t("scan.camera.segmentRead") : t("scan.camera.segmentWaiting"),
            })}
          </li>
        ))}
      </ul>
      {status === "found" ? <p className="status-message">{answered ? t("scan.camera.answered") : announcement}</p> : null}
      {moveCloser && status === "scanning" ? <p className="notice">{t("scan.camera.moveCloser")}</p> : null}
      {foreignQr ? <p className="notice notice-warning">{t("scan.camera.foreignQr")}</p> : null}
      {problem ? (
        <div className="notice notice-warning">
          <p>{t(`scan.camera.problems.${problem}`)}</p>
          <p>
            {t("scan.camera.fallbacks")} <a href="#photo-input">{t("scan.photo.heading")}</a>
            {t("listSeparator")}
            <a href="#barcode1">{t("scan.manual.heading")}</a>
          </p>
        </div>
      ) : null}
      <p role="status" aria-live="polite" className="visually-hidden">
        {answered ? "" : announcement}
      </p>
    </div>
  );
}

function PhotoPanel({
  today,
  onBill,
  onQr,
  answer,
}: {
  today: string;
  onBill: (barcodes: [string, string, string], source: "photo") => void;
  onQr: (text: string) => boolean;
  answer: object | undefined;
}) {
  const { t } = useTranslation();
  const [message, setMessage] = useState("");
  const [posted, setPosted] = useState(false);
  const answered = useAnswered(answer, posted);
  const choose = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    if (!file) return;
    setPosted(false);
    setMessage(t("scan.photo.reading"));
    const { scanPhoto } = await import("~/scanner/camera.client");
    try {
      const state = await scanPhoto(file, today);
      if (state.bill?.bill) {
        setMessage(t("scan.camera.done"));
        setPosted(true);
        onBill(state.bill.bill.barcodes, "photo");
      } else if (state.qrText) {
        setMessage(onQr(state.qrText) ? t("scan.camera.qrFound") : t("scan.camera.foreignQr"));
      } else {
        setMessage(t("scan.photo.nothingFound"));
      }
    } catch {
      setMessage(t("scan.photo.notAnImage"));
    }
  };
  // Two fields, because `capture` makes most phones open the camera at once, with no way to
  // a saved photo or an e-bill screenshot: one field takes a photo, the other chooses one.
  return (
    <div className="photo-panel">
      <p className="hint" id="photo-hint">
        {t("scan.photo.hint")}
      </p>
      <div className="form-group">
        <label htmlFor="photo-input">{t("scan.photo.chooseLabel")}</label>
        <input id="photo-input" type="file" accept="image/*" aria-describedby="photo-hint" onChange={choose} />
      </div>
      <div className="form-group">
        <label htmlFor="photo-camera-input">{t("scan.photo.takeLabel")}</label>
        <input id="photo-camera-input" type="file" accept="image/*" capture="environment" aria-describedby="photo-hint" onChange={choose} />
      </div>
      <p role="status" aria-live="polite" className="photo-status">
        {answered ? t("scan.camera.answered") : message}
      </p>
    </div>
  );
}

/**
 * True once the server has answered barcodes posted while `waiting` (an
 * answer that stays on this page, such as another biller's bill): the
 * "opening the bill" message must not outlive it.
 */
function useAnswered(answer: object | undefined, waiting: boolean): boolean {
  const [atPost, setAtPost] = useState<object | undefined>(undefined);
  const [answered, setAnswered] = useState(false);
  useEffect(() => {
    if (!waiting) {
      setAnswered(false);
      setAtPost(answer);
    } else if (answer !== atPost) {
      setAnswered(true);
    }
  }, [answer, waiting, atPost]);
  return waiting && answered;
}
