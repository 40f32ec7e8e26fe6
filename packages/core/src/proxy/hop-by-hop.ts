/**
 * Per-hop headers (RFC 9110 §7.6.1) plus the proxy's own credential headers: a proxy never
 * forwards these as it received them.
 */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);
