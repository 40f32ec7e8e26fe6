import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWebFleet, type WebFleet } from "../helpers/web-fleet.js";

// Loose on purpose: the tests assert on the shapes.
// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field below
type Json = Record<string, any>;

let f: WebFleet;
let origin: string;

beforeAll(async () => {
  f = await startWebFleet();
  origin = f.web.url;
});
afterAll(() => f.close());

const get = async (path: string) => {
  const res = await fetch(origin + path, { headers: f.bearer });
  return { status: res.status, body: (await res.json()) as Json };
};
const post = async (path: string, body?: unknown) => {
  const res = await fetch(origin + path, {
    method: "POST",
    headers: { origin, "content-type": "application/json", ...f.bearer },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json };
};

async function waitForEnd(jobId: string) {
  for (let i = 0; i < 600; i++) {
    const { body } = await get(`/api/jobs/${jobId}`);
    if (["completed", "failed", "cancelled", "timed_out", "interrupted"].includes(body.job.status))
      return body.job;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${jobId} did not end`);
}

describe("the web API on a real fleet", () => {
  it("answers health, fleet, agents and schedules with the token on 127.0.0.1", async () => {
    expect(await get("/api/health")).toEqual({
      status: 200,
      body: { ok: true, version: "1", state: "running" },
    });
    const fleet = await get("/api/fleet");
    expect(fleet.body).toMatchObject({ fleet: "webtest", state: "running", counts: { agents: 2 } });
    const agents = await get("/api/agents");
    expect(agents.body.agents.map((a: { name: string }) => a.name)).toEqual(["alpha", "beta"]);
    const schedules = await get("/api/schedules");
    expect(schedules.body.schedules).toHaveLength(6);
    expect(await get("/api/session")).toEqual({
      status: 200,
      body: { authenticated: true },
    });
  });

  it("triggers a job with a prompt, lists it, and serves its output", async () => {
    const { status, body } = await post("/api/agents/alpha/trigger", {
      prompt: "Greetings from the web test",
    });
    expect(status).toBe(202);
    expect(body.job).toMatchObject({ agent: "alpha", triggerType: "web" });
    const job = await waitForEnd(body.job.id);
    expect(job.status).toBe("completed");
    const listed = await get("/api/jobs?agent=alpha&limit=1");
    expect(listed.body.jobs[0].id).toBe(job.id);
    const res = await fetch(`${origin}/api/jobs/${job.id}/output`, { headers: f.bearer });
    const lines = (await res.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.at(-1).message.type).toBe("result");
    const detail = await get("/api/agents/alpha");
    expect(detail.body.recentJobs[0].id).toBe(job.id);
  });

  it("pages the jobs list with a cursor", async () => {
    const first = await get("/api/jobs?limit=1");
    expect(first.body.jobs).toHaveLength(1);
    const again = await post("/api/agents/beta/trigger", { prompt: "second job" });
    await waitForEnd(again.body.job.id);
    const page1 = await get("/api/jobs?limit=1");
    expect(page1.body.nextCursor).toBe(page1.body.jobs[0].id);
    const page2 = await get(`/api/jobs?limit=1&before=${page1.body.nextCursor}`);
    expect(page2.body.jobs[0].id).not.toBe(page1.body.jobs[0].id);
  });

  it("enables and disables a schedule", async () => {
    const off = await post("/api/schedules/alpha/nightly/disable");
    expect(off).toMatchObject({ status: 200, body: { schedule: { name: "nightly", enabled: false } } });
    const on = await post("/api/schedules/alpha/nightly/enable");
    expect(on.body.schedule.enabled).toBe(true);
  });

  it("adds, replaces and removes a schedule in the agent file, with the token and from the same origin only", async () => {
    const file = join(f.dir, "agents", "beta.yaml");
    const before = readFileSync(file, "utf8");
    const send = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      fetch(origin + path, {
        method,
        headers: { origin, "content-type": "application/json", ...f.bearer, ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      }).then(async (res) => ({ status: res.status, body: (await res.json()) as Json }));
    const tick = { schedule: { type: "interval", interval: "2h", start_delay: "1h" } };

    const { authorization: _, ...noToken } = { ...f.bearer };
    const anonymous = await fetch(`${origin}/api/schedules/beta/tick`, {
      method: "PUT",
      headers: { origin, "content-type": "application/json", ...noToken },
      body: JSON.stringify(tick),
    });
    expect(anonymous.status).toBe(401);
    expect(
      (await send("PUT", "/api/schedules/beta/tick", tick, { origin: "http://evil.example" })).status,
    ).toBe(403);
    expect(readFileSync(file, "utf8")).toBe(before);

    const added = await send("PUT", "/api/schedules/beta/tick", tick);
    expect(added).toMatchObject({
      status: 201,
      body: {
        action: "added",
        file: "agents/beta.yaml",
        schedule: { name: "tick", when: "every 2h", enabled: true },
      },
    });
    expect(readFileSync(file, "utf8").startsWith(before.trimEnd())).toBe(true);
    expect((await send("PUT", "/api/schedules/beta/tick", tick)).body.error.code).toBe("SCHEDULE_EXISTS");
    const replaced = await send("PUT", "/api/schedules/beta/tick", {
      ...tick,
      replace: true,
      schedule: { type: "cron", cron: "0 4 * * *" },
    });
    expect(replaced).toMatchObject({
      status: 200,
      body: { action: "replaced", schedule: { when: "cron 0 4 * * *" } },
    });
    const bad = await send("PUT", "/api/schedules/beta/tick", {
      replace: true,
      schedule: { type: "cron", cron: "61 * * * *" },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("SCHEDULE_INVALID");
    expect(bad.body.error.message).toMatch(/agents\/beta\.yaml:\d+:\d+ schedules\.tick\.cron: /);
    // Only timing and prompt keys: nothing about how jobs run.
    const wider = await send("PUT", "/api/schedules/beta/tick", {
      replace: true,
      schedule: { type: "interval", interval: "1h", docker: { enabled: false } },
    });
    expect(wider.body.error).toMatchObject({ code: "SCHEDULE_BAD_REQUEST" });
    expect((await send("DELETE", "/api/schedules/beta/tick")).body).toMatchObject({
      action: "removed",
      schedule: null,
    });
    expect(readFileSync(file, "utf8")).toBe(before);
  });

  it("answers malformed and invalid requests with JSON errors", async () => {
    const res = await fetch(`${origin}/api/agents/alpha/trigger`, {
      method: "POST",
      headers: { origin, "content-type": "application/json", ...f.bearer },
      body: "{not json",
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: { code: "BAD_REQUEST", message: "the request body is not valid JSON" },
    });
    const bad = await post("/api/agents/alpha/trigger", { prompt: 42 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("BAD_REQUEST");
    const missing = await post("/api/agents/nobody/trigger", {});
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("FLEET_AGENT_NOT_FOUND");
    const job = await get("/api/jobs/not-a-job");
    expect(job.status).toBe(400);
    expect((await get("/api/nothing-here")).body).toEqual({
      error: { code: "NOT_FOUND", message: "no such endpoint: GET /api/nothing-here" },
    });
  });

  it("sends the security headers on every response", async () => {
    for (const path of ["/api/health", "/", "/missing"]) {
      const res = await fetch(origin + path);
      expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    }
  });
});
