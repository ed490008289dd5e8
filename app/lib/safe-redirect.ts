/**
 * A redirect target taken from user input, kept on this site: only local
 * paths, never `//host` or `/\host` (which browsers treat as other origins).
 * Everything outside printable ASCII is percent-encoded as a browser would
 * (a Location header carries ASCII only), leaving escapes already there alone.
 */
export function safeRedirect(to: unknown, fallback = "/"): string {
  if (typeof to !== "string" || !to.startsWith("/") || to.startsWith("//") || to.startsWith("/\\")) return fallback;
  // Control characters and backslashes have no place in our own paths.
  if ([...to].some((character) => character.charCodeAt(0) < 0x20 || character === "\u007f" || character === "\\")) return fallback;
  return to.toWellFormed().replace(/[^\u0021-\u007e]+/gu, (characters) => encodeURIComponent(characters));
}
