import { ErrorPage } from "~/components/error-page";
import type { RouteHandle } from "~/route-handle";

/** Every unknown URL: a localized 404 inside the layout. */
export const handle: RouteHandle = { pageTitle: (t) => t("errors.notFound.title") };

export function loader() {
  throw new Response(null, { status: 404, statusText: "Not Found" });
}

export default function NotFound() {
  return <ErrorPage kind="notFound" />;
}

export function ErrorBoundary() {
  return <ErrorPage kind="notFound" />;
}
