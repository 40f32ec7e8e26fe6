import { createServer, type IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { FleetManager } from "@herdctl/core";
import { getRequestListener } from "@hono/node-server";
import { AccessPolicy, isLoginFreeBind, readCookie, SESSION_COOKIE } from "./access.js";
import { createWebApp } from "./app.js";
import { WebError } from "./errors.js";
import { LiveHub } from "./live.js";
import { defaultClientDir, StaticFiles } from "./static.js";
import { resolveToken, sessionValue } from "./token.js";

export const DEFAULT_WEB_HOST = "127.0.0.1";
export const DEFAULT_WEB_PORT = 3232;

export interface WebServerOptions {
  /** Default 127.0.0.1. Only 127.0.0.1, ::1 and localhost go without login. */
  host?: string;
  /** Default 3232; 0 picks a free port. */
  port?: number;
  /** The fleet's state directory; a generated token is written to `<stateDir>/web-token`. */
  stateDir: string;
  /** `web.auth_token_env`: the environment variable holding the token on non-loopback binds. */
  authTokenEnv?: string;
  /** Where secrets are looked up (auth token, webhook `secret_env`); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The built client; default packages/web/dist/client. */
  clientDir?: string;
  /** Per webhook schedule; default 60 a minute with bursts of 10. */
  webhookRate?: { perMinute: number; burst: number };
  log?: (line: string) => void;
}

export interface WebServer {
  /** e.g. http://127.0.0.1:3232 */
  url: string;
  /** Set only when the token was generated now (not taken from auth_token_env): show it once. */
  token?: string;
  /** Whether requests need the token (any bind but 127.0.0.1, ::1, localhost). */
  loginRequired: boolean;
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
  const loginRequired = !isLoginFreeBind(host);
  const resolved = loginRequired ? resolveToken(options.stateDir, options.authTokenEnv, env) : undefined;
  const session = resolved ? sessionValue(resolved.token) : undefined;

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
  const access = new AccessPolicy(host, actualPort, resolved?.token, session);
  const files = new StaticFiles(options.clientDir ?? defaultClientDir());
  if (!files.built) log(`web: the client is not built in ${files.dir}; run npm run build`);
  const app = createWebApp({
    fleet,
    access,
    sessionValue: session,
    files,
    env,
    webhookRate: options.webhookRate ?? { perMinute: 60, burst: 10 },
  });
  server.on("request", getRequestListener(app.fetch));

  const hub = new LiveHub(fleet);
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? "").split("?")[0];
    if (path !== "/ws") return refuseUpgrade(socket, 404, "Not Found");
    const hostHeader = req.headers.host;
    const origin = req.headers.origin;
    const site = req.headers["sec-fetch-site"] as string | undefined;
    if (!access.hostAllowed(hostHeader) || !access.sameOrigin(origin, hostHeader, site))
      return refuseUpgrade(socket, 403, "Forbidden");
    const authorization = req.headers.authorization;
    if (!access.authenticated(readCookie(req.headers.cookie, SESSION_COOKIE), authorization))
      return refuseUpgrade(socket, 401, "Unauthorized");
    hub.accept(req, socket, head);
  });

  const shownHost = host.includes(":") ? `[${host}]` : host;
  // The caller announces the URL (herdctl start puts it in its summary), once.
  const url = `http://${shownHost}:${actualPort}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    token: resolved?.generated ? resolved.token : undefined,
    loginRequired,
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
