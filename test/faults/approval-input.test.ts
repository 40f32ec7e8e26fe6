import { script, textReply, writeFile } from "@herdctl/standin";
import { describe, expect, it } from "vitest";
import { createApi } from "../../packages/core/src/control/api.js";
import type { ApprovalRecord } from "../../packages/core/src/state/index.js";
import { fleetTestbed } from "../../packages/core/test/helpers/fleet-testbed.js";
import { until } from "../../packages/core/test/helpers/until.js";

/**
 * Hostile text around an approval (Anthropic faked by the stand-in, real claude): a tool call whose
 * input carries a secret and terminal escapes, ids and reasons with control characters, oversized
 * and unexpected bodies. Nothing raw reaches the record, the audit trail or an error message, and
 * the paused job still ends.
 */
const SECRET = "apr-secret-Qm4Zt8Lp2Wx6";
const ESC = "\u001b";
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;

describe("hostile input around approvals", () => {
  const bed = fleetTestbed();

  it("redacts and escapes the input, refuses bad ids and bodies, and cleans the reason", async () => {
    bed.standin.setResponder(script([writeFile("x.txt", `${ESC}[2J${SECRET}`), textReply("done")]));
    const fleet = await bed.start({
      worker: [
        "runtime: cli",
        "allowed_tools: [Write]",
        `env: { DEPLOY_TOKEN: ${SECRET} }`,
        'approvals: { tools: ["Write"] }',
        "",
      ].join("\n"),
    });
    const api = createApi(fleet, { actor: { via: "cli", who: "tester" } });
    const post = (path: string, body: string) =>
      api.request(path, { method: "POST", body, headers: { "content-type": "application/json" } });
    const job = fleet.trigger("worker", { prompt: "go" });
    await until(
      () =>
        fleet.listApprovals({ state: "pending" }).length === 1 || fleet.job(job.id)?.status === "completed",
      "a pending approval",
    );
    expect(fleet.listApprovals({ state: "pending" }), JSON.stringify(fleet.jobOutput(job.id))).toHaveLength(
      1,
    );
    const [request] = fleet.listApprovals({ state: "pending" }) as [ApprovalRecord];
    expect(request.input).not.toContain(SECRET);
    expect(request.input).not.toMatch(CONTROL);
    expect(request.input).toContain("\\u001b[2J");

    const badId = await post(`/api/approvals/${encodeURIComponent(`apr-${ESC}[2J`)}/approve`, "{}");
    expect(badId.status).toBe(404);
    const badIdText = await badId.text();
    expect(badIdText).toContain("FLEET_APPROVAL_NOT_FOUND");
    expect(badIdText).not.toContain(ESC);
    expect((await post("/api/approvals/../../jobs/approve", "{}")).status).toBe(404);

    const long = await post(
      `/api/approvals/${request.id}/approve`,
      JSON.stringify({ reason: "x".repeat(3000) }),
    );
    expect(long.status).toBe(400);
    const extra = await post(
      `/api/approvals/${request.id}/approve`,
      JSON.stringify({ reason: "ok", by: "root" }),
    );
    expect(extra.status).toBe(400);
    const notJson = await post(`/api/approvals/${request.id}/approve`, "{reason:");
    expect(notJson.status).toBe(400);
    expect(fleet.getApproval(request.id)?.state).toBe("pending");

    const denied = await post(
      `/api/approvals/${request.id}/deny`,
      JSON.stringify({ reason: `no${ESC}[31m\r\nFAKE LOG LINE\u2028` }),
    );
    expect(denied.status).toBe(200);
    const record = fleet.getApproval(request.id)!;
    expect(record).toMatchObject({ state: "denied", decidedBy: "tester", decidedVia: "cli" });
    expect(record.reason).toBe("no [31m FAKE LOG LINE");
    const audit = fleet.audit().find((e) => e.action === "approval.denied")!;
    expect(audit.detail).not.toMatch(CONTROL);
    expect(audit.detail).not.toContain(SECRET);
    expect((await fleet.wait(job.id)).status).toBe("completed");
  });
});
