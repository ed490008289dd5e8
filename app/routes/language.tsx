import { redirect, type ActionFunctionArgs } from "@remix-run/node";
import { isLocale } from "~/i18n";
import { safeRedirect } from "~/lib/safe-redirect";
import { readForm } from "~/base/form.server";
import { serializeLocaleCookie } from "~/base/i18n.server";

/** The language switch posts here; the chosen language is remembered in a cookie. */
export async function action({ request }: ActionFunctionArgs) {
  const form = await readForm(request);
  const locale = form.get("lng");
  const redirectTo = safeRedirect(form.get("redirectTo"));
  if (!isLocale(locale)) return redirect(redirectTo, 303);
  return redirect(redirectTo, { status: 303, headers: { "Set-Cookie": await serializeLocaleCookie(locale) } });
}

export function loader() {
  return redirect("/", 303);
}

/** Never shown (every answer is a redirect): being a page, a refused post ends on the localized error page. */
export default function Language() {
  return null;
}
