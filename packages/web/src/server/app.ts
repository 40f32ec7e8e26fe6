import { apiError, createApi, type FleetManager } from "@herdctl/core";
import { Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { type AccessPolicy, SESSION_COOKIE } from "./access.js";
import { SECURITY_HEADERS } from "./headers.js";
import { RateLimiter } from "./rate-limit.js";
import type { StaticFiles } from "./static.js";
import { mountWebhooks } from "./webhooks.js";

export interface WebAppOptions {
  fleet: FleetManager;
  access: AccessPolicy;
  sessionValue: string | undefined;
  files: StaticFiles;
  env: NodeJS.ProcessEnv;
  webhookRate: { perMinute: number; burst: number };
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
/** Reachable without the token: the client shell has no data, and login must be possible. */
const OPEN_API = new Set(["/api/health", "/api/login", "/api/session"]);

/** The web server's HTTP side: security layer, login, webhooks, the shared API and the client. */
export function createWebApp(options: WebAppOptions): Hono {
  const { fleet, access, files } = options;
  const app = new Hono();
  const loginLimiter = new RateLimiter(30, 10);

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
    if (needsToken && !access.authenticated(getCookie(c, SESSION_COOKIE), c.req.header("authorization")))
      return apiError(c, 401, "UNAUTHORIZED", "log in with the dashboard token first (POST /api/login)");
    return next();
  });

  app.get("/api/session", (c) =>
    c.json({
      loginRequired: access.loginRequired,
      authenticated: access.authenticated(getCookie(c, SESSION_COOKIE), c.req.header("authorization")),
    }),
  );

  app.post("/api/login", async (c) => {
    if (!access.loginRequired) return c.json({ ok: true, loginRequired: false });
    if (!loginLimiter.take("login"))
      return apiError(c, 429, "RATE_LIMITED", "too many login attempts; wait a minute");
    let raw: unknown;
    try {
      raw = JSON.parse(await c.req.text());
    } catch {
      return apiError(c, 400, "BAD_REQUEST", "the request body is not valid JSON");
    }
    const token = (raw as { token?: unknown } | null)?.token;
    if (typeof token !== "string" || token.length === 0 || token.length > 4096)
      return apiError(c, 400, "BAD_REQUEST", 'send {"token": "<the dashboard token>"}');
    if (!access.checkToken(token))
      return apiError(c, 401, "BAD_TOKEN", "that is not the dashboard token; see .herdctl/web-token");
    setCookie(c, SESSION_COOKIE, options.sessionValue!, { httpOnly: true, sameSite: "Strict", path: "/" });
    return c.json({ ok: true, loginRequired: true });
  });

  app.post("/api/logout", (c) => {
    setCookie(c, SESSION_COOKIE, "", { httpOnly: true, sameSite: "Strict", path: "/", maxAge: 0 });
    return c.json({ ok: true });
  });

  const webhookLimiter = new RateLimiter(options.webhookRate.perMinute, options.webhookRate.burst);
  mountWebhooks(app, fleet, options.env, webhookLimiter);

  const api = createApi(fleet);
  app.all("/api/*", (c) => api.fetch(c.req.raw));

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
