import { createHash } from "node:crypto";
import { timestampedHeaders } from "@herdctl/core/internal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Answer, send } from "../helpers/http.js";
import { HOOK_SECRET, startWebFleet, type WebFleet } from "../helpers/web-fleet.js";

let f: WebFleet;

beforeAll(async () => {
  f = await startWebFleet();
});
afterAll(() => f.close());

const cookieOf = (answer: Answer) => {
  const header = answer.headers["set-cookie"];
  return ((Array.isArray(header) ? header[0] : header) ?? "").split(";")[0]!;
};

async function auditSince(seq: number) {
  const answer = await send(f.web.url, "/api/audit?limit=100", { headers: f.bearer });
  expect(answer.status).toBe(200);
  const { entries } = JSON.parse(answer.body) as {
    entries: { seq: number; action: string; via: string; who: string; target: string | null }[];
  };
  return entries.filter((e) => e.seq > seq).reverse();
}

describe("the audit trail through the web server", () => {
  it("names the dashboard session (by a hash, never the cookie), logins, failed logins and webhook deliveries", async () => {
    const start = f.fleet.audit({ limit: 1 })[0]?.seq ?? 0;
    const json = { "content-type": "application/json", origin: f.web.url };

    const wrong = await send(f.web.url, "/api/login", {
      method: "POST",
      headers: json,
      body: '{"token":"guess"}',
    });
    expect(wrong.status).toBe(401);
    const login = await send(f.web.url, "/api/login", {
      method: "POST",
      headers: json,
      body: JSON.stringify({ token: f.token }),
    });
    expect(login.status).toBe(200);
    const cookie = cookieOf(login);
    const secret = cookie.split("=")[1]!;
    const trigger = await send(f.web.url, "/api/agents/alpha/trigger", {
      method: "POST",
      headers: { ...json, cookie },
      body: JSON.stringify({ prompt: "from the dashboard" }),
    });
    expect(trigger.status).toBe(202);
    const jobId = JSON.parse(trigger.body).job.id as string;
    const viaToken = await send(f.web.url, "/api/agents/beta/trigger", {
      method: "POST",
      headers: { ...json, ...f.bearer },
      body: JSON.stringify({ prompt: "from a script" }),
    });
    const tokenJob = JSON.parse(viaToken.body).job.id as string;

    const hookBody = JSON.stringify({ ref: "main" });
    const hook = await fetch(`${f.web.url}/hooks/alpha/hook`, {
      method: "POST",
      headers: { "content-type": "application/json", ...timestampedHeaders(hookBody, HOOK_SECRET) },
      body: hookBody,
    });
    expect(hook.status).toBe(202);
    const hookJob = ((await hook.json()) as { jobId: string }).jobId;

    const session = createHash("sha256").update(secret).digest("hex").slice(0, 8);
    const entries = await auditSince(start);
    expect(entries.map((e) => `${e.action} ${e.via}:${e.who} ${e.target ?? "-"}`)).toEqual([
      "login.failed dashboard:wrong token from 127.0.0.1 -",
      "login dashboard:token login from 127.0.0.1 -",
      `job.trigger dashboard:session ${session} from 127.0.0.1 ${jobId}`,
      `job.trigger dashboard:bearer token from 127.0.0.1 ${tokenJob}`,
      expect.stringMatching(
        new RegExp(`^job\\.trigger webhook:alpha/hook delivery signature [0-9a-f]{12} ${hookJob}$`),
      ),
    ]);
    const raw = (await send(f.web.url, "/api/audit?limit=100", { headers: f.bearer })).body;
    expect(raw).not.toContain(secret);
    expect(raw).not.toContain(f.token);

    const verify = await send(f.web.url, "/api/audit/verify", { headers: f.bearer });
    expect(JSON.parse(verify.body)).toMatchObject({ ok: true });
    expect((await send(f.web.url, "/api/audit?since=yesterday", { headers: f.bearer })).status).toBe(400);
    await Promise.all([jobId, tokenJob, hookJob].map((id) => f.fleet.wait(id)));
  });
});
