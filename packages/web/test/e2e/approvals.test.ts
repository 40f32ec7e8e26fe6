import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ApprovalRecord } from "@herdctl/core/internal";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { until } from "../../../core/test/helpers/until.js";
import { dashboardFixture } from "../helpers/browser.js";

// Real claude against the stand-in (Anthropic faked); `rm` asks a person, everything else in Bash runs.
const dash = dashboardFixture({ allowedTools: "[Bash]", approvals: '{ tools: ["Bash(rm:*)"] }' });

/** Live updates arrive within moments; the deadline only turns a hang into a readable failure. */
const SOON = { timeout: 60_000 };
const SESSION_ACTOR = /^session [0-9a-f]{8} from 127\.0\.0\.1$/;

function workspaceFile(name: string): string {
  const path = join(dash.f.dir, "workspace", name);
  writeFileSync(path, "keep me?\n");
  return path;
}

async function pendingFor(jobId: string): Promise<ApprovalRecord> {
  const find = () => dash.f.fleet.listApprovals({ state: "pending" }).find((a) => a.jobId === jobId);
  await until(() => find() !== undefined, "an approval request for the job");
  return find()!;
}

async function loggedInPage(): Promise<Page> {
  const page = await dash.browser.newPage();
  page.setDefaultTimeout(60_000);
  await page.goto(dash.f.web.loginLink().url);
  return page;
}

const badgeLabel = (page: Page) => page.getByTestId("approvals-badge").getAttribute("aria-label");

describe("approvals in the dashboard, in headless Chromium (real claude, Anthropic faked by the stand-in)", () => {
  it("counts a request in the nav badge live; approving it from the approvals view runs the call", async () => {
    const doomed = workspaceFile("doomed.txt");
    const page = await loggedInPage();
    await page.goto(`${dash.f.web.url}/jobs`);
    await expect.poll(() => badgeLabel(page), SOON).toBe("0 pending approvals");

    const job = dash.f.fleet.trigger("alpha", {
      prompt: "@standin bash rm doomed.txt\n@standin text removed",
    });
    // The page was loaded before the request existed: only the live socket can bring the 1.
    await expect.poll(() => badgeLabel(page), SOON).toBe("1 pending approval");
    const pending = await pendingFor(job.id);
    expect(existsSync(doomed)).toBe(true);

    await page.getByTestId("nav-approvals").click();
    const card = page.getByTestId("approvals-pending").getByTestId("approval");
    await card.waitFor();
    expect(await card.getAttribute("data-id")).toBe(pending.id);
    const text = await card.textContent();
    expect(text).toContain("alpha");
    expect(text).toContain("matched Bash(rm:*)");
    expect(text).toContain("then the call is denied");
    expect(await card.getByTestId("approval-input").textContent()).toContain('"command":"rm doomed.txt"');
    expect(await card.getByRole("link", { name: job.id }).getAttribute("href")).toBe(`/jobs/${job.id}`);

    await page.getByRole("button", { name: `Approve ${pending.id}` }).click();
    expect((await dash.f.fleet.wait(job.id)).status).toBe("completed");
    expect(existsSync(doomed)).toBe(false);
    await expect.poll(() => badgeLabel(page), SOON).toBe("0 pending approvals");
    const decided = page.getByTestId("approvals-decided").locator(`[data-id="${pending.id}"]`);
    await expect
      .poll(() => decided.getByTestId("approval-decision").textContent(), SOON)
      .toMatch(/^approved by session [0-9a-f]{8} from 127\.0\.0\.1 via dashboard · /);
    // The audit trail names the dashboard session that decided, never its cookie.
    const audit = dash.f.fleet
      .audit()
      .filter((e) => e.action === "approval.approved" && e.target === pending.id);
    expect(audit.map((e) => e.via)).toEqual(["dashboard"]);
    expect(audit[0]!.who).toMatch(SESSION_ACTOR);
    await page.close();
  });

  it("denies from the job page with a reason: claude is told the reason and the badge drops to 0", async () => {
    const kept = workspaceFile("kept.txt");
    const job = dash.f.fleet.trigger("alpha", {
      // Every reply takes 5 s to start: the decision outlives a silent model turn on each side.
      prompt: "@standin delay 5000\n@standin bash rm kept.txt\n@standin text could not",
    });
    const pending = await pendingFor(job.id);
    const page = await loggedInPage();
    await page.goto(`${dash.f.web.url}/jobs/${job.id}`);
    await expect
      .poll(() => page.getByTestId("job-facts").getAttribute("data-status"), SOON)
      .toBe("waiting_approval");
    const asking = page.getByTestId("job-approvals");
    expect(await asking.getByTestId("approval-input").textContent()).toContain("rm kept.txt");
    await expect.poll(() => badgeLabel(page), SOON).toBe("1 pending approval");

    await asking.getByLabel(`reason for the decision on ${pending.id} (optional)`).fill("keep that file");
    await asking.getByRole("button", { name: `Deny ${pending.id}` }).click();
    expect((await dash.f.fleet.wait(job.id)).status).toBe("completed");
    expect(existsSync(kept)).toBe(true);
    const decided = dash.f.fleet.getApproval(pending.id)!;
    expect(decided).toMatchObject({ state: "denied", decidedVia: "dashboard", reason: "keep that file" });
    // The stand-in's next request carries the refusal as the tool's result.
    const sent = dash.f.standin.mainRequests.map((r) => JSON.stringify(r.body)).join("\n");
    expect(sent).toContain(`${decided.decidedBy} refused this call: keep that file`);
    await expect.poll(() => badgeLabel(page), SOON).toBe("0 pending approvals");
    await expect.poll(() => asking.count(), SOON).toBe(0);
    await expect
      .poll(() => page.getByTestId("job-facts").getAttribute("data-status"), SOON)
      .toBe("completed");
    await page.close();
  });

  it("a decision made elsewhere removes the buttons live; a late click says who decided first", async () => {
    const third = workspaceFile("third.txt");
    const job = dash.f.fleet.trigger("alpha", { prompt: "@standin bash rm third.txt\n@standin text done" });
    const pending = await pendingFor(job.id);
    const following = await loggedInPage();
    // This tab's live socket is cut off from the server: it hears of no decision.
    const deaf = await dash.browser.newPage();
    deaf.setDefaultTimeout(60_000);
    await deaf.routeWebSocket(/\/ws$/, () => {});
    await deaf.goto(dash.f.web.loginLink().url);
    for (const page of [following, deaf]) {
      await page.goto(`${dash.f.web.url}/approvals`);
      await page.getByRole("button", { name: `Approve ${pending.id}` }).waitFor();
    }

    // As `herdctl approve` does through the control socket.
    dash.f.fleet.decideApproval(pending.id, {
      decision: "approve",
      by: "alice",
      via: "cli",
      reason: "from the terminal",
    });
    await expect
      .poll(() => following.getByRole("button", { name: `Approve ${pending.id}` }).count(), SOON)
      .toBe(0);
    const decided = following.getByTestId("approvals-decided").locator(`[data-id="${pending.id}"]`);
    expect(await decided.getByTestId("approval-decision").textContent()).toMatch(
      /^approved by alice via cli: “from the terminal” · /,
    );

    await deaf.getByRole("button", { name: `Deny ${pending.id}` }).click();
    const late = deaf.getByRole("alert");
    await late.waitFor();
    expect(await late.textContent()).toBe(
      `Your deny came too late. Approval ${pending.id} was already decided: Bash ${pending.id} approved by alice via cli (from the terminal).`,
    );
    await expect.poll(() => deaf.getByRole("button", { name: `Deny ${pending.id}` }).count(), SOON).toBe(0);
    expect(dash.f.fleet.getApproval(pending.id)).toMatchObject({ state: "approved", decidedBy: "alice" });

    expect((await dash.f.fleet.wait(job.id)).status).toBe("completed");
    expect(existsSync(third)).toBe(false);
    await following.close();
    await deaf.close();
  });

  it("shows an agent's input and a person's reason as text, never as markup", async () => {
    // A request as the broker stores it, already decided, so it never counts as pending.
    const job = dash.f.fleet.state.jobs.create({
      agent: "beta",
      triggerType: "manual",
      prompt: "x",
      runtime: "sdk",
    });
    const now = new Date();
    const request = dash.f.fleet.state.approvals.create({
      jobId: job.id,
      agent: "beta",
      tool: "Write",
      input: '{"file_path":"<img src=x onerror=alert(1)>","content":"<script>alert(2)</script>"}',
      inputKey: `key-${job.id}`,
      rule: null,
      requestedAt: now,
      expiresAt: new Date(now.getTime() + 60_000),
      onTimeout: "deny",
    });
    dash.f.fleet.state.approvals.decide(request.id, {
      state: "denied",
      by: "<b>mallory</b>",
      via: "cli",
      reason: "<img src=y onerror=alert(3)>",
    });
    const page = await loggedInPage();
    await page.goto(`${dash.f.web.url}/approvals`);
    const card = page.locator(`[data-id="${request.id}"]`);
    expect(await card.getByTestId("approval-input").textContent()).toBe(request.input);
    expect(await card.getByTestId("approval-decision").textContent()).toMatch(
      /^denied by <b>mallory<\/b> via cli: “<img src=y onerror=alert\(3\)>” · /,
    );
    expect(await page.locator("img, script:not([src]), b:text('mallory')").count()).toBe(0);
    await page.close();
  });
});
