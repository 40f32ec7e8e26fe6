import { readFileSync, statSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { timestampedHeaders } from "@herdctl/core/internal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { HOOK_SECRET, startWebFleet, type WebFleet } from "../helpers/web-fleet.js";

let f: WebFleet;
let origin: string;

beforeAll(async () => {
  f = await startWebFleet();
  origin = f.web.url;
});
afterAll(() => f.close());

/** A raw request: fetch would normalise `..` out of the path before it left. */
function raw(base: string, path: string, headers: Record<string, string> = {}) {
  const url = new URL(base);
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, headers }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

function openWs(base: string, headers: Record<string, string>) {
  return new Promise<{ opened: boolean; status?: number }>((resolve) => {
    const ws = new WebSocket(`${base.replace("http", "ws")}/ws`, { headers });
    ws.on("open", () => {
      ws.close();
      resolve({ opened: true });
    });
    ws.on("unexpected-response", (_req, res) => resolve({ opened: false, status: res.statusCode }));
    ws.on("error", () => resolve({ opened: false }));
  });
}

describe("on the loopback bind", () => {
  it("refuses a cross-origin write with 403 and allows a same-origin one", async () => {
    const evil = await fetch(`${origin}/api/schedules/alpha/nightly/disable`, {
      method: "POST",
      headers: { origin: "http://evil.example" },
    });
    expect(evil.status).toBe(403);
    expect(await evil.json()).toEqual({
      error: { code: "FORBIDDEN_ORIGIN", message: "cross-origin requests may not change the fleet" },
    });
    const sneaky = await fetch(`${origin}/api/schedules/alpha/nightly/disable`, {
      method: "POST",
      headers: { "sec-fetch-site": "cross-site" },
    });
    expect(sneaky.status).toBe(403);
    const nullOrigin = await fetch(`${origin}/api/agents/alpha/trigger`, {
      method: "POST",
      headers: { origin: "null" },
    });
    expect(nullOrigin.status).toBe(403);
    const own = await fetch(`${origin}/api/schedules/alpha/nightly/disable`, {
      method: "POST",
      headers: { origin, ...f.bearer },
    });
    expect(own.status).toBe(200);
    await fetch(`${origin}/api/schedules/alpha/nightly/enable`, {
      method: "POST",
      headers: { origin, ...f.bearer },
    });
  });

  it("refuses a DNS-rebound Host name", async () => {
    const res = await raw(origin, "/api/fleet", { host: `evil.example:${new URL(origin).port}` });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body).error.code).toBe("FORBIDDEN_HOST");
  });

  it("refuses a WebSocket upgrade from another origin", async () => {
    expect(await openWs(origin, { origin: "http://evil.example", ...f.bearer })).toEqual({
      opened: false,
      status: 403,
    });
    expect(await openWs(origin, { origin, ...f.bearer })).toEqual({ opened: true });
  });

  it("never lets a path reach the file system", async () => {
    for (const path of [
      "/../../etc/passwd",
      "/..%2f..%2fetc%2fpasswd",
      "/%2e%2e/%2e%2e/etc/passwd",
      "/assets/../../../../etc/passwd",
      "/assets/..%5c..%5cpackage.json",
      "//etc/passwd",
      "/agents/..%2f..%2f..%2fetc%2fpasswd",
      "/package.json",
      "/src/server/index.ts",
    ]) {
      const res = await raw(origin, path);
      expect(res.body, path).not.toContain("root:");
      expect(res.body, path).not.toContain("@herdctl");
      expect(res.status, path).toBe(404);
    }
  });
});

describe("on any other bind", () => {
  it("requires the token, sets an HttpOnly SameSite=Strict Secure cookie on login, keeps the token 0600", async () => {
    const web = await f.startWeb({ host: "127.0.0.2" });
    const file = join(f.stateDir, "web-token");
    const token = readFileSync(file, "utf8").trim();
    expect(token).toBe(f.token);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    expect((await fetch(`${web.url}/api/health`)).status).toBe(200);
    const denied = await fetch(`${web.url}/api/agents`);
    expect(denied.status).toBe(401);
    expect(await denied.json()).toEqual({
      error: {
        code: "UNAUTHORIZED",
        message:
          "log in first: open the link from herdctl dashboard, or send the token in .herdctl/web-token as Authorization: Bearer",
      },
    });
    expect(
      (await fetch(`${web.url}/api/agents/alpha/trigger`, { method: "POST", headers: { origin: web.url } }))
        .status,
    ).toBe(401);
    expect(await openWs(web.url, { origin: web.url })).toEqual({ opened: false, status: 401 });

    const wrong = await fetch(`${web.url}/api/login`, {
      method: "POST",
      headers: { origin: web.url },
      body: JSON.stringify({ token: "not-it" }),
    });
    expect(wrong.status).toBe(401);
    const login = await fetch(`${web.url}/api/login`, {
      method: "POST",
      headers: { origin: web.url },
      body: JSON.stringify({ token }),
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.get("set-cookie")!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/Max-Age=86400/);
    expect(cookie).not.toContain(token);
    const session = cookie.split(";")[0]!;
    expect((await fetch(`${web.url}/api/agents`, { headers: { cookie: session } })).status).toBe(200);
    expect((await fetch(`${web.url}/api/agents`, { headers: f.bearer })).status).toBe(200);
    expect(await openWs(web.url, { origin: web.url, cookie: session })).toEqual({ opened: true });
    // Signed webhooks need no token.
    const body = JSON.stringify({ n: 1 });
    const res = await fetch(`${web.url}/hooks/alpha/hook`, {
      method: "POST",
      headers: timestampedHeaders(body, HOOK_SECRET),
      body,
    });
    expect(res.status).toBe(202);
    await f.fleet.wait(((await res.json()) as { jobId: string }).jobId);
    await web.close();
  });

  it("takes the token from auth_token_env, and says so when that variable is unset", async () => {
    const web = await f.startWeb({
      host: "127.0.0.2",
      authTokenEnv: "WEB_TOKEN",
      env: { WEB_TOKEN: "a-token-of-sufficient-length" },
    });
    const ok = await fetch(`${web.url}/api/fleet`, {
      headers: { authorization: "Bearer a-token-of-sufficient-length" },
    });
    expect(ok.status).toBe(200);
    await web.close();
    await expect(f.startWeb({ host: "127.0.0.2", authTokenEnv: "WEB_TOKEN", env: {} })).rejects.toThrow(
      "web.auth_token_env names WEB_TOKEN, but that environment variable is empty or unset; set it to a long random string, or remove auth_token_env to have a token generated",
    );
  });
});
