import { describe, expect, it } from "vitest";
import { dashboardFixture } from "../helpers/browser.js";

const dash = dashboardFixture();

describe("the dashboard in headless Chromium", () => {
  it("shows the fleet, triggers a job whose output streams in, and cancels another", async () => {
    const page = await dash.browser.newPage({ viewport: { width: 1280, height: 800 } });
    // Waits end when the page gets there; the long deadline is for a busy machine starting claude.
    page.setDefaultTimeout(60_000);
    const problems: string[] = [];
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
    page.on("pageerror", (e) => problems.push(e.message));

    // Without a session the dashboard asks for the token; the one-time link logs the browser in.
    await page.goto(dash.f.web.url);
    await page.getByLabel("Token").waitFor();
    await page.goto(dash.f.web.loginLink().url);
    expect(page.url()).toBe(`${dash.f.web.url}/`);
    await page.getByTestId("agent-row-alpha").waitFor();
    await expect
      .poll(() => page.getByTestId("connection").getAttribute("data-state"), { timeout: 30_000 })
      .toBe("open");
    expect(await page.getByTestId("agents-table").locator("tbody tr").count()).toBe(2);
    await page.screenshot({ path: "/tmp/herdctl-web-dashboard.png", fullPage: true });

    // Trigger a job with a prompt from the agent page; the stand-in runs a tool, then answers.
    await page.getByTestId("agent-row-alpha").getByRole("link", { name: "alpha" }).click();
    await page
      .getByTestId("prompt")
      .fill(
        "Check the workspace.\n@standin delay 300\n@standin bash echo streamed-from-tool\n@standin text Done: **all good** <script>alert(1)</script>",
      );
    await page.getByTestId("trigger").click();
    await page.waitForURL(/\/jobs\/[^/]+$/);
    const tool = page.getByTestId("tool-call").first();
    await tool.waitFor();
    await page
      .getByTestId("job-facts")
      .and(page.locator('[data-status="completed"]'))
      .waitFor({ timeout: 60_000 });
    const text = page.getByTestId("assistant-text").last();
    await expect.poll(() => text.innerHTML(), { timeout: 30_000 }).toContain("<strong>all good</strong>");
    // Raw HTML from the model is shown as text, never as markup.
    expect(await text.innerHTML()).toContain("&lt;script&gt;");
    expect(await page.locator(".output script").count()).toBe(0);
    await tool.locator("summary").click();
    await expect.poll(() => tool.textContent(), { timeout: 30_000 }).toContain("streamed-from-tool");
    expect(await page.getByTestId("turns").textContent()).not.toBe("—");
    await page.screenshot({ path: "/tmp/herdctl-web-job.png", fullPage: true });

    // A job that hangs until cancelled.
    await page.goto(`${dash.f.web.url}/agents/beta`);
    await page.getByTestId("prompt").fill("Wait forever.\n@standin hang");
    await page.getByTestId("trigger").click();
    await page.waitForURL(/\/jobs\/[^/]+$/);
    const hungId = page.url().split("/").pop()!;
    await page.getByTestId("job-facts").and(page.locator('[data-status="running"]')).waitFor();
    await page.getByTestId("cancel").click();
    await page.getByTestId("job-facts").and(page.locator('[data-status="cancelled"]')).waitFor();
    expect(dash.f.fleet.state.jobs.require(hungId).status).toBe("cancelled");

    // The jobs list pages through the server, newest first.
    await page.goto(`${dash.f.web.url}/jobs`);
    await page.getByTestId("jobs-table").waitFor();
    expect(await page.getByTestId("jobs-table").locator("tbody tr").first().textContent()).toContain(hungId);

    expect(problems).toEqual([]);
  });
});
