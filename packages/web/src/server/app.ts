import { createHash } from "node:crypto";
import { API_BODY_LIMIT, apiError, createApi, type FleetManager, limitBody } from "@herdctl/core/internal";
import { getConnInfo } from "@hono/node-server/conninfo";
import { type Context, Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AccessPolicy } from "./access.js";
import { mountAgentFiles } from "./agent-files.js";
import type { ExpiringSecrets } from "./expiring-secrets.js";
import { SECURITY_HEADERS } from "./headers.js";
import { RateLimiter } from "./rate-limit.js";
import type { StaticFiles } from "./static.js";
import { MAX_WEBHOOK_BODY, mountWebhooks } from "./webhooks.js";

export interface WebAppOptions {
  fleet: FleetManager;
  access: AccessPolicy;
  sessions: ExpiringSecrets;
  /** One-time login codes, as minted by `WebServer.loginLink()`. */
  links: ExpiringSecrets;
  files: StaticFiles;
  env: NodeJS.ProcessEnv;
  webhookRate: { perMinute: number; burst: number };
  /** Called after logout ends a session, so live sockets opened with it close too. */
  onSessionEnded: () => void;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
/** Reachable without the token: the client shell has no data, and login must be possible. */
const OPEN_API = new Set(["/api/health", "/api/login", "/api/session"]);
/** `{"token": ...}` with a token of at most 4096 characters, and room to spare. */
const LOGIN_BODY_LIMIT = 16 * 1024;

/** The peer's address: per-address limits keep one noisy client from locking out everyone. */
function clientAddress(c: Context): string {
  return getConnInfo(c).remote.address ?? "unknown";
}

/**
 * The dashboard session behind a request, as the audit trail names it: a short hash of the
 * session cookie (never the cookie) or "bearer token", and the address it came from.
 */
function dashboardActor(c: Context, cookieName: string): { via: string; who: string } {
  const cookie = getCookie(c, cookieName);
  const session = cookie
    ? `session ${createHash("sha256").update(cookie).digest("hex").slice(0, 8)}`
    : "bearer token";
  return { via: "dashboard", who: `${session} from ${clientAddress(c)}` };
}

/** The web server's HTTP side: security layer, login, webhooks, the shared API and the client. */
export function createWebApp(options: WebAppOptions): Hono {
  const { fleet, access, files, sessions, links } = options;
  const app = new Hono();
  const loginFailures = new RateLimiter(30, 10);

  const startSession = (c: Context) => {
    const { secret } = sessions.issue();
    setCookie(c, access.cookieName, secret, {
      httpOnly: true,
      sameSite: "Strict",
      path: "/",
      secure: access.secureCookies,
      maxAge: Math.floor(sessions.ttlMs / 1000),
    });
  };

  app.use(async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
    if (c.req.path.startsWith("/api/")) c.res.headers.set("cache-control", "no-store");
  });

  app.use(async (c, next) => {
    const path = c.req.path;
    const isHook = path.startsWith("/hooks/");
    if (!access.hostAllowed(c.req.header("host")))
      return apiError(c, 403, "FORBIDDEN_HOST", "this server answers only to 127.0.0.1, localhost and [::1]");
    // Webhooks come from other servers and prove themselves with a signature instead.
    if (!isHook && !SAFE_METHODS.has(c.req.method)) {
      if (!access.sameOrigin(c.req.header("origin"), c.req.header("host"), c.req.header("sec-fetch-site")))
        return apiError(c, 403, "FORBIDDEN_ORIGIN", "cross-origin requests may not change the fleet");
    }
    const needsToken = path.startsWith("/api/") && !OPEN_API.has(path);
    if (needsToken && !access.authenticated(getCookie(c, access.cookieName), c.req.header("authorization")))
      return apiError(
        c,
        401,
        "UNAUTHORIZED",
        "log in first: open the link from herdctl dashboard, or send the token in .herdctl/web-token as Authorization: Bearer",
      );
    return next();
  });

  // Checked before any body is buffered; the API adds its own limit, which the control socket shares.
  app.use("/api/login", limitBody(LOGIN_BODY_LIMIT));
  app.use("/hooks/*", limitBody(MAX_WEBHOOK_BODY));
  app.use(limitBody(API_BODY_LIMIT));

  app.get("/api/session", (c) =>
    c.json({
      authenticated: access.authenticated(getCookie(c, access.cookieName), c.req.header("authorization")),
    }),
  );

  // A one-time link from `herdctl dashboard`: trade it for a session and leave the secret out of the URL.
  app.get("/auth/:code", (c) => {
    if (!links.take(c.req.param("code")))
      return c.text(
        "This login link has expired or was already used. Run herdctl dashboard for a new one.",
        401,
      );
    startSession(c);
    fleet.recordAudit("login", { via: "dashboard", who: `login link from ${clientAddress(c)}` }, null);
    return c.redirect("/", 303);
  });

  app.post("/api/login", async (c) => {
    let raw: unknown;
    try {
      raw = JSON.parse(await c.req.text());
    } catch {
      return apiError(c, 400, "BAD_REQUEST", "the request body is not valid JSON");
    }
    const token = (raw as { token?: unknown } | null)?.token;
    if (typeof token !== "string" || token.length === 0 || token.length > 4096)
      return apiError(c, 400, "BAD_REQUEST", 'send {"token": "<the dashboard token>"}');
    // The right token always gets in: only wrong guesses count against the address.
    const address = clientAddress(c);
    if (access.checkToken(token)) {
      startSession(c);
      fleet.recordAudit("login", { via: "dashboard", who: `token login from ${address}` }, null);
      return c.json({ ok: true });
    }
    fleet.recordAudit("login.failed", { via: "dashboard", who: `wrong token from ${address}` }, null);
    if (!loginFailures.take(address)) {
      c.header("retry-after", String(loginFailures.retryAfter(address)));
      return apiError(c, 429, "RATE_LIMITED", "too many wrong tokens from this address; wait a minute");
    }
    return apiError(c, 401, "BAD_TOKEN", "that is not the dashboard token; see .herdctl/web-token");
  });

  app.post("/api/logout", (c) => {
    const session = getCookie(c, access.cookieName);
    if (session) {
      sessions.revoke(session);
      options.onSessionEnded();
    }
    deleteCookie(c, access.cookieName, { path: "/", secure: access.secureCookies });
    return c.json({ ok: true });
  });

  const webhookLimiter = new RateLimiter(options.webhookRate.perMinute, options.webhookRate.burst);
  mountWebhooks(app, fleet, options.env, webhookLimiter);

  mountAgentFiles(app, fleet);
  const api = createApi(fleet);
  app.all("/api/*", (c) => api.fetch(c.req.raw, { actor: dashboardActor(c, access.cookieName) }));

  app.get("*", (c) => {
    const file = files.lookup(c.req.path);
    if (!file) {
      if (!files.built && c.req.path === "/")
        return c.text("The dashboard is not built: run npm run build, then restart.", 503);
      return c.text("Not found", 404);
    }
    c.header("content-type", file.type);
    c.header("cache-control", file.immutable ? "public, max-age=31536000, immutable" : "no-cache");
    return c.body(file.body as Uint8Array<ArrayBuffer>);
  });
  app.notFound((c) => apiError(c, 404, "NOT_FOUND", `no such endpoint: ${c.req.method} ${c.req.path}`));
  return app;
}
