import { existsSync, statSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CredentialProxy } from "../../src/proxy/credential-proxy.js";
import { CredentialSource } from "../../src/proxy/credential-source.js";
import { tempDir } from "../helpers/fleet.js";

const KEY = "sk-ant-REAL-proxytest-0123456789";

interface Seen {
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let upstream: Server;
let upstreamUrl: string;
const seen: Seen[] = [];
/** Set by a test that wants to hold an answer open. */
let onRequest: ((res: ServerResponse) => void) | undefined;
let proxy: CredentialProxy;
let tmp: ReturnType<typeof tempDir>;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => {
      body += c;
    });
    req.on("end", () => {
      seen.push({ url: req.url ?? "", headers: req.headers, body });
      if (onRequest) return onRequest(res);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: true, echo: body }));
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  tmp = tempDir();
});
afterAll(async () => {
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
  tmp.cleanup();
});
afterEach(async () => {
  onRequest = undefined;
  seen.length = 0;
  await proxy?.close();
});

async function startProxy(): Promise<CredentialProxy> {
  proxy = new CredentialProxy();
  await proxy.start();
  return proxy;
}

const send = (token: string, init: RequestInit & { path?: string } = {}) =>
  fetch(`http://127.0.0.1:${proxy.port}${init.path ?? "/v1/messages?beta=true"}`, {
    method: "POST",
    body: '{"model":"m"}',
    ...init,
    headers: { "x-api-key": token, "content-type": "application/json", ...(init.headers ?? {}) },
  });

describe("credential proxy", () => {
  it("holds a request open across a 60 s silent model turn and then streams the answer", async () => {
    await startProxy();
    const grant = proxy.grant(
      "job-silent",
      new CredentialSource([() => ({ ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: upstreamUrl })]),
    );
    // The upstream says nothing at all for 60 s (no headers, no bytes), as a long model turn does.
    onRequest = (res) => {
      setTimeout(() => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.end("event: message_stop\ndata: {}\n\n");
      }, 60_000);
    };
    const started = Date.now();
    const res = await send(grant.token);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("event: message_stop\ndata: {}\n\n");
    expect(Date.now() - started).toBeGreaterThanOrEqual(59_000);
    expect(seen[0]!.headers["x-api-key"]).toBe(KEY);
  }, 120_000);

  it("swaps the job token for the real API key and forwards path, query and body", async () => {
    await startProxy();
    const grant = proxy.grant(
      "job-1",
      new CredentialSource([() => ({ ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: upstreamUrl })]),
    );
    const res = await send(grant.token);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, echo: '{"model":"m"}' });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url).toBe("/v1/messages?beta=true");
    expect(seen[0]!.headers["x-api-key"]).toBe(KEY);
    expect(seen[0]!.headers.authorization).toBeUndefined();
    expect(JSON.stringify(seen[0]!.headers)).not.toContain(grant.token);
  });

  it("takes the token as a bearer too, and keeps the upstream's base path", async () => {
    await startProxy();
    const grant = proxy.grant(
      "job-2",
      new CredentialSource([
        () => ({ ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: `${upstreamUrl}/gateway/` }),
      ]),
    );
    const res = await fetch(`http://127.0.0.1:${proxy.port}/v1/messages`, {
      method: "POST",
      body: "{}",
      headers: { authorization: `Bearer ${grant.token}` },
    });
    expect(res.status).toBe(200);
    expect(seen[0]!.url).toBe("/gateway/v1/messages");
    expect(seen[0]!.headers["x-api-key"]).toBe(KEY);
  });

  it("refuses an unknown token and a revoked one without reaching the upstream", async () => {
    await startProxy();
    const grant = proxy.grant(
      "job-3",
      new CredentialSource([() => ({ ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: upstreamUrl })]),
    );
    expect((await send(grant.token)).status).toBe(200);
    grant.revoke();
    for (const token of [grant.token, "herdctl-job-guessed", KEY]) {
      const res = await send(token);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({
        type: "error",
        error: {
          type: "authentication_error",
          message: "herdctl credential proxy: this job token is unknown or its job has ended",
        },
      });
    }
    expect(seen).toHaveLength(1);
    expect(proxy.activeGrants).toBe(0);
  });

  it("sends claude's OAuth login as a bearer with the OAuth beta, re-read when the file changes", async () => {
    await startProxy();
    const configDir = join(tmp.dir, "claude-login");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(configDir, { recursive: true });
    const login = (token: string) =>
      writeFileSync(
        join(configDir, ".credentials.json"),
        JSON.stringify({ claudeAiOauth: { accessToken: token, refreshToken: "r", expiresAt: 1 } }),
      );
    login("sk-ant-oat01-FIRST-token-aaaaaaaa");
    const grant = proxy.grant(
      "job-4",
      new CredentialSource([() => ({ CLAUDE_CONFIG_DIR: configDir, ANTHROPIC_BASE_URL: upstreamUrl })]),
    );
    await send(grant.token, { headers: { "anthropic-beta": "fine-grained-tool-streaming-2025-05-14" } });
    // A refresh rewrites the file in place (the new token is longer, so the size changes too).
    login("sk-ant-oat01-SECOND-refreshed-token-bbbbbbbb");
    await send(grant.token);
    expect(seen.map((s) => s.headers.authorization)).toEqual([
      "Bearer sk-ant-oat01-FIRST-token-aaaaaaaa",
      "Bearer sk-ant-oat01-SECOND-refreshed-token-bbbbbbbb",
    ]);
    expect(seen[0]!.headers["anthropic-beta"]).toBe(
      "fine-grained-tool-streaming-2025-05-14,oauth-2025-04-20",
    );
    expect(seen[1]!.headers["anthropic-beta"]).toBe("oauth-2025-04-20");
    expect(seen.every((s) => s.headers["x-api-key"] === undefined)).toBe(true);
  });

  it("streams server-sent events through as they come, without waiting for the end", async () => {
    await startProxy();
    let finish!: () => void;
    onRequest = (res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("event: message_start\ndata: {}\n\n");
      finish = () => res.end("event: message_stop\ndata: {}\n\n");
    };
    const grant = proxy.grant(
      "job-5",
      new CredentialSource([() => ({ ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: upstreamUrl })]),
    );
    const res = await send(grant.token);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe("event: message_start\ndata: {}\n\n");
    finish();
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read())
      rest += new TextDecoder().decode(r.value);
    expect(rest).toBe("event: message_stop\ndata: {}\n\n");
  });

  it("answers 502 naming the upstream when it cannot be reached, and 401 when there is no credential", async () => {
    await startProxy();
    const gone = proxy.grant(
      "job-6",
      new CredentialSource([() => ({ ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: "http://127.0.0.1:1" })]),
    );
    const res = await send(gone.token);
    expect(res.status).toBe(502);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      "herdctl credential proxy could not reach http://127.0.0.1:1: ECONNREFUSED",
    );
    const empty = proxy.grant(
      "job-7",
      new CredentialSource([() => ({ HOME: tmp.dir, ANTHROPIC_BASE_URL: upstreamUrl })]),
    );
    const none = await send(empty.token);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { message: string } }).error.message).toContain(
      "herdctl has no credential for job job-7",
    );
  });

  it("serves the same on its unix socket, which any container user may open, and removes it on close", async () => {
    await startProxy();
    const grant = proxy.grant(
      "job-9",
      new CredentialSource([() => ({ ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: upstreamUrl })]),
    );
    const socket = join(proxy.socketDir, "api.sock");
    expect(statSync(socket).mode & 0o777).toBe(0o666);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        { socketPath: socket, path: "/v1/messages", method: "POST", headers: { "x-api-key": grant.token } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end("{}");
    });
    expect(status).toBe(200);
    expect(seen[0]!.headers["x-api-key"]).toBe(KEY);
    const dir = proxy.socketDir;
    await proxy.close();
    expect(existsSync(dir)).toBe(false);
  });

  it("tells running jobs when it stops, and refuses connections afterwards", async () => {
    await startProxy();
    const grant = proxy.grant(
      "job-8",
      new CredentialSource([() => ({ ANTHROPIC_API_KEY: KEY, ANTHROPIC_BASE_URL: upstreamUrl })]),
    );
    const port = proxy.port;
    expect(grant.signal.aborted).toBe(false);
    await proxy.close();
    expect(grant.signal.aborted).toBe(true);
    await expect(fetch(`http://127.0.0.1:${port}/v1/messages`)).rejects.toThrow();
  });
});
