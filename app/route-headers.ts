import type { HeadersFunction } from "@remix-run/node";

/**
 * A route's `headers` for the document. Without this export Remix sends a
 * document only its cookies: what the loader or action set (Retry-After on a
 * 429, Cache-Control) would reach JavaScript's data requests but not a form
 * posted without JavaScript. The action's answer wins over the loader's.
 * (Set-Cookie is left to Remix, which adds every route's cookies itself.)
 */
export const routeHeaders: HeadersFunction = ({ loaderHeaders, actionHeaders, errorHeaders }) => {
  const headers = new Headers();
  for (const source of [loaderHeaders, actionHeaders, errorHeaders]) {
    source?.forEach((value, name) => {
      if (name !== "set-cookie") headers.set(name, value);
    });
  }
  return headers;
};
