import { useFetcher } from "@remix-run/react";
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { formatTime } from "~/domain/format";

/**
 * Before a member's session ends for inactivity, a dialog says when, with a
 * button to stay logged in (WCAG 2.2.1 Timing Adjustable). At the end the page
 * goes to /logged-out, which checks with the server (another tab may have kept
 * the session alive). Without JavaScript the server still ends the session;
 * pages say so in advance.
 */
export function IdleWarning({
  idleSeconds,
  warnSeconds,
  checkedAt,
  keepAliveAction,
  signOutAction,
  endedUrl,
}: {
  idleSeconds: number;
  warnSeconds: number;
  checkedAt: string;
  /** Members' and staff's sessions are apart: each has its own keep-alive, sign-out and "ended" page. */
  keepAliveAction: string;
  signOutAction: string;
  endedUrl: string;
}) {
  const { t } = useTranslation();
  const dialog = useRef<HTMLDialogElement>(null);
  const fetcher = useFetcher<{ ok: boolean; idleSeconds?: number }>();
  const [deadline, setDeadline] = useState<number | null>(null);

  // Every page load or revalidation tells the remaining time again.
  useEffect(() => setDeadline(Date.now() + idleSeconds * 1000), [idleSeconds, checkedAt]);
  useEffect(() => {
    if (fetcher.data?.ok && typeof fetcher.data.idleSeconds === "number") {
      setDeadline(Date.now() + fetcher.data.idleSeconds * 1000);
      dialog.current?.close();
    }
  }, [fetcher.data]);
  useEffect(() => {
    if (deadline === null) return;
    const warn = setTimeout(
      () => {
        if (!dialog.current?.open) dialog.current?.showModal();
      },
      Math.max(0, deadline - warnSeconds * 1000 - Date.now()),
    );
    const end = setTimeout(() => window.location.assign(endedUrl), Math.max(0, deadline - Date.now()));
    return () => {
      clearTimeout(warn);
      clearTimeout(end);
    };
  }, [deadline, warnSeconds, endedUrl]);

  return (
    <dialog
      ref={dialog}
      className="idle-warning"
      aria-labelledby="idle-warning-heading"
      aria-describedby="idle-warning-text"
      // When the session ends (epoch ms), once this page knows it: for the tests' clock.
      data-deadline={deadline ?? undefined}
      // Escape closes a dialog: here it means "stay signed in", or the session would end unannounced.
      onCancel={() => fetcher.submit({}, { method: "post", action: keepAliveAction })}
    >
      <h2 id="idle-warning-heading">{t("member.idle.heading")}</h2>
      <p id="idle-warning-text">{deadline ? t("member.idle.text", { time: formatTime(new Date(deadline)) }) : null}</p>
      <div className="actions">
        <fetcher.Form method="post" action={keepAliveAction}>
          {/* eslint-disable-next-line jsx-a11y/no-autofocus -- the dialog's main action takes focus when it opens */}
          <button type="submit" className="button" autoFocus>
            {t("member.idle.stay")}
          </button>
        </fetcher.Form>
        <form method="post" action={signOutAction}>
          <button type="submit" className="button button-secondary">
            {t("member.idle.logout")}
          </button>
        </form>
      </div>
    </dialog>
  );
}
