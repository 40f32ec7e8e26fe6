import { describe, expect, it } from "vitest";
import { dashboardFixture } from "../helpers/browser.js";

const dash = dashboardFixture();

describe("the dashboard's job page in headless Chromium", () => {
  it("shows refused tool calls of a completed job, and a retry's attempt and first job", async () => {
    // The test agents set permission_mode: default, so headless claude refuses the Write.
    const job = await dash.f.fleet.wait(
      dash.f.fleet.trigger("alpha", { prompt: "@standin write notes.txt hello\n@standin text gave up" }).id,
    );
    expect(job.status).toBe("completed");
    const retry = dash.f.fleet.state.jobs.create({
      agent: "alpha",
      triggerType: "manual",
      prompt: "again",
      runtime: "sdk",
      attempt: 2,
      retryOf: job.id,
    });

    const page = await dash.browser.newPage();
    page.setDefaultTimeout(60_000);
    await page.goto(dash.f.web.loginLink().url);
    await page.goto(`${dash.f.web.url}/jobs/${job.id}`);
    const refused = page.getByTestId("tool-failures");
    await refused.waitFor();
    expect(await refused.textContent()).toBe(
      `1 tool call was refused (the status is claude's own):Write ${dash.f.dir}/workspace/notes.txt (denied)`,
    );

    await page.goto(`${dash.f.web.url}/jobs/${retry.id}`);
    const facts = page.getByTestId("job-facts");
    await facts.waitFor();
    await expect.poll(() => facts.textContent()).toContain("manual · attempt 2");
    expect(await facts.getByRole("link", { name: job.id }).getAttribute("href")).toBe(`/jobs/${job.id}`);
  });
  it("shows the metadata the agent wrote, as text, never as markup", async () => {
    const job = await dash.f.fleet.wait(dash.f.fleet.trigger("beta", { prompt: "@standin text checked" }).id);
    // The record as the executor stores it after reading the agent's metadata file.
    dash.f.fleet.state.jobs.update(job.id, {
      metadata: { shouldNotify: true, lowestPrice: 159.99, note: "<img src=x onerror=alert(1)>" },
    });
    const page = await dash.browser.newPage();
    page.setDefaultTimeout(60_000);
    await page.goto(dash.f.web.loginLink().url);
    await page.goto(`${dash.f.web.url}/jobs/${job.id}`);
    const metadata = page.getByTestId("job-metadata");
    await metadata.waitFor();
    const text = await metadata.locator("pre").textContent();
    expect(JSON.parse(text ?? "")).toEqual({
      shouldNotify: true,
      lowestPrice: 159.99,
      note: "<img src=x onerror=alert(1)>",
    });
    expect(await page.locator("img").count()).toBe(0);
    await page.close();
  });
  it("shows what a proxy-only job reached through the egress proxy, refusals first", async () => {
    const job = await dash.f.fleet.wait(dash.f.fleet.trigger("beta", { prompt: "@standin text reached" }).id);
    // The record as the executor stores it from the proxy's egress log.
    dash.f.fleet.state.jobs.update(job.id, {
      egress: [
        { host: "github.com", port: 443, allowed: true, connections: 2, bytesUp: 2048, bytesDown: 3_500_000 },
        {
          host: "evil.test",
          port: 443,
          allowed: false,
          connections: 1,
          bytesUp: 0,
          bytesDown: 0,
          reason: "not in docker.egress.allow",
        },
      ],
    });
    const page = await dash.browser.newPage();
    page.setDefaultTimeout(60_000);
    await page.goto(dash.f.web.loginLink().url);
    await page.goto(`${dash.f.web.url}/jobs/${job.id}`);
    const egress = page.getByTestId("job-egress");
    await egress.waitFor();
    const rows = await egress.locator("tbody tr").allTextContents();
    expect(rows).toEqual(["evil.test443refused10 B0 B", "github.com443allowed22.0 KiB3.3 MiB"]);
    await page.close();
  });
});
