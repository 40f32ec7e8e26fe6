import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type Server,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { Duplex } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CredentialProxy } from "../../src/proxy/credential-proxy.js";
import { CredentialSource } from "../../src/proxy/credential-source.js";
import { parseEgressRules } from "../../src/proxy/egress-allowlist.js";
import { type ByteMeter, EgressLog } from "../../src/proxy/egress-log.js";
import { type EgressJob, fixedResolver, tunnel } from "../../src/proxy/egress-proxy.js";

const KEY = "sk-ant-REAL-egresstest-0123456789";
const HELD = Buffer.alloc(64 * 1024, 0x62);
const BIG = Buffer.alloc(4 * 1024 * 1024, 0x63);

let site: Server;
let sitePort: number;
const seen: IncomingHttpHeaders[] = [];
let proxy: CredentialProxy;

beforeAll(async () => {
  site = createServer((req, res) => {
    seen.push(req.headers);
    if (req.url === "/big") {
      res.writeHead(200, { "content-type": "application/octet-stream", connection: "close" });
      res.end(BIG);
      return;
    }
    if (req.url === "/hold") {
      // An answer that has begun and never ends: only the job's end closes it.
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.write(HELD);
      return;
    }
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(`site answered ${req.url}`);
  });
  await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
  sitePort = (site.address() as AddressInfo).port;
});
afterAll(async () => {
  site.closeAllConnections();
  await new Promise((resolve) => site.close(resolve));
});
afterEach(async () => {
  seen.length = 0;
  await proxy?.close();
});

async function setup(allow: string[], resolve = fixedResolver({ "allowed.test": "127.0.0.1" })) {
  proxy = new CredentialProxy({ resolve });
  await proxy.start();
  const refused: string[] = [];
  const log = new EgressLog((host, port, reason) => refused.push(`${host}:${port} ${reason}`));
  const source = new CredentialSource([
    () => ({ ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: "http://127.0.0.1:9" }),
  ]);
  const grant = proxy.grant("job-1", source, { rules: parseEgressRules(allow), log });
  return { grant, log, refused };
}

const basic = (token: string) => `Basic ${Buffer.from(`herdctl:${token}`).toString("base64")}`;

/** CONNECT through the proxy; the status line, and the tunnel's answer to one request when it opens. */
function connectThrough(
  target: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: proxy.port, method: "CONNECT", path: target, headers });
    req.once("error", reject);
    req.once("connect", (res, socket: Socket, head: Buffer) => {
      if (res.statusCode !== 200) {
        // A refused CONNECT's body is not parsed by Node's client: it follows on the socket.
        let body = head.toString();
        socket.on("data", (c) => {
          body += c;
        });
        socket.once("close", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        return;
      }
      let body = "";
      socket.on("data", (c) => {
        body += c;
      });
      socket.once("end", () => resolve({ status: 200, headers: res.headers, body }));
      socket.write("GET /through-tunnel HTTP/1.0\r\nHost: allowed.test\r\n\r\n");
    });
    req.end();
  });
}

function plainThrough(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: proxy.port, method: "GET", path: url, headers }, (res) => {
      let body = "";
      res.on("data", (c) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.once("error", reject);
    req.end();
  });
}

describe("the egress side of herdctl's proxy", () => {
  it("tunnels CONNECT to an allowlisted name and counts the bytes; adds no credential", async () => {
    const { grant, log } = await setup([`allowed.test:${sitePort}`]);
    const answer = await connectThrough(`allowed.test:${sitePort}`, {
      "proxy-authorization": basic(grant.token),
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toContain("site answered /through-tunnel");
    await expect.poll(() => log.entries()[0]?.bytesDown ?? 0).toBeGreaterThan(0);
    expect(log.entries()).toEqual([
      expect.objectContaining({ host: "allowed.test", port: sitePort, allowed: true, connections: 1 }),
    ]);
    expect(log.entries()[0]!.bytesUp).toBeGreaterThan(0);
    expect(JSON.stringify(seen)).not.toContain(KEY);
  });

  it("forwards a plain absolute-URI request without the job token or any credential", async () => {
    const { grant, log } = await setup([`allowed.test:${sitePort}`]);
    const answer = await plainThrough(`http://allowed.test:${sitePort}/plain?x=1`, {
      "proxy-authorization": basic(grant.token),
    });
    expect(answer).toMatchObject({ status: 200, body: "site answered /plain?x=1" });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.host).toBe(`allowed.test:${sitePort}`);
    for (const name of ["proxy-authorization", "authorization", "x-api-key"])
      expect(seen[0]![name]).toBeUndefined();
    expect(log.entries()[0]).toMatchObject({ allowed: true, bytesDown: "site answered /plain?x=1".length });
  });

  it("refuses a host not in the list with 403, says how to allow it, and records it", async () => {
    const { grant, log, refused } = await setup([`allowed.test:${sitePort}`]);
    const tunnel = await connectThrough("blocked.test:443", { "proxy-authorization": basic(grant.token) });
    expect(tunnel.status).toBe(403);
    expect(tunnel.headers["x-proxy-error"]).toBe("blocked-by-allowlist");
    expect(tunnel.body).toContain(
      'refused blocked.test:443: not in docker.egress.allow; to allow it, add "blocked.test"',
    );
    const plain = await plainThrough("http://other.test:8080/", {
      "proxy-authorization": basic(grant.token),
    });
    expect(plain.status).toBe(403);
    expect(plain.headers["x-proxy-error"]).toBe("blocked-by-allowlist");
    expect(plain.body).toContain('add "other.test:8080"');
    // The allowlisted name on another port is another destination.
    expect(
      (await connectThrough("allowed.test:1", { "proxy-authorization": basic(grant.token) })).status,
    ).toBe(403);
    expect(refused).toHaveLength(3);
    expect(log.entries().map((e) => [e.host, e.port, e.allowed])).toEqual([
      ["blocked.test", 443, false],
      ["other.test", 8080, false],
      ["allowed.test", 1, false],
    ]);
    expect(seen).toHaveLength(0);
  });

  it("needs the job's token in Proxy-Authorization: none, an API-style header, or a revoked one get 407", async () => {
    const { grant, log } = await setup([`allowed.test:${sitePort}`]);
    const none = await connectThrough(`allowed.test:${sitePort}`, {});
    expect(none.status).toBe(407);
    expect(none.headers["proxy-authenticate"]).toMatch(/^Basic/);
    expect((await connectThrough(`allowed.test:${sitePort}`, { "x-api-key": grant.token })).status).toBe(407);
    expect(
      (await plainThrough(`http://allowed.test:${sitePort}/`, { authorization: `Bearer ${grant.token}` }))
        .status,
    ).toBe(407);
    grant.revoke();
    expect(
      (await connectThrough(`allowed.test:${sitePort}`, { "proxy-authorization": basic(grant.token) }))
        .status,
    ).toBe(407);
    expect(seen).toHaveLength(0);
    expect(log.entries()).toEqual([]);
  });

  it("cuts a job's open tunnel when its token is revoked (the job ended)", async () => {
    const { grant, log } = await setup([`allowed.test:${sitePort}`]);
    const closed = await new Promise<Socket>((resolve, reject) => {
      const req = request({
        host: "127.0.0.1",
        port: proxy.port,
        method: "CONNECT",
        path: `allowed.test:${sitePort}`,
        headers: { "proxy-authorization": basic(grant.token) },
      });
      req.once("error", reject);
      req.once("connect", (res, socket: Socket) => {
        expect(res.statusCode).toBe(200);
        resolve(socket);
      });
      req.end();
    });
    const ended = new Promise<void>((resolve) => closed.once("close", () => resolve()));
    closed.resume();
    grant.revoke();
    await ended;
    await expect.poll(() => log.entries()[0]?.connections).toBe(1);
  });

  it("delivers a tunnel's last bytes when the destination closes while they wait to be written", async () => {
    // A client that takes writes only when told: what the tunnel has not yet written to it when
    // the destination hangs up must still arrive (a slow reader, e.g. socat in a busy container).
    const delivered: Buffer[] = [];
    const waiting: Array<() => void> = [];
    let open = false;
    const client = new Duplex({
      writableHighWaterMark: 2 * BIG.length,
      read() {},
      write(chunk: Buffer, _encoding, done) {
        const take = () => {
          delivered.push(chunk);
          done();
        };
        if (open) take();
        else waiting.push(take);
      },
    });
    let closed = 0;
    const log = new (class extends EgressLog {
      override opened(host: string, port: number, meter: ByteMeter) {
        const done = super.opened(host, port, meter);
        return (failure?: string) => {
          closed++;
          done(failure);
        };
      }
    })();
    const job: EgressJob = {
      egress: { rules: parseEgressRules([`allowed.test:${sitePort}`]), log },
      ended: new AbortController().signal,
    };
    const req = { url: `allowed.test:${sitePort}` } as IncomingMessage;
    await tunnel(req, client, Buffer.alloc(0), job, fixedResolver({ "allowed.test": "127.0.0.1" }));
    client.push("GET /big HTTP/1.0\r\nHost: allowed.test\r\n\r\n");
    // The destination has sent everything and its connection has closed on the proxy's side.
    await expect.poll(() => closed, { timeout: 10_000 }).toBe(1);
    open = true;
    for (const take of waiting.splice(0)) take();
    await expect.poll(() => client.writableFinished || client.destroyed).toBe(true);
    const text = Buffer.concat(delivered);
    expect(text.toString("latin1", 0, 40)).toMatch(/^HTTP\/1\.1 200 Connection Established/);
    expect(text.length - text.indexOf("\r\n\r\n", text.indexOf("HTTP/1.1 200 OK")) - 4).toBe(BIG.length);
  });

  it("has the bytes of a tunnel and a request the job's end cuts in the log at once, before their sockets close", async () => {
    const { grant, log } = await setup([`allowed.test:${sitePort}`]);
    const auth = { "proxy-authorization": basic(grant.token) };
    const received = (stream: NodeJS.ReadableStream) =>
      new Promise<void>((resolve) => {
        let bytes = 0;
        stream.on("data", (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes >= HELD.length) resolve();
        });
      });
    const tunnelled = new Promise<void>((resolve, reject) => {
      const req = request({
        host: "127.0.0.1",
        port: proxy.port,
        method: "CONNECT",
        path: `allowed.test:${sitePort}`,
        headers: auth,
      });
      req.once("error", reject);
      req.once("connect", (_res, socket: Socket) => {
        socket.on("error", () => {});
        socket.write("GET /hold HTTP/1.1\r\nHost: allowed.test\r\n\r\n");
        void received(socket).then(resolve);
      });
      req.end();
    });
    const forwarded = new Promise<void>((resolve, reject) => {
      const req = request(
        { host: "127.0.0.1", port: proxy.port, path: `http://allowed.test:${sitePort}/hold`, headers: auth },
        (res) => {
          res.on("error", () => {});
          void received(res).then(resolve);
        },
      );
      req.once("error", reject);
      req.end();
    });
    await Promise.all([tunnelled, forwarded]);
    grant.revoke();
    // Read at once, as the job executor does when it writes the record.
    const [entry] = log.entries();
    expect(entry).toMatchObject({ host: "allowed.test", allowed: true, connections: 2 });
    expect(entry!.bytesDown).toBeGreaterThanOrEqual(2 * HELD.length);
    expect(entry!.bytesUp).toBeGreaterThan(0);
  });

  it("with the host's resolver, never connects an allowlisted name that resolves to loopback", async () => {
    proxy = new CredentialProxy();
    await proxy.start();
    const log = new EgressLog();
    const grant = proxy.grant("job-2", new CredentialSource([]), {
      rules: parseEgressRules([`localhost:${sitePort}`]),
      log,
    });
    const answer = await connectThrough(`localhost:${sitePort}`, {
      "proxy-authorization": basic(grant.token),
    });
    expect(answer.status).toBe(502);
    expect(answer.body).toMatch(
      /localhost resolves to (127\.0\.0\.1|::1), which the egress proxy never connects to/,
    );
    expect(log.entries()[0]).toMatchObject({ host: "localhost", allowed: false });
    expect(seen).toHaveLength(0);
  });
});
