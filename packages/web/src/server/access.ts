import { tokensEqual } from "./token.js";

export const SESSION_COOKIE = "herdctl_session";

const LOOPBACK_NAMES = new Set(["127.0.0.1", "::1", "[::1]", "localhost"]);

/**
 * Only these binds go without login. Other 127.x addresses are loopback too, but naming one is
 * unusual enough that it gets the token like any other bind.
 */
export function isLoginFreeBind(host: string): boolean {
  return LOOPBACK_NAMES.has(host.toLowerCase());
}

function hostWithPort(host: string, port: number): string {
  const h = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return `${h.toLowerCase()}:${port}`;
}

/**
 * Who may talk to the server. On a login-free bind, requests must name one of the loopback hosts
 * (a DNS-rebound name is refused, so a page elsewhere cannot read the fleet) and state changes must
 * come from the server's own origin. On other binds every request but a few needs the token.
 */
export class AccessPolicy {
  readonly loginRequired: boolean;
  private readonly hosts: Set<string>;

  constructor(
    bindHost: string,
    readonly port: number,
    private readonly token: string | undefined,
    private readonly sessionCookie: string | undefined,
  ) {
    this.loginRequired = !isLoginFreeBind(bindHost);
    this.hosts = new Set(
      this.loginRequired
        ? [hostWithPort(bindHost, port)]
        : ["127.0.0.1", "localhost", "::1"].map((h) => hostWithPort(h, port)),
    );
  }

  /** On a login-free bind only the loopback names are served; elsewhere any name (the token guards). */
  hostAllowed(host: string | undefined): boolean {
    if (!this.loginRequired) return host !== undefined && this.hosts.has(host.toLowerCase());
    return true;
  }

  /**
   * Whether a state-changing request or WebSocket upgrade comes from this server's own pages.
   * No Origin at all means a non-browser client (curl, the CLI); browsers send one on every POST
   * and upgrade, and Sec-Fetch-Site gives away a cross-site request that somehow lacks it.
   */
  sameOrigin(origin: string | undefined, host: string | undefined, fetchSite: string | undefined): boolean {
    if (origin === undefined)
      return fetchSite === undefined || fetchSite === "same-origin" || fetchSite === "none";
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    if (url.origin === "null" || (url.protocol !== "http:" && url.protocol !== "https:")) return false;
    const originHost = url.host.toLowerCase();
    if (this.loginRequired) return host !== undefined && originHost === host.toLowerCase();
    return url.protocol === "http:" && this.hosts.has(originHost) && originHost === host?.toLowerCase();
  }

  /** A request carries the session cookie or `Authorization: Bearer <token>`. */
  authenticated(cookie: string | undefined, authorization: string | undefined): boolean {
    if (!this.loginRequired) return true;
    if (cookie !== undefined && this.sessionCookie !== undefined && tokensEqual(cookie, this.sessionCookie))
      return true;
    const bearer = /^Bearer (.+)$/.exec(authorization ?? "")?.[1];
    return bearer !== undefined && this.token !== undefined && tokensEqual(bearer, this.token);
  }

  checkToken(given: string): boolean {
    return this.token !== undefined && tokensEqual(given, this.token);
  }
}

/** Reads one cookie without a parser dependency; the WebSocket upgrade has no Hono context. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
