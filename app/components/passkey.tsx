import { startAuthentication, startRegistration, WebAuthnError } from "@simplewebauthn/browser";
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/browser";
import { useEffect, useRef, useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";

/**
 * The browser's side of passkeys (@simplewebauthn/browser): the ceremony runs
 * in the browser, its answer goes into a hidden field, and the form is posted
 * like any other, so the server decides everything. Passkeys cannot work
 * without JavaScript; the page says so instead of showing a dead button.
 */

function useScript(): boolean {
  const [ready, setReady] = useState(false);
  useEffect(() => setReady(true), []);
  return ready;
}

type CeremonyState = { kind: "idle" } | { kind: "working" } | { kind: "failed"; reason: "notAllowed" | "refused" };

function Ceremony({
  run,
  label,
  texts,
  children,
  fields,
}: {
  run: () => Promise<unknown>;
  label: string;
  texts: { working: string; needsScript: string; failed: (reason: string) => string; reason: Record<"notAllowed" | "refused", string> };
  children?: ReactNode;
  fields?: ReactNode;
}) {
  const scripted = useScript();
  const form = useRef<HTMLFormElement>(null);
  const answer = useRef<HTMLInputElement>(null);
  const [state, setState] = useState<CeremonyState>({ kind: "idle" });
  const status = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (state.kind === "failed") status.current?.focus();
  }, [state]);

  async function start() {
    setState({ kind: "working" });
    try {
      const result = await run();
      answer.current!.value = JSON.stringify(result);
      form.current!.requestSubmit();
    } catch (error) {
      setState({
        kind: "failed",
        reason: error instanceof WebAuthnError || (error as Error)?.name === "NotAllowedError" ? "notAllowed" : "refused",
      });
    }
  }

  return (
    <form method="post" ref={form} className="passkey-ceremony">
      {fields}
      <input type="hidden" name="credential" ref={answer} />
      {children}
      {scripted ? (
        <button type="button" className="button" onClick={() => void start()} disabled={state.kind === "working"}>
          {label}
        </button>
      ) : (
        <p className="notice">{texts.needsScript}</p>
      )}
      <p ref={status} tabIndex={-1} role="status" aria-live="polite" className={state.kind === "failed" ? "field-error-text" : undefined}>
        {state.kind === "working" ? texts.working : state.kind === "failed" ? texts.failed(texts.reason[state.reason]) : ""}
      </p>
    </form>
  );
}

/** `options` as the loader sent them (JSON; the library's own types do not survive serialization). */
export function PasskeyRegistration({ options, fields }: { options: object; fields?: ReactNode }) {
  const { t } = useTranslation("backOffice");
  return (
    <Ceremony
      run={() => startRegistration({ optionsJSON: options as PublicKeyCredentialCreationOptionsJSON })}
      label={t("passkey.submit")}
      fields={fields}
      texts={{
        working: t("passkey.working"),
        needsScript: t("passkey.needsScript"),
        failed: (reason) => t("passkey.failed", { reason }),
        reason: { notAllowed: t("passkey.notAllowed"), refused: t("passkey.refused") },
      }}
    />
  );
}

/** The step-up: what is approved is shown (children), then signed with the passkey. */
export function StepUpConfirmation({ options, fields, children }: { options: object; fields?: ReactNode; children?: ReactNode }) {
  const { t } = useTranslation("backOffice");
  return (
    <section className="step-up" aria-labelledby="step-up-heading">
      <h2 id="step-up-heading">{t("stepUp.heading")}</h2>
      <p>{t("stepUp.intro")}</p>
      <Ceremony
        run={() => startAuthentication({ optionsJSON: options as PublicKeyCredentialRequestOptionsJSON })}
        label={t("stepUp.confirm")}
        fields={fields}
        texts={{
          working: t("stepUp.working"),
          needsScript: t("stepUp.needsScript"),
          failed: (reason) => t("stepUp.failed", { reason }),
          reason: { notAllowed: t("stepUp.notAllowed"), refused: t("stepUp.refused") },
        }}
      >
        {children}
      </Ceremony>
    </section>
  );
}
