import { signTimestamped, timestampedHeaders } from "@herdctl/core/internal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOOK_SECRET, startWebFleet, type WebFleet } from "../../packages/web/test/helpers/web-fleet.js";

/**
 * Malformed API requests and webhook payloads against a real web server on a real fleet: each gets
 * a 4xx JSON error with a code, and the server keeps answering.
 */
let f: WebFleet;
let origin: string;

beforeAll(async () => {
  f = await startWebFleet();
  origin = f.web.url;
});
afterAll(() => f?.close());

// Signed when the cases are built, seconds before they are sent: well inside the 5-minute window.
const sign = (body: string | Buffer, secret = HOOK_SECRET) => timestampedHeaders(body, secret);
const now = Math.floor(Date.now() / 1000);

interface Case {
  label: string;
  method?: string;
  path: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  status: number;
  code?: string;
}

const json = { "content-type": "application/json" };
const big = Buffer.alloc(1024 * 1024 + 10, 97);
const okHook = '{"event":"push"}';

const CASES: Case[] = [
  // Trigger bodies
  {
    label: "trigger: bad JSON",
    method: "POST",
    path: "/api/agents/alpha/trigger",
    body: "{prompt:",
    status: 400,
    code: "BAD_REQUEST",
  },
  {
    label: "trigger: JSON array",
    method: "POST",
    path: "/api/agents/alpha/trigger",
    body: "[1,2]",
    status: 400,
    code: "BAD_REQUEST",
  },
  {
    label: "trigger: JSON string",
    method: "POST",
    path: "/api/agents/alpha/trigger",
    body: '"hi"',
    status: 400,
    code: "BAD_REQUEST",
  },
  {
    label: "trigger: null",
    method: "POST",
    path: "/api/agents/alpha/trigger",
    body: "null",
    status: 400,
    code: "BAD_REQUEST",
  },
  {
    label: "trigger: prompt a number",
    method: "POST",
    path: "/api/agents/alpha/trigger",
    body: '{"prompt":5}',
    status: 400,
    code: "BAD_REQUEST",
  },
  {
    label: "trigger: fresh a string",
    method: "POST",
    path: "/api/agents/alpha/trigger",
    body: '{"fresh":"yes"}',
    status: 400,
    code: "BAD_REQUEST",
  },
  {
    label: "trigger: resume not a uuid",
    method: "POST",
    path: "/api/agents/alpha/trigger",
    body: '{"resume":"../../etc"}',
    status: 400,
    code: "BAD_REQUEST",
  },
  {
    label: "trigger: unknown field",
    method: "POST",
    path: "/api/agents/alpha/trigger",
    body: '{"prompt":"x","sudo":true}',
    status: 400,
    code: "BAD_REQUEST",
  },
  // The library's per-trigger overrides are for the program that embeds herdctl, never for HTTP callers.
  {
    label: "trigger: library-only workingDirectory",
    method: "POST",
    path: "/api/agents/alpha/trigger",
    body: '{"prompt":"x","workingDirectory":"/"}',
    status: 400,
    code: "BAD_REQUEST",
  },
  {
    label: "trigger: library-only mcpServers",
    method: "POST",
    path: "/api/agents/alpha/trigger",
    body: '{"prompt":"x","mcpServers":{"evil":{"command":"sh","args":["-c","id"]}}}',
    status: 400,
    code: "BAD_REQUEST",
  },
  {
    label: "trigger: library-only model",
    method: "POST",
    path: "/api/agents/alpha/trigger",
    body: '{"prompt":"x","model":"claude-opus-4-5"}',
    status: 400,
    code: "BAD_REQUEST",
  },
  {
    label: "trigger: empty schedule",
    method: "POST",
    path: "/api/agents/alpha/trigger",
    body: '{"schedule":""}',
    status: 400,
    code: "BAD_REQUEST",
  },
  {
    label: "trigger: unknown schedule",
    method: "POST",
    path: "/api/agents/alpha/trigger",
    body: '{"schedule":"nope"}',
    status: 404,
  },
  {
    label: "trigger: unknown agent",
    method: "POST",
    path: "/api/agents/nobody/trigger",
    body: "{}",
    status: 404,
  },
  {
    label: "trigger: traversal agent",
    method: "POST",
    path: "/api/agents/..%2F..%2Fetc/trigger",
    body: "{}",
    status: 404,
  },
  {
    label: "trigger: huge prompt",
    method: "POST",
    path: "/api/agents/alpha/trigger",
    body: JSON.stringify({ prompt: "x".repeat(1_000_001) }),
    status: 400,
    code: "BAD_REQUEST",
  },
  {
    label: "trigger: deeply nested JSON",
    method: "POST",
    path: "/api/agents/alpha/trigger",
    body: `${"[".repeat(5000)}${"]".repeat(5000)}`,
    status: 400,
    code: "BAD_REQUEST",
  },
  // Job ids and queries
  { label: "job: unknown id", path: "/api/jobs/job-20990101000000-abcdef", status: 404 },
  {
    label: "job: traversal id",
    path: "/api/jobs/..%2F..%2Fherdctl.db",
    status: 400,
    code: "STATE_INVALID_ID",
  },
  { label: "job: garbage id", path: "/api/jobs/%00%01%02", status: 400, code: "STATE_INVALID_ID" },
  {
    label: "job output: traversal id",
    path: "/api/jobs/..%2Fweb-token/output",
    status: 400,
    code: "STATE_INVALID_ID",
  },
  {
    label: "job output: from negative",
    path: "/api/jobs/job-20990101000000-abcdef/output?from=-1",
    status: 404,
  },
  {
    label: "job cancel: unknown id",
    method: "POST",
    path: "/api/jobs/job-20990101000000-abcdef/cancel",
    status: 404,
  },
  { label: "jobs: limit text", path: "/api/jobs?limit=lots", status: 400, code: "BAD_REQUEST" },
  { label: "jobs: limit huge", path: "/api/jobs?limit=99999999", status: 400, code: "BAD_REQUEST" },
  { label: "jobs: limit zero", path: "/api/jobs?limit=0", status: 400, code: "BAD_REQUEST" },
  { label: "jobs: bad status", path: "/api/jobs?status=exploded", status: 400, code: "BAD_REQUEST" },
  { label: "jobs: bad since", path: "/api/jobs?since=yesterday", status: 400, code: "BAD_REQUEST" },
  // Usage report queries
  { label: "usage: bad since", path: "/api/usage/report?since=yesterday", status: 400, code: "BAD_REQUEST" },
  {
    label: "usage: until before since",
    path: "/api/usage/report?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z",
    status: 400,
    code: "BAD_REQUEST",
  },
  {
    label: "usage: SQL in the agent",
    path: `/api/usage/report?agent=${encodeURIComponent("a' OR 1=1 --")}`,
    status: 400,
    code: "STATE_INVALID_ID",
  },
  { label: "usage: unknown key", path: "/api/usage/report?group=day", status: 400, code: "BAD_REQUEST" },
  {
    label: "usage: agent twice",
    path: "/api/usage/report?agent=alpha&agent=beta",
    status: 200,
  },
  { label: "jobs: bad cursor", path: "/api/jobs?before=not-a-job-id", status: 400 },
  { label: "agent: unknown", path: "/api/agents/nobody", status: 404 },
  {
    label: "schedule: unknown action",
    method: "POST",
    path: "/api/schedules/alpha/nightly/explode",
    status: 404,
  },
  {
    label: "schedule: unknown schedule",
    method: "POST",
    path: "/api/schedules/alpha/nope/enable",
    status: 404,
  },
  { label: "unknown endpoint", path: "/api/nothing-here", status: 404, code: "NOT_FOUND" },
  {
    label: "daemon-only route on web",
    method: "POST",
    path: "/api/fleet/stop",
    body: "{}",
    status: 404,
    code: "NOT_FOUND",
  },
  {
    label: "login: bad JSON",
    method: "POST",
    path: "/api/login",
    body: "nope",
    status: 400,
    code: "BAD_REQUEST",
  },
  // Webhooks
  {
    label: "hook: no signature",
    method: "POST",
    path: "/hooks/alpha/hook",
    body: okHook,
    headers: { "x-herdctl-timestamp": String(now) },
    status: 401,
    code: "BAD_SIGNATURE",
  },
  {
    label: "hook: wrong signature",
    method: "POST",
    path: "/hooks/alpha/hook",
    body: okHook,
    headers: sign(okHook, "wrong"),
    status: 401,
    code: "BAD_SIGNATURE",
  },
  {
    label: "hook: malformed signature",
    method: "POST",
    path: "/hooks/alpha/hook",
    body: okHook,
    headers: { "x-herdctl-timestamp": String(now), "x-herdctl-signature": "sha256=zz" },
    status: 401,
    code: "BAD_SIGNATURE",
  },
  {
    label: "hook: signature of another body",
    method: "POST",
    path: "/hooks/alpha/hook",
    body: okHook,
    headers: sign("{}"),
    status: 401,
    code: "BAD_SIGNATURE",
  },
  {
    label: "hook: signed bad JSON",
    method: "POST",
    path: "/hooks/alpha/hook",
    body: "{event",
    headers: sign("{event"),
    status: 400,
    code: "BAD_REQUEST",
  },
  {
    label: "hook: huge body",
    method: "POST",
    path: "/hooks/alpha/hook",
    body: big,
    headers: sign(big),
    status: 413,
    code: "PAYLOAD_TOO_LARGE",
  },
  {
    label: "hook: no timestamp",
    method: "POST",
    path: "/hooks/alpha/hook",
    body: okHook,
    headers: { "x-herdctl-signature": signTimestamped(okHook, HOOK_SECRET, now) },
    status: 401,
    code: "MISSING_TIMESTAMP",
  },
  {
    label: "hook: stale timestamp",
    method: "POST",
    path: "/hooks/alpha/hook",
    body: okHook,
    headers: {
      "x-herdctl-timestamp": String(now - 3600),
      "x-herdctl-signature": signTimestamped(okHook, HOOK_SECRET, now - 3600),
    },
    status: 401,
    code: "STALE_TIMESTAMP",
  },
  {
    label: "hook: prototype schedule name",
    method: "POST",
    path: "/hooks/alpha/__proto__",
    body: okHook,
    headers: sign(okHook),
    status: 404,
    code: "NOT_FOUND",
  },
  {
    label: "hook: unknown agent",
    method: "POST",
    path: "/hooks/nobody/hook",
    body: okHook,
    status: 404,
    code: "NOT_FOUND",
  },
  {
    label: "hook: not a webhook schedule",
    method: "POST",
    path: "/hooks/alpha/nightly",
    body: okHook,
    status: 404,
    code: "NOT_FOUND",
  },
  {
    label: "hook: traversal",
    method: "POST",
    path: "/hooks/..%2F..%2Fetc/hook",
    body: okHook,
    status: 404,
    code: "NOT_FOUND",
  },
  {
    label: "hook: no secret configured",
    method: "POST",
    path: "/hooks/alpha/unsigned",
    body: okHook,
    status: 503,
    code: "WEBHOOK_NO_SECRET",
  },
];

describe("malformed API requests and webhook payloads (real web server)", () => {
  it(`answers all ${CASES.length} with a JSON error and a code, and stays up`, async () => {
    expect(CASES.filter((c) => c.status >= 400).length).toBeGreaterThanOrEqual(30);
    const problems: string[] = [];
    for (const c of CASES) {
      const res = await fetch(origin + c.path, {
        method: c.method ?? "GET",
        headers: { origin, ...json, ...f.bearer, ...c.headers },
        body: c.body,
      });
      const text = await res.text();
      let body: { error?: { code?: unknown; message?: unknown }; [k: string]: unknown } | undefined;
      try {
        body = JSON.parse(text);
      } catch {}
      const wrong =
        res.status !== c.status
          ? `status ${res.status}, expected ${c.status}`
          : c.status >= 400 &&
              (typeof body?.error?.code !== "string" || typeof body.error.message !== "string")
            ? "no JSON error with code and message"
            : c.code && body?.error?.code !== c.code
              ? `code ${String(body?.error?.code)}, expected ${c.code}`
              : /\n\s+at /.test(text)
                ? "stack trace in the response"
                : undefined;
      if (wrong) problems.push(`${c.label}: ${wrong}: ${text.slice(0, 300)}`);
    }
    expect(problems).toEqual([]);
    const health = await fetch(`${origin}/api/health`);
    expect(health.status).toBe(200);
    // A trigger the server refused must not have started anything.
    expect(f.fleet.state.jobs.list({}).jobs).toEqual([]);
  });
});
