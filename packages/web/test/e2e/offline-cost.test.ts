import { describe, expect, it } from "vitest";
import { dashboardFixture } from "../helpers/browser.js";

const dash = dashboardFixture();

describe("the dashboard shows an offline job's cost as not billed", () => {
  it("on the job page and in the jobs table", async () => {
    const { jobs } = dash.f.fleet.state;
    const job = jobs.create({
      agent: "alpha",
      triggerType: "manual",
      prompt: "hi",
      runtime: "cli",
      offline: true,
    });
    jobs.start(job.id);
    jobs.finish(job.id, { status: "completed", exitReason: "success", numTurns: 1, outputTokens: 25 });

    const page = await dash.browser.newPage();
    page.setDefaultTimeout(60_000);
    await page.goto(dash.f.web.loginLink().url);
    await page.goto(`${dash.f.web.url}/jobs/${job.id}`);
    const facts = page.getByTestId("job-facts");
    await facts.waitFor();
    await expect.poll(() => facts.textContent()).toContain("Costoffline, not billed");

    await page.goto(`${dash.f.web.url}/jobs`);
    const row = page.getByTestId("jobs-table").locator("tbody tr", { hasText: job.id.slice(0, 14) });
    await expect.poll(() => row.textContent()).toContain("offline, not billed");
  });
});
