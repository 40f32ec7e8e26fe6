import { randomBytes } from "node:crypto";
import { chmodSync, rmSync } from "node:fs";
import {
  createServer,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { join } from "node:path";
import type { CredentialSource, UpstreamCredential } from "./credential-source.js";
import {
  type EgressGrant,
  type EgressJob,
  type EgressResolver,
  forwardPlain,
  proxyToken,
  systemResolver,
  tunnel,
} from "./egress-proxy.js";
import { HOP_BY_HOP } from "./hop-by-hop.js";
import { claimSocketDir, type SocketDir } from "./socket-dir.js";

/** What one running job may use the proxy for; worthless once revoked. */
export interface JobGrant {
  /** Given to claude in the container as its API key; the proxy swaps it for the real credential. */
  readonly token: string;
  /** Aborted when the proxy stops while the job still runs: the job cannot reach the model any more. */
  readonly signal: AbortSignal;
  revoke(): void;
}

interface GrantEntry {
  jobId: string;
  source: CredentialSource;
  upstream: URL;
  stopped: AbortController;
  /** Aborted on revoke: the job's open egress tunnels are cut. */
  ended: AbortController;
  /** proxy-only jobs: the hosts they may reach besides the API; without it every other host is refused. */
  egress?: EgressGrant;
}

const TOKEN_PREFIX = "herdctl-job-";
export const PROXY_SOCKET_NAME = "api.sock";

/** What to remove when the process exits: a private directory whole, a stable one's socket only. */
const leftovers = new Set<string>();

/** A process that exits without close() (a daemon's shared proxy) still tidies /tmp. */
function removeOnExit(path: string): void {
  if (leftovers.size === 0) {
    process.once("exit", () => {
      for (const p of leftovers) rmSync(p, { recursive: true, force: true });
    });
  }
  leftovers.add(path);
}

function listen(server: Server, call: (server: Server, done: () => void) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    call(server, () => {
      server.off("error", reject);
      resolve();
    });
  });
}
/** The beta flag the API requires beside a subscription (OAuth) token. */
const OAUTH_BETA = "oauth-2025-04-20";
// They carry the per-job token (or name the proxy): the real credential and host replace them.
const CREDENTIAL_HEADERS = new Set(["authorization", "x-api-key", "host"]);

function jobToken(headers: IncomingHttpHeaders): string | undefined {
  const key = headers["x-api-key"];
  if (typeof key === "string" && key.startsWith(TOKEN_PREFIX)) return key;
  const auth = headers.authorization;
  const bearer = typeof auth === "string" ? /^Bearer\s+(\S+)$/i.exec(auth)?.[1] : undefined;
  return bearer?.startsWith(TOKEN_PREFIX) ? bearer : undefined;
}

function upstreamHeaders(headers: IncomingHttpHeaders, credential: UpstreamCredential): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || CREDENTIAL_HEADERS.has(name)) continue;
    out[name] = value;
  }
  if (credential.kind === "api_key") out["x-api-key"] = credential.value;
  else out.authorization = `Bearer ${credential.value}`;
  if (credential.kind === "oauth") {
    const betas = String(out["anthropic-beta"] ?? "")
      .split(",")
      .map((b) => b.trim())
      .filter(Boolean);
    if (!betas.includes(OAUTH_BETA)) out["anthropic-beta"] = [...betas, OAUTH_BETA].join(",");
  }
  return out;
}

function downstreamHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

/** Answers in the Messages API's own error shape, so claude shows the message as it would the API's. */
function refuse(res: ServerResponse, status: number, type: string, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ type: "error", error: { type, message } });
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

function joinPath(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}${path}`;
}

/**
 * The host side of `docker.credentials: proxy`: claude in a container sends its requests here with
 * a per-job token as its key; the proxy checks the token against the jobs running now, puts the
 * real credential on the request and streams it to the upstream API and the answer back, chunk by
 * chunk (server-sent events are never buffered). One proxy serves every job of a process.
 */
export class CredentialProxy {
  private readonly grants = new Map<string, GrantEntry>();
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  /** The same proxy on a unix socket, for containers without a network (proxy-only). */
  private readonly unixServer: Server;
  private socketDirectory: SocketDir | undefined;
  private readonly agents = {
    http: new HttpAgent({ keepAlive: true }),
    https: new HttpsAgent({ keepAlive: true }),
  };
  private starting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly options: {
      host?: string;
      port?: number;
      /** How egress host names become addresses; the host's DNS (refusing loopback and link-local) by default. */
      resolve?: EgressResolver;
      /** Keeps the socket's directory across restarts for this key (the state directory); see socket-dir.ts. */
      socketKey?: string;
    } = {},
  ) {
    this.server = this.httpServer();
    this.unixServer = this.httpServer();
  }

  private httpServer(): Server {
    const server = createServer({ noDelay: true }, (req, res) => this.handle(req, res));
    // HTTPS egress: CONNECT host:port, checked against the job's allowlist, then a plain byte tunnel.
    server.on("connect", (req: IncomingMessage, socket: Socket, head: Buffer) => {
      void tunnel(req, socket, head, this.egressJob(req), this.resolver);
    });
    server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
    });
    // A daemon's proxy must not keep a finished process alive; its jobs hold the event loop.
    server.unref();
    return server;
  }

  /** Starts listening on the host's loopback and on a unix socket; idempotent. */
  start(): Promise<void> {
    this.starting ??= (async () => {
      await listen(this.server, (s, done) =>
        s.listen(this.options.port ?? 0, this.options.host ?? "127.0.0.1", done),
      );
      // The directory, not the socket, is mounted into containers: a socket made again after a
      // restart shows through a mount of its directory, never through a mount of the old file.
      const claimed = await claimSocketDir(this.options.socketKey, PROXY_SOCKET_NAME);
      this.socketDirectory = claimed;
      const { dir } = claimed;
      removeOnExit(this.leftover);
      await listen(this.unixServer, (s, done) => s.listen(join(dir, PROXY_SOCKET_NAME), done));
      // Containers run as another user; the per-job token, not the file mode, is the lock.
      chmodSync(join(dir, PROXY_SOCKET_NAME), 0o666);
    })();
    return this.starting;
  }

  /** The host directory holding the proxy's unix socket (PROXY_SOCKET_NAME). */
  get socketDir(): string {
    if (!this.socketDirectory) throw new Error("the credential proxy has not been started");
    return this.socketDirectory.dir;
  }

  /** What closing removes: the socket of a stable directory, a private directory whole. */
  private get leftover(): string {
    const claimed = this.socketDirectory!;
    return claimed.stable ? join(claimed.dir, PROXY_SOCKET_NAME) : claimed.dir;
  }

  /** Closed for good: a new proxy must take its place. */
  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** The TCP port on the host's loopback. */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  private get resolver(): EgressResolver {
    return this.options.resolve ?? systemResolver;
  }

  /**
   * Egress is bound to a job by its token in Proxy-Authorization, never by x-api-key or
   * Authorization: those headers belong to the destination, and the proxy adds no credential to
   * egress traffic, so the real key cannot be reached through it.
   */
  private egressJob(req: IncomingMessage): EgressJob | undefined {
    const token = proxyToken(req.headers);
    const grant = token === undefined ? undefined : this.grants.get(token);
    return grant && { egress: grant.egress, ended: grant.ended.signal };
  }

  /**
   * Lets one job through until revoked; the upstream base URL is fixed now, the credential per
   * request. `egress`: what else the job may reach through this proxy (proxy-only containers).
   */
  grant(jobId: string, source: CredentialSource, egress?: EgressGrant): JobGrant {
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
    const stopped = new AbortController();
    const ended = new AbortController();
    if (this.closing) stopped.abort();
    this.grants.set(token, { jobId, source, upstream: new URL(source.upstream()), stopped, ended, egress });
    return {
      token,
      signal: stopped.signal,
      revoke: () => {
        this.grants.delete(token);
        ended.abort();
      },
    };
  }

  /** How many jobs may use the proxy now (tests check revocation with it). */
  get activeGrants(): number {
    return this.grants.size;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    // An absolute URL is a plain-HTTP egress request (HTTP_PROXY), never an API call.
    if (!(req.url ?? "/").startsWith("/")) {
      void forwardPlain(req, res, this.egressJob(req), this.resolver);
      return;
    }
    const token = jobToken(req.headers);
    const grant = token === undefined ? undefined : this.grants.get(token);
    if (!grant) {
      req.resume();
      refuse(
        res,
        401,
        "authentication_error",
        "herdctl credential proxy: this job token is unknown or its job has ended",
      );
      return;
    }
    const credential = grant.source.current();
    if (!credential) {
      req.resume();
      refuse(
        res,
        401,
        "authentication_error",
        `herdctl credential proxy: herdctl has no credential for job ${grant.jobId}; set ANTHROPIC_API_KEY or CLAUDE_CODE_OAUTH_TOKEN where herdctl runs, or log in with claude`,
      );
      return;
    }
    const path = req.url ?? "/";
    if (!path.startsWith("/")) {
      req.resume();
      refuse(res, 400, "invalid_request_error", "herdctl credential proxy: only API paths are forwarded");
      return;
    }
    const target = new URL(grant.upstream.href);
    const [pathname, query] = path.split(/\?(.*)/s, 2) as [string, string | undefined];
    target.pathname = joinPath(grant.upstream.pathname, pathname);
    target.search = query === undefined ? "" : `?${query}`;
    const https = target.protocol === "https:";
    const upstream = (https ? httpsRequest : httpRequest)(
      target,
      {
        method: req.method,
        headers: upstreamHeaders(req.headers, credential),
        agent: https ? this.agents.https : this.agents.http,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, downstreamHeaders(answer.headers));
        // Streamed answers (SSE) go out as each chunk arrives.
        res.flushHeaders();
        answer.pipe(res);
        answer.once("error", () => res.destroy());
      },
    );
    upstream.setNoDelay(true);
    upstream.once("error", (error: NodeJS.ErrnoException) => {
      refuse(
        res,
        502,
        "api_error",
        `herdctl credential proxy could not reach ${target.origin}: ${error.code ?? error.message}`,
      );
    });
    // The container gave up (claude cancelled or killed): stop the upstream request too.
    res.once("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }

  /** Stops listening, cuts every open exchange and tells running jobs; idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const grant of this.grants.values()) grant.stopped.abort();
      const closed = [this.server, this.unixServer]
        .filter((server) => server.listening)
        .map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
      for (const socket of this.sockets) socket.destroy();
      this.agents.http.destroy();
      this.agents.https.destroy();
      await Promise.all(closed);
      if (this.socketDirectory) {
        rmSync(this.leftover, { recursive: true, force: true });
        leftovers.delete(this.leftover);
      }
    })();
    return this.closing;
  }
}

let shared: CredentialProxy | undefined;

/**
 * The process's one proxy, started on first use; a closed one is replaced. `stateDir` keeps its
 * socket where the last run's persistent containers look for it.
 */
export async function sharedCredentialProxy(stateDir?: string): Promise<CredentialProxy> {
  if (!shared || shared.closed) shared = new CredentialProxy({ socketKey: stateDir });
  await shared.start();
  return shared;
}
