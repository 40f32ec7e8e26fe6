import { createServer, type IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { DashboardLink, FleetManager } from "@herdctl/core/internal";
import { getRequestListener } from "@hono/node-server";
import { AccessPolicy, readCookie } from "./access.js";
import { createWebApp } from "./app.js";
import { WebError } from "./errors.js";
import { ExpiringSecrets } from "./expiring-secrets.js";
import { LiveHub } from "./live.js";
import { defaultClientDir, StaticFiles } from "./static.js";
import { resolveToken } from "./token.js";

export const DEFAULT_WEB_HOST = "127.0.0.1";
export const DEFAULT_WEB_PORT = 3232;
/** A browser session lasts a day; the cookie's Max-Age says the same. */
const SESSION_TTL_MS = 24 * 60 * 60 * 1000;
/** Long enough to copy a link from a terminal, short enough that a leaked one is stale. */
const LOGIN_LINK_TTL_MS = 5 * 60 * 1000;
/** Live sessions and unused links kept at once; only token holders make them, so this bounds memory. */
const MAX_SESSIONS = 100;
const MAX_LINKS = 20;

export interface WebServerOptions {
  /** Default 127.0.0.1. Every bind needs a login; loopback binds also check Host and Origin. */
  host?: string;
  /** Default 3232; 0 picks a free port. */
  port?: number;
  /** The fleet's state directory; the token is kept in `<stateDir>/web-token` unless auth_token_env names one. */
  stateDir: string;
  /** `web.auth_token_env`: the environment variable holding the token. */
  authTokenEnv?: string;
  /** Where secrets are looked up (auth token, webhook `secret_env`); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The built client; default packages/web/dist/client. */
  clientDir?: string;
  /** Per webhook schedule; default 60 a minute with bursts of 10. */
  webhookRate?: { perMinute: number; burst: number };
  log?: (line: string) => void;
  /** Epoch milliseconds, for session and login-link expiry; default Date.now. */
  now?: () => number;
}

export interface WebServer {
  /** e.g. http://127.0.0.1:3232 */
  url: string;
  /** A fresh one-time login link: opening it starts a browser session, and it works once. */
  loginLink(): DashboardLink;
  close(): Promise<void>;
}

function refuseUpgrade(socket: Duplex, status: 401 | 403 | 404, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** Starts the dashboard and HTTP API for a running fleet. */
export async function startWebServer(fleet: FleetManager, options: WebServerOptions): Promise<WebServer> {
  const host = options.host ?? DEFAULT_WEB_HOST;
  const port = options.port ?? DEFAULT_WEB_PORT;
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const token = resolveToken(options.stateDir, options.authTokenEnv, env);
  const sessions = new ExpiringSecrets(SESSION_TTL_MS, MAX_SESSIONS, options.now);
  const links = new ExpiringSecrets(LOGIN_LINK_TTL_MS, MAX_LINKS, options.now);

  // Requests are handled only once the port is known: the access policy checks Host against it.
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        new WebError(
          "WEB_LISTEN_FAILED",
          `the web server could not listen on ${host}:${port}: ${error.code ?? error.message}` +
            (error.code === "EADDRINUSE" ? "; another program uses that port, set web.port to another" : ""),
          { cause: error },
        ),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actualPort = typeof address === "object" && address ? address.port : port;
  const access = new AccessPolicy(host, actualPort, token, sessions);
  const files = new StaticFiles(options.clientDir ?? defaultClientDir());
  if (!files.built) log(`web: the client is not built in ${files.dir}; run npm run build`);
  const hub = new LiveHub(fleet);
  const app = createWebApp({
    fleet,
    access,
    sessions,
    links,
    files,
    env,
    webhookRate: options.webhookRate ?? { perMinute: 60, burst: 10 },
    onSessionEnded: () => hub.revalidate(),
  });
  server.on("request", getRequestListener(app.fetch));

  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? "").split("?")[0];
    if (path !== "/ws") return refuseUpgrade(socket, 404, "Not Found");
    const hostHeader = req.headers.host;
    const origin = req.headers.origin;
    const site = req.headers["sec-fetch-site"] as string | undefined;
    if (!access.hostAllowed(hostHeader) || !access.sameOrigin(origin, hostHeader, site))
      return refuseUpgrade(socket, 403, "Forbidden");
    const session = readCookie(req.headers.cookie, access.cookieName);
    const authorized = () => access.authenticated(session, req.headers.authorization);
    if (!authorized()) return refuseUpgrade(socket, 401, "Unauthorized");
    hub.accept(req, socket, head, authorized);
  });

  const shownHost = host.includes(":") ? `[${host}]` : host;
  // The caller announces the URL (herdctl start puts it in its summary), once.
  const url = `http://${shownHost}:${actualPort}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    loginLink: () => {
      const { secret, expiresAt } = links.issue();
      return { url: `${url}/auth/${secret}`, expiresAt: new Date(expiresAt).toISOString() };
    },
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        hub.close();
        server.closeAllConnections();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}
