import type { TFunction } from "i18next";

/**
 * What a route tells the layout through `handle`. The page title is built in
 * the layout (not in `meta`) so it goes through i18next like every other string.
 */
export interface RouteHandle {
  pageTitle?: (t: TFunction, data: unknown, locale: string) => string;
  /** A back-office page's title, in the back office's own words. */
  backOfficeTitle?: (t: TFunction<"backOffice">, data: unknown) => string;
  /**
   * The page holds nothing of the visitor's (no session, captcha or form state): for visitors without a
   * session it is kept rendered per language for a few seconds (composition/page-cache.server.ts).
   * `"apart-from-captcha"`: nothing but a captcha for a new visitor, which its loader takes from
   * `context.visitorCaptcha` when given one; each answer gets a captcha and a session of its own.
   */
  sameForEveryVisitor?: boolean | "apart-from-captcha";
}

export function findPageTitle(
  matches: ReadonlyArray<{ handle: unknown; data: unknown }>,
  t: TFunction,
  locale: string,
  backOfficeT?: TFunction<"backOffice">,
): string | undefined {
  for (let i = matches.length - 1; i >= 0; i--) {
    const match = matches[i]!;
    const handle = match.handle as RouteHandle | undefined;
    if (handle?.backOfficeTitle && backOfficeT) return handle.backOfficeTitle(backOfficeT, match.data);
    if (handle?.pageTitle) return handle.pageTitle(t, match.data, locale);
  }
  return undefined;
}
