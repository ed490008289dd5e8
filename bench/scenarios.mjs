/**
 * Benchmark scenarios. Each is requested from the portal and from a bare Node
 * HTTP server that answers with the very same bytes, in the same run, so the
 * figures read as a ratio that survives a noisy shared machine. Later
 * features add their scenarios here.
 *
 * A scenario: { name, path, method?, headers?, body?, expectStatus? }
 */
export const SCENARIOS = [
  { name: "home", path: "/", headers: { "accept-language": "zh-TW" } },
  { name: "healthz", path: "/healthz" },
];
