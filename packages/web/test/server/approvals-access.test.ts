import type { ApprovalRecord } from "@herdctl/core/internal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Answer, send } from "../helpers/http.js";
import { startWebFleet, type WebFleet } from "../helpers/web-fleet.js";

let f: WebFleet;
let origin: string;

beforeAll(async () => {
  f = await startWebFleet();
  origin = f.web.url;
});
afterAll(() => f.close());

/** A request as the broker records it when a job's tool call asks; no model is needed to decide it. */
function pendingRequest(): ApprovalRecord {
  const job = f.fleet.state.jobs.create({
    agent: "alpha",
    triggerType: "manual",
    prompt: "x",
    runtime: "sdk",
  });
  const now = new Date();
  return f.fleet.state.approvals.create({
    jobId: job.id,
    agent: "alpha",
    tool: "Bash",
    input: '{"command":"rm -rf build"}',
    inputKey: `key-${job.id}`,
    rule: "Bash(rm:*)",
    requestedAt: now,
    expiresAt: new Date(now.getTime() + 3_600_000),
    onTimeout: "deny",
  });
}

const decide = (base: string, id: string, decision: string, headers: Record<string, string> = {}) =>
  send(base, `/api/approvals/${id}/${decision}`, {
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ reason: "looks fine" }),
  });

const errorCode = (answer: Answer) => JSON.parse(answer.body).error.code;

describe("deciding approvals through the dashboard's server", () => {
  it("refuses a visitor who is not logged in, and a page on another origin, and leaves the request pending", async () => {
    const request = pendingRequest();
    const list = await send(origin, "/api/approvals");
    expect(list.status).toBe(401);
    expect(errorCode(list)).toBe("UNAUTHORIZED");
    for (const decision of ["approve", "deny"]) {
      const anonymous = await decide(origin, request.id, decision);
      expect(anonymous.status).toBe(401);
      expect(errorCode(anonymous)).toBe("UNAUTHORIZED");
      // Even with the token: a browser page elsewhere may not ride on the person's credentials.
      const elsewhere = await decide(origin, request.id, decision, {
        origin: "http://evil.example",
        ...f.bearer,
      });
      expect(elsewhere.status).toBe(403);
      expect(errorCode(elsewhere)).toBe("FORBIDDEN_ORIGIN");
    }
    expect(f.fleet.getApproval(request.id)?.state).toBe("pending");
    expect(f.fleet.audit().filter((e) => e.target === request.id)).toEqual([]);
  });

  it("off loopback, needs a login; the decision names the dashboard session, and a second one is told who was first", async () => {
    const web = await f.startWeb({ host: "127.0.0.2" });
    try {
      const request = pendingRequest();
      const anonymous = await decide(web.url, request.id, "approve", { origin: web.url });
      expect(anonymous.status).toBe(401);
      expect(f.fleet.getApproval(request.id)?.state).toBe("pending");

      const login = await send(web.url, "/api/login", {
        headers: { origin: web.url },
        body: JSON.stringify({ token: f.token }),
      });
      expect(login.status).toBe(200);
      const header = login.headers["set-cookie"];
      const session = ((Array.isArray(header) ? header[0] : header) ?? "").split(";")[0]!;
      const approved = await decide(web.url, request.id, "approve", { origin: web.url, cookie: session });
      expect(approved.status).toBe(200);
      const record = (JSON.parse(approved.body) as { approval: ApprovalRecord }).approval;
      expect(record).toMatchObject({ state: "approved", decidedVia: "dashboard", reason: "looks fine" });
      expect(record.decidedBy).toMatch(/^session [0-9a-f]{8} from 127\.0\.0\.\d+$/);
      // The audit trail names the session by a hash, never by its cookie.
      const audit = f.fleet.audit().filter((e) => e.target === request.id);
      expect(audit.map((e) => [e.action, e.via, e.who])).toEqual([
        ["approval.approved", "dashboard", record.decidedBy],
      ]);
      expect(JSON.stringify(audit)).not.toContain(session.split("=")[1]);

      const late = await decide(web.url, request.id, "deny", { origin: web.url, cookie: session });
      expect(late.status).toBe(409);
      expect(JSON.parse(late.body).error).toEqual({
        code: "FLEET_APPROVAL_DECIDED",
        message: `Approval ${request.id} was already decided: Bash ${request.id} approved by ${record.decidedBy} via dashboard (looks fine).`,
      });
    } finally {
      await web.close();
    }
  });
});
