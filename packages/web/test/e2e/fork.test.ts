import { describe, expect, it } from "vitest";
import { dashboardFixture } from "../helpers/browser.js";

const dash = dashboardFixture();

describe("forking from the dashboard's job page in headless Chromium", () => {
  it("the Fork button starts a job on a branch of the session and opens it", async () => {
    const { fleet, standin, web } = dash.f;
    const first = await fleet.wait(fleet.trigger("alpha", { prompt: "remember the word pelican" }).id);
    expect(first.status).toBe("completed");

    const page = await dash.browser.newPage();
    page.setDefaultTimeout(60_000);
    await page.goto(web.loginLink().url);
    await page.goto(`${web.url}/jobs/${first.id}`);
    await page.getByTestId("fork").click();
    await page.getByTestId("fork-prompt").fill("which word was it?");
    await page.getByTestId("fork-start").click();

    await page.waitForURL((url) => url.pathname.startsWith("/jobs/") && !url.pathname.endsWith(first.id));
    const forkId = decodeURIComponent(new URL(page.url()).pathname.slice("/jobs/".length));
    const forkedFrom = page.getByTestId("forked-from");
    await forkedFrom.waitFor();
    expect(await forkedFrom.getByRole("link", { name: first.id }).getAttribute("href")).toBe(
      `/jobs/${first.id}`,
    );

    const fork = await fleet.wait(forkId);
    expect(fork).toMatchObject({ status: "completed", forkedFrom: first.id, triggerType: "web" });
    expect(fork.sessionId).not.toBe(first.sessionId);
    const sent = JSON.stringify(standin.mainRequests.at(-1)?.messages);
    expect(sent).toContain("remember the word pelican");
    expect(sent).toContain("which word was it?");
    expect(fleet.state.jobs.require(first.id).sessionId).toBe(first.sessionId);
  });

  it("answers a fork of a job without a session with a clear 409", async () => {
    const { fleet, web, bearer } = dash.f;
    const job = fleet.state.jobs.create({
      agent: "beta",
      triggerType: "manual",
      prompt: "x",
      runtime: "sdk",
    });
    fleet.state.jobs.start(job.id);
    fleet.state.jobs.finish(job.id, { status: "failed", exitReason: "error", error: "boom" });
    const res = await fetch(`${web.url}/api/jobs/${job.id}/fork`, {
      method: "POST",
      headers: { ...bearer, "content-type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({
      error: {
        code: "SESSION_JOB_HAS_NO_SESSION",
        message: `job ${job.id} has no session to fork (it ended before claude started one); start a new job instead: herdctl trigger beta`,
      },
    });
  });
});
