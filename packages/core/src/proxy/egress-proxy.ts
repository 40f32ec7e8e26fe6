import { lookup } from "node:dns/promises";
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { request as httpRequest } from "node:http";
import { BlockList, connect, isIP, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { type EgressRule, egressAllowed, suggestedEntry } from "./egress-allowlist.js";
import type { EgressLog } from "./egress-log.js";
import { HOP_BY_HOP } from "./hop-by-hop.js";

/** What a job may reach besides the model API, and where its connections are recorded. */
export interface EgressGrant {
  readonly rules: readonly EgressRule[];
  readonly log: EgressLog;
}

/** What the proxy knows of the job behind a request: its egress, and a signal that it has ended. */
export interface EgressJob {
  readonly egress: EgressGrant | undefined;
  /** Aborted when the job's token is revoked: its open tunnels and requests are cut then. */
  readonly ended: AbortSignal;
}

/** Runs `cut` when the job ends, until `settled` says the exchange is over. */
function cutWhenEnded(ended: AbortSignal, cut: () => void): () => void {
  if (ended.aborted) {
    cut();
    return () => {};
  }
  ended.addEventListener("abort", cut, { once: true });
  return () => ended.removeEventListener("abort", cut);
}

/** Host name → the address to connect to; throws with the reason when it must not be reached. */
export type EgressResolver = (host: string) => Promise<string>;

/**
 * Addresses no allowlisted name may lead to: the host's own loopback (herdctl's proxy, dashboard
 * and whatever else listens there), link-local (cloud metadata services at 169.254.169.254),
 * unspecified and multicast. A public name that resolves to one of these is a DNS trick.
 */
const FORBIDDEN = new BlockList();
FORBIDDEN.addSubnet("127.0.0.0", 8, "ipv4");
FORBIDDEN.addSubnet("0.0.0.0", 8, "ipv4");
FORBIDDEN.addSubnet("169.254.0.0", 16, "ipv4");
FORBIDDEN.addSubnet("224.0.0.0", 4, "ipv4");
FORBIDDEN.addAddress("255.255.255.255", "ipv4");
FORBIDDEN.addAddress("::1", "ipv6");
FORBIDDEN.addAddress("::", "ipv6");
FORBIDDEN.addSubnet("fe80::", 10, "ipv6");
FORBIDDEN.addSubnet("ff00::", 8, "ipv6");

export function forbiddenAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return FORBIDDEN.check(mapped, "ipv4");
  const family = isIP(address);
  return family !== 0 && FORBIDDEN.check(address, family === 4 ? "ipv4" : "ipv6");
}

/** The host's resolver, refusing names that lead to loopback, link-local or other special addresses. */
export const systemResolver: EgressResolver = async (host) => {
  const addresses = await lookup(host, { all: true });
  const bad = addresses.find((a) => forbiddenAddress(a.address));
  if (bad) throw new Error(`${host} resolves to ${bad.address}, which the egress proxy never connects to`);
  const first = addresses[0];
  if (!first) throw new Error(`${host} does not resolve`);
  return first.address;
};

/** For tests: fixed names → addresses (e.g. a test server on 127.0.0.1), everything else refused. */
export function fixedResolver(hosts: Record<string, string>): EgressResolver {
  return async (host) => {
    const address = hosts[host.toLowerCase()];
    if (!address) throw new Error(`${host} is not known to this resolver`);
    return address;
  };
}

const TOKEN_PREFIX = "herdctl-job-";

/** The per-job token from Proxy-Authorization (Basic user:token, as HTTPS_PROXY's userinfo sends, or Bearer). */
export function proxyToken(headers: IncomingHttpHeaders): string | undefined {
  const value = headers["proxy-authorization"];
  if (typeof value !== "string") return undefined;
  const [scheme = "", credentials = ""] = value.trim().split(/\s+/, 2);
  let candidates: string[] = [];
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(credentials, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    candidates = colon < 0 ? [decoded] : [decoded.slice(colon + 1), decoded.slice(0, colon)];
  } else if (/^bearer$/i.test(scheme)) candidates = [credentials];
  return candidates.find((c) => c.startsWith(TOKEN_PREFIX));
}

/** host:port from a CONNECT target or an absolute URL's authority; undefined when malformed. */
export function parseAuthority(
  authority: string,
  defaultPort: number,
): { host: string; port: number } | undefined {
  let url: URL;
  try {
    url = new URL(`http://${authority}`);
  } catch {
    return undefined;
  }
  if (url.username || url.password || url.pathname !== "/" || url.search || url.hash) return undefined;
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (!host) return undefined;
  const explicit = /:(\d+)$/.exec(authority)?.[1];
  return { host, port: explicit ? Number(explicit) : defaultPort };
}

function withoutHopByHop(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

function refusalText(host: string, port: number, reason: string): string {
  return `herdctl egress proxy refused ${host}:${port}: ${reason}`;
}

function notAllowed(host: string, port: number): string {
  return `not in docker.egress.allow; to allow it, add "${suggestedEntry(host, port)}" to docker.egress.allow in the fleet file (defaults.docker or agents[].overrides.docker)`;
}

/** Decides one destination: the address to connect to, or the reason it is refused (already recorded). */
async function admit(
  egress: EgressGrant | undefined,
  resolve: EgressResolver,
  host: string,
  port: number,
  log: EgressLog | undefined,
): Promise<{ address: string } | { refused: string; status: number }> {
  const refuse = (reason: string, status = 403) => {
    log?.refused(host, port, reason);
    return { refused: refusalText(host, port, reason), status };
  };
  if (!egress || !egressAllowed(egress.rules, host, port)) return refuse(notAllowed(host, port));
  try {
    return { address: await resolve(host) };
  } catch (error) {
    return refuse((error as Error).message, 502);
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  403: "Forbidden",
  407: "Proxy Authentication Required",
  502: "Bad Gateway",
};

function refusalHeaders(status: number): Record<string, string> {
  if (status === 407) return { "proxy-authenticate": 'Basic realm="herdctl egress"' };
  // A 403 is a destination the allowlist does not name. claude's WebFetch looks for these words
  // and tells the model the egress proxy blocked the page, instead of a bare connection failure.
  if (status === 403) return { "x-proxy-error": "blocked-by-allowlist" };
  return {};
}

function rawRefusal(socket: Duplex, status: number, text: string): void {
  const body = `${text}\n`;
  const extra = Object.entries(refusalHeaders(status))
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Error"}\r\n${extra}Content-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export const NO_TOKEN_TEXT =
  "herdctl egress proxy: Proxy-Authorization must carry this job's token (HTTPS_PROXY in the container has it); the token is unknown or its job has ended";

/** A CONNECT tunnel to an allowlisted host:port; bytes pass untouched (no TLS interception). */
export async function tunnel(
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
  job: EgressJob | undefined,
  resolve: EgressResolver,
): Promise<void> {
  client.on("error", () => client.destroy());
  if (!job) return rawRefusal(client, 407, NO_TOKEN_TEXT);
  const egress = job.egress;
  const target = parseAuthority(req.url ?? "", 443);
  if (!target || !/:\d+$/.test(req.url ?? ""))
    return rawRefusal(client, 400, "herdctl egress proxy: CONNECT needs host:port");
  const decision = await admit(egress, resolve, target.host, target.port, egress?.log);
  if ("refused" in decision) return rawRefusal(client, decision.status, decision.refused);
  const upstream: Socket = connect({ host: decision.address, port: target.port });
  const done = egress!.log.opened(target.host, target.port, () => ({
    up: upstream.bytesWritten,
    down: upstream.bytesRead,
  }));
  // A tunnel opened during a job does not outlive it (a persistent container keeps running).
  const settled = cutWhenEnded(job.ended, () => {
    upstream.destroy();
    client.destroy();
  });
  let failure: string | undefined;
  let connected = false;
  upstream.once("connect", () => {
    connected = true;
    client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
    if (head.length > 0) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.once("error", (error: NodeJS.ErrnoException) => {
    failure = error.code ?? error.message;
    if (connected) client.destroy();
    else rawRefusal(client, 502, refusalText(target.host, target.port, `could not connect: ${failure}`));
  });
  upstream.once("close", () => {
    done(failure);
    // A clean end was passed on by pipe: the client's end() still writes what waits in its buffer,
    // and destroying it now would drop the answer's last bytes. Anything else cuts the client too.
    if (connected && !client.writableEnded) client.destroy();
  });
  // Until the client's side is gone too, the job's end still cuts it.
  client.once("close", () => {
    settled();
    upstream.destroy();
  });
}

/** A plain-HTTP request in absolute form (http://host/path) to an allowlisted host; no credential is added. */
export async function forwardPlain(
  req: IncomingMessage,
  res: ServerResponse,
  job: EgressJob | undefined,
  resolve: EgressResolver,
): Promise<void> {
  const plain = (status: number, text: string) => {
    req.resume();
    const body = `${text}\n`;
    res.writeHead(status, {
      "content-type": "text/plain; charset=utf-8",
      "content-length": Buffer.byteLength(body),
      ...refusalHeaders(status),
    });
    res.end(body);
  };
  if (!job) return plain(407, NO_TOKEN_TEXT);
  const egress = job.egress;
  let url: URL;
  try {
    url = new URL(req.url ?? "");
  } catch {
    return plain(400, "herdctl egress proxy: not a URL");
  }
  if (url.protocol !== "http:")
    return plain(
      400,
      "herdctl egress proxy: only http:// is forwarded as a request; HTTPS goes through CONNECT",
    );
  const target = parseAuthority(url.host, 80);
  if (!target) return plain(400, "herdctl egress proxy: not a host");
  const decision = await admit(egress, resolve, target.host, target.port, egress?.log);
  if ("refused" in decision) return plain(decision.status, decision.refused);
  let up = 0;
  let down = 0;
  const done = egress!.log.opened(target.host, target.port, () => ({ up, down }));
  const headers = withoutHopByHop(req.headers);
  headers.host = url.host;
  const upstream = httpRequest(
    {
      host: decision.address,
      port: target.port,
      method: req.method,
      path: `${url.pathname}${url.search}`,
      headers,
      agent: false,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, withoutHopByHop(answer.headers));
      answer.on("data", (chunk: Buffer) => {
        down += chunk.length;
      });
      answer.pipe(res);
      answer.once("end", () => done());
      answer.once("error", () => res.destroy());
    },
  );
  req.on("data", (chunk: Buffer) => {
    up += chunk.length;
  });
  const settled = cutWhenEnded(job.ended, () => {
    upstream.destroy();
    res.destroy();
  });
  res.once("close", settled);
  upstream.once("error", (error: NodeJS.ErrnoException) => {
    done(error.code ?? error.message);
    if (res.headersSent) res.destroy();
    else
      plain(502, refusalText(target.host, target.port, `could not connect: ${error.code ?? error.message}`));
  });
  res.once("close", () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}
