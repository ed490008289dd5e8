/**
 * A redirect target taken from user input, kept on this site: only local
 * paths, never `//host` or `/\host` (which browsers treat as other origins).
 */
export function safeRedirect(to: unknown, fallback = "/"): string {
  if (typeof to !== "string" || !to.startsWith("/") || to.startsWith("//") || to.startsWith("/\\")) return fallback;
  // Control characters and backslashes have no place in our own paths.
  if (/[\u0000-\u001f\\]/.test(to)) return fallback;
  return to;
}
