import type { ExpiringSecrets } from "./expiring-secrets.js";
import { tokensEqual } from "./token.js";

const LOOPBACK_NAMES = new Set(["127.0.0.1", "::1", "[::1]", "localhost"]);

/**
 * Binds that only this machine can reach. They still need a login (any local user can reach
 * them), but their pages are plain http, so their cookies cannot be `Secure`. Other 127.x
 * addresses are loopback too, but naming one is unusual enough that it is treated like any bind.
 */
export function isLoopbackBind(host: string): boolean {
  return LOOPBACK_NAMES.has(host.toLowerCase());
}

/**
 * The session cookie's name carries the port: browsers send a host's cookies to every port on
 * it, so two fleets on 127.0.0.1 would otherwise overwrite each other's sessions.
 */
export function sessionCookieName(port: number): string {
  return `herdctl_session_${port}`;
}

function hostWithPort(host: string, port: number): string {
  const h = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return `${h.toLowerCase()}:${port}`;
}

/**
 * Who may talk to the server. Every bind needs a session or the token. On a loopback bind,
 * requests must also name one of the loopback hosts (a DNS-rebound name is refused, so a page
 * elsewhere cannot even probe the server), and state changes must come from the server's own origin.
 */
export class AccessPolicy {
  readonly loopback: boolean;
  readonly cookieName: string;
  private readonly hosts: Set<string>;

  constructor(
    bindHost: string,
    readonly port: number,
    private readonly token: string,
    private readonly sessions: ExpiringSecrets,
  ) {
    this.loopback = isLoopbackBind(bindHost);
    this.cookieName = sessionCookieName(port);
    this.hosts = new Set(
      this.loopback
        ? ["127.0.0.1", "localhost", "::1"].map((h) => hostWithPort(h, port))
        : [hostWithPort(bindHost, port)],
    );
  }

  /**
   * Anything but loopback is expected behind a TLS-terminating proxy (docs/web.md), so its
   * cookie is `Secure`: it never travels over plain http, where it could be read off the wire.
   */
  get secureCookies(): boolean {
    return !this.loopback;
  }

  /** On a loopback bind only the loopback names are served; elsewhere any name (the login guards). */
  hostAllowed(host: string | undefined): boolean {
    if (this.loopback) return host !== undefined && this.hosts.has(host.toLowerCase());
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
    if (!this.loopback) return host !== undefined && originHost === host.toLowerCase();
    return url.protocol === "http:" && this.hosts.has(originHost) && originHost === host?.toLowerCase();
  }

  /** A request carries a live session cookie or `Authorization: Bearer <token>`. */
  authenticated(session: string | undefined, authorization: string | undefined): boolean {
    if (this.sessions.valid(session)) return true;
    const bearer = /^Bearer (.+)$/.exec(authorization ?? "")?.[1];
    return bearer !== undefined && tokensEqual(bearer, this.token);
  }

  checkToken(given: string): boolean {
    return tokensEqual(given, this.token);
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
