import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createApi } from "@herdctl/core/internal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ExpiringSecrets } from "../../src/server/expiring-secrets.js";
import { RateLimiter } from "../../src/server/rate-limit.js";
import { type Answer, send } from "../helpers/http.js";
import { startWebFleet, type WebFleet } from "../helpers/web-fleet.js";

let f: WebFleet;
let origin: string;

beforeAll(async () => {
  f = await startWebFleet();
  origin = f.web.url;
});
afterAll(() => f.close());

const cookieOf = (answer: Answer) => {
  const header = answer.headers["set-cookie"];
  return (Array.isArray(header) ? header[0] : header) ?? "";
};

function wsStatus(base: string, headers: Record<string, string>) {
  return new Promise<number | "open">((resolve) => {
    const ws = new WebSocket(`${base.replace("http", "ws")}/ws`, { headers });
    ws.on("open", () => {
      ws.close();
      resolve("open");
    });
    ws.on("unexpected-response", (_req, res) => resolve(res.statusCode!));
  });
}

describe("on the loopback bind", () => {
  it("refuses the API and the live socket without a credential", async () => {
    const trigger = await send(origin, "/api/agents/alpha/trigger", {
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: "run as the operator" }),
    });
    expect(trigger.status).toBe(401);
    expect(JSON.parse(trigger.body).error.code).toBe("UNAUTHORIZED");
    expect((await send(origin, "/api/agents")).status).toBe(401);
    expect(await wsStatus(origin, { origin })).toBe(401);
    expect(f.fleet.state.jobs.list({ limit: 1 }).jobs).toEqual([]);
    expect(JSON.parse((await send(origin, "/api/session")).body)).toEqual({ authenticated: false });
  });

  it("trades a one-time link for a session cookie and a redirect that carries no secret", async () => {
    const link = f.web.loginLink();
    const path = new URL(link.url).pathname;
    expect(path).toMatch(/^\/auth\/[A-Za-z0-9_-]{43}$/);
    const first = await send(origin, path);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe("/");
    const cookie = cookieOf(first);
    expect(cookie).toMatch(
      /^herdctl_session_\d+=[A-Za-z0-9_-]{43}; Max-Age=86400; Path=\/; HttpOnly; SameSite=Strict$/,
    );
    const session = cookie.split(";")[0]!;
    expect((await send(origin, "/api/agents", { headers: { cookie: session } })).status).toBe(200);
    expect(await wsStatus(origin, { origin, cookie: session })).toBe("open");

    const again = await send(origin, path);
    expect(again.status).toBe(401);
    expect(again.body).toBe(
      "This login link has expired or was already used. Run herdctl dashboard for a new one.",
    );
    expect(again.headers["set-cookie"]).toBeUndefined();
  });

  it("ends a session at logout: the same cookie is refused afterwards, and its live socket closes", async () => {
    const login = await send(origin, "/api/login", { body: JSON.stringify({ token: f.token }) });
    expect(login.status).toBe(200);
    const session = cookieOf(login).split(";")[0]!;
    expect((await send(origin, "/api/fleet", { headers: { cookie: session } })).status).toBe(200);
    const live = new WebSocket(`${origin.replace("http", "ws")}/ws`, {
      headers: { origin, cookie: session },
    });
    await new Promise((resolve) => live.once("open", resolve));
    const liveClosed = new Promise<[number, string]>((resolve) =>
      live.once("close", (code, reason) => resolve([code, reason.toString()])),
    );
    const logout = await send(origin, "/api/logout", { method: "POST", headers: { cookie: session } });
    expect(logout.status).toBe(200);
    expect(cookieOf(logout)).toMatch(/Max-Age=0/);
    const replayed = await send(origin, "/api/fleet", { headers: { cookie: session } });
    expect(replayed.status).toBe(401);
    expect(await wsStatus(origin, { origin, cookie: session })).toBe(401);
    // The live socket opened with that session ends with it, at once: a ping sent after the
    // logout finds it closed (the heartbeat would close it too, but only up to 30 s later).
    const pong = new Promise<string>((resolve) =>
      live.on("message", (data) => data.toString().includes('"pong"') && resolve(data.toString())),
    );
    live.send(JSON.stringify({ type: "ping" }));
    expect(await Promise.race([liveClosed, pong])).toEqual([1008, "session ended"]);
  });

  it("refuses an expired session and an expired link", async () => {
    let now = Date.now();
    const web = await f.startWeb({ now: () => now });
    const link = web.loginLink();
    const session = cookieOf(await send(web.url, new URL(link.url).pathname)).split(";")[0]!;
    expect((await send(web.url, "/api/fleet", { headers: { cookie: session } })).status).toBe(200);
    const stale = web.loginLink();
    now += 24 * 60 * 60 * 1000;
    expect((await send(web.url, "/api/fleet", { headers: { cookie: session } })).status).toBe(401);
    expect((await send(web.url, new URL(stale.url).pathname)).status).toBe(401);
    await web.close();
  });

  it("limits wrong tokens per address and never refuses the right one", async () => {
    const wrong = (from: string) =>
      send(origin, "/api/login", { body: JSON.stringify({ token: "guess" }), from });
    let limited: Answer | undefined;
    for (let i = 0; i < 40 && !limited; i++) {
      const answer = await wrong("127.0.0.2");
      if (answer.status === 429) limited = answer;
      else expect(answer.status).toBe(401);
    }
    expect(limited?.headers["retry-after"]).toMatch(/^\d+$/);
    expect(JSON.parse(limited!.body).error).toEqual({
      code: "RATE_LIMITED",
      message: "too many wrong tokens from this address; wait a minute",
    });
    // The owner, from the same address or another, still gets in; another address is not limited.
    const right = JSON.stringify({ token: f.token });
    expect((await send(origin, "/api/login", { body: right, from: "127.0.0.2" })).status).toBe(200);
    expect((await send(origin, "/api/login", { body: right, from: "127.0.0.3" })).status).toBe(200);
    expect((await wrong("127.0.0.3")).status).toBe(401);
  });
});

describe("request bodies", () => {
  const tooLarge = (limit: number, path: string) => ({
    error: {
      code: "PAYLOAD_TOO_LARGE",
      message: `the request body is over the ${limit}-byte limit for POST ${path}; send a smaller one`,
    },
  });

  it("are refused with 413 at login, declared or chunked, before the token is looked at", async () => {
    for (const chunked of [false, true]) {
      const answer = await send(origin, "/api/login", { size: 64 * 1024 * 1024, chunked });
      expect(answer.status, `chunked: ${chunked}`).toBe(413);
      expect(JSON.parse(answer.body)).toEqual(tooLarge(16 * 1024, "/api/login"));
    }
  });

  it("are refused with 413 on the API and on webhooks", async () => {
    for (const chunked of [false, true]) {
      const trigger = await send(origin, "/api/agents/alpha/trigger", {
        headers: f.bearer,
        size: 64 * 1024 * 1024,
        chunked,
      });
      expect(trigger.status).toBe(413);
      expect(JSON.parse(trigger.body)).toEqual(tooLarge(2 * 1024 * 1024, "/api/agents/alpha/trigger"));
      const hook = await send(origin, "/hooks/alpha/hook", { size: 64 * 1024 * 1024, chunked });
      expect(hook.status).toBe(413);
      expect(JSON.parse(hook.body)).toEqual(tooLarge(1024 * 1024, "/hooks/alpha/hook"));
    }
    expect(f.fleet.state.jobs.list({ limit: 1 }).jobs).toEqual([]);
  });
});

describe("the token file", () => {
  it("is kept across restarts, and replaced when others could read it", async () => {
    const file = join(f.stateDir, "web-token");
    const again = await f.startWeb();
    expect(readFileSync(file, "utf8").trim()).toBe(f.token);
    await again.close();

    chmodSync(file, 0o644);
    const replaced = await f.startWeb();
    const token = readFileSync(file, "utf8").trim();
    expect(token).not.toBe(f.token);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(
      (await send(replaced.url, "/api/fleet", { headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(200);
    await replaced.close();
    // Later tests in this file's fleet read the original token.
    writeFileSync(file, `${f.token}\n`, { mode: 0o600 });
  });
});

describe("the control socket's API", () => {
  it("mints a login link only while a dashboard runs", async () => {
    const none = await createApi(f.fleet, { daemonControl: true }).request("/api/dashboard/link", {
      method: "POST",
    });
    expect(none.status).toBe(409);
    expect(await none.json()).toEqual({
      error: {
        code: "DASHBOARD_NOT_RUNNING",
        message:
          "this daemon serves no dashboard; restart it with herdctl start --web (or set web.enabled: true)",
      },
    });
    const api = createApi(f.fleet, { daemonControl: true, dashboardLink: () => f.web.loginLink() });
    const minted = (await (await api.request("/api/dashboard/link", { method: "POST" })).json()) as {
      url: string;
    };
    expect((await send(origin, new URL(minted.url).pathname)).status).toBe(303);
  });
});

describe("bounded stores", () => {
  it("a rate limiter keeps at most maxKeys buckets, so many addresses cannot grow it", () => {
    const limiter = new RateLimiter(1, 1, () => 0, 2);
    expect([limiter.take("a"), limiter.take("a")]).toEqual([true, false]);
    limiter.take("b");
    limiter.take("c");
    // "a" was the oldest and went to make room: it starts over with a full bucket.
    expect(limiter.take("a")).toBe(true);
  });

  it("expiring secrets drop the oldest at the cap", () => {
    const store = new ExpiringSecrets(60_000, 2);
    const a = store.issue().secret;
    const b = store.issue().secret;
    const c = store.issue().secret;
    expect([store.valid(a), store.valid(b), store.valid(c)]).toEqual([false, true, true]);
  });
});
