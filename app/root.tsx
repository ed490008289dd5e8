import { json, type LinksFunction, type LoaderFunctionArgs } from "@remix-run/node";
import {
  Links,
  LiveReload,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  isRouteErrorResponse,
  useMatches,
  useRouteError,
  useRouteLoaderData,
} from "@remix-run/react";
import type { TFunction } from "i18next";
import { useEffect, useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { ErrorPage } from "./components/error-page";
import { ErrorSummaryShownContext } from "./components/forms";
import { IdleWarning } from "./components/idle-warning";
import { useFocusOnNavigation } from "./components/navigation-focus";
import { AccessKeyAnchor } from "./components/layout/access-key-anchor";
import { SiteFooter } from "./components/layout/site-footer";
import { SiteHeader } from "./components/layout/site-header";
import { BackOfficeHeader } from "./components/layout/back-office-header";
import type { loader as backOfficeLoader } from "./routes/back-office";
import { useRequestInfo } from "./components/request-info";
import { DEFAULT_LOCALE, HTML_LANG, isLocale } from "./i18n";
import { findPageTitle } from "./route-handle";
import { getMemberSession } from "./members/member-request.server";
import { idleSecondsLeft } from "~/base/session-tokens.server";
import { getEnv } from "~/base/env.server";
import { getLocale } from "~/base/i18n.server";
import stylesheet from "./styles/app.css";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: stylesheet },
  { rel: "icon", href: "/favicon.svg", type: "image/svg+xml" },
];

export async function loader({ request }: LoaderFunctionArgs) {
  const env = getEnv();
  const session = await getMemberSession(request);
  return json({
    locale: await getLocale(request),
    officialHost: new URL(env.PUBLIC_URL).host,
    serviceNotice: env.SERVICE_NOTICE,
    memberLogin: env.oidc !== null,
    member: session
      ? {
          name: session.member.displayName,
          idleSeconds: idleSecondsLeft(session),
          // Two minutes' warning, or half the idle time when that is shorter.
          warnSeconds: Math.min(120, (env.MEMBER_IDLE_MINUTES * 60) / 2),
          checkedAt: new Date().toISOString(),
        }
      : null,
  });
}

export function Layout({ children }: { children: ReactNode }) {
  const data = useRouteLoaderData<typeof loader>("root");
  const backOfficeData = useRouteLoaderData<typeof backOfficeLoader>("routes/back-office");
  const { t, i18n } = useTranslation();
  const { t: tb } = useTranslation("backOffice");
  const { nonce, requestId, formRefused } = useRequestInfo();
  // Until the browser takes over, only the server knows a form was refused;
  // afterwards the error summary itself says whether it is on the page.
  const [hydrated, setHydrated] = useState(false);
  const [summaryShown, setSummaryShown] = useState(false);
  useEffect(() => {
    setHydrated(true);
    // Outside React's markup, so nothing to reconcile: lets tests (and support staff) tell a page the browser has taken over.
    document.documentElement.dataset.hydrated = "true";
  }, []);
  useFocusOnNavigation("main-content");
  const matches = useMatches();
  // The back office is the same site with its own header, words and session (docs/decisions/017).
  const backOffice = matches.some((match) => match.id === "routes/back-office");
  const error = useRouteError();
  const locale = data?.locale ?? (isLocale(i18n.language) ? i18n.language : DEFAULT_LOCALE);
  const pageTitle = error ? errorTitle(error, t) : findPageTitle(matches, t, locale, tb);
  const refused = !error && (hydrated ? summaryShown : formRefused);
  const siteName = backOffice ? `${tb("area.name")} | ${t("site.fullName")}` : t("site.fullName");
  const title = `${refused ? t("form.titleErrorPrefix") : ""}${pageTitle ? `${pageTitle} | ${siteName}` : siteName}`;
  const idle = backOffice
    ? backOfficeData?.idle && {
        ...backOfficeData.idle,
        keepAlive: "/back-office/keep-alive",
        signOut: "/back-office/logout",
        ended: "/back-office/signed-out?reason=idle",
      }
    : data?.member && { ...data.member, keepAlive: "/account/keep-alive", signOut: "/logout", ended: "/logged-out?reason=idle" };

  return (
    <html lang={HTML_LANG[locale]} data-locale={locale} data-area={backOffice ? "back-office" : undefined} dir="ltr">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="description" content={t("site.tagline")} />
        <meta name="request-id" content={requestId} />
        {formRefused ? <meta name="form-refused" content="true" /> : null}
        <title>{title}</title>
        <Meta />
        <Links />
      </head>
      <body>
        <a href="#C" className="skip-link">
          {t("a11y.skipToContent")}
        </a>
        {backOffice ? (
          <BackOfficeHeader
            locale={locale}
            serviceNotice={data?.serviceNotice ?? "none"}
            staff={backOfficeData?.staff ?? null}
            nav={(backOfficeData?.nav ?? []).map((item) => ({ to: item.to, label: tb(item.key as "home.title") }))}
          />
        ) : (
          <SiteHeader
            locale={locale}
            officialHost={data?.officialHost ?? ""}
            serviceNotice={data?.serviceNotice ?? "none"}
            member={data?.member ? { name: data.member.name } : null}
            memberLogin={data?.memberLogin ?? false}
          />
        )}
        <main id="main-content" className="container site-main">
          <AccessKeyAnchor accessKey="C" title={t("a11y.accessKeyMain")} />
          <ErrorSummaryShownContext.Provider value={setSummaryShown}>{children}</ErrorSummaryShownContext.Provider>
        </main>
        <SiteFooter />
        {idle ? (
          <IdleWarning
            idleSeconds={idle.idleSeconds}
            warnSeconds={idle.warnSeconds}
            checkedAt={idle.checkedAt}
            keepAliveAction={idle.keepAlive}
            signOutAction={idle.signOut}
            endedUrl={idle.ended}
          />
        ) : null}
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
        <LiveReload nonce={nonce} />
      </body>
    </html>
  );
}

/** Which error page a route error gets: not found, another client error, or the server's fault. */
function errorKind(error: unknown): "notFound" | "badRequest" | "server" {
  if (isRouteErrorResponse(error) && error.status === 404) return "notFound";
  if (isRouteErrorResponse(error) && error.status < 500) return "badRequest";
  return "server";
}

function errorTitle(error: unknown, t: TFunction): string {
  return t(`errors.${errorKind(error)}.title`);
}

export default function App() {
  return <Outlet />;
}

export function ErrorBoundary() {
  const error = useRouteError();
  const kind = errorKind(error);
  return kind === "server" ? <ErrorPage kind="server" error={error} /> : <ErrorPage kind={kind} />;
}
