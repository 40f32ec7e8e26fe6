import type { UsageReport } from "@herdctl/core/internal";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { dashboardFixture } from "../helpers/browser.js";
import { type SeededJob, seedUsage } from "../helpers/usage-seed.js";

const dash = dashboardFixture();
let seeded: SeededJob[];
beforeAll(() => {
  seeded = seedUsage(dash.f.stateDir);
});

/** A chart's table fallback as numbers: row label → one value per column ("" when empty). */
async function tableOf(
  page: Page,
  id: string,
): Promise<{ columns: string[]; rows: Map<string, (number | null)[]> }> {
  const table = page.getByTestId(`table-${id}`);
  // Built in the frame after its chart is drawn.
  await table.waitFor({ state: "attached" });
  const columns = await table.locator("thead th").allTextContents();
  const rows = new Map<string, (number | null)[]>();
  for (const row of await table.locator("tbody tr").all()) {
    const label = (await row.locator("th").textContent())!;
    const values = await row
      .locator("td")
      .evaluateAll((cells) => cells.map((c) => (c as HTMLElement).dataset.value ?? ""));
    rows.set(
      label,
      values.map((v) => (v === "" ? null : Number(v))),
    );
  }
  return { columns: columns.slice(1), rows };
}

/** Pixels a canvas has painted: more than zero once the chart has drawn its data. */
function paintedPixels(page: Page, id: string): Promise<number> {
  return page
    .getByTestId(`chart-${id}`)
    .locator("canvas")
    .evaluate((canvas: HTMLCanvasElement) => {
      const { data } = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height);
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted++;
      return painted;
    });
}

describe("the usage page in headless Chromium", () => {
  it("draws the four charts from the API's numbers, filters by agent, and fetches chart.js and the report ahead of a click", async () => {
    const page = await dash.browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(60_000);
    const problems: string[] = [];
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
    page.on("pageerror", (e) => problems.push(e.message));
    const scripts: string[] = [];
    page.on("request", (r) => r.resourceType() === "script" && scripts.push(new URL(r.url()).pathname));

    // What the browser asked for, in order: the chart chunk and the report.
    const order: string[] = [];
    page.on("request", (r) => {
      const path = new URL(r.url()).pathname;
      if (path.includes("/usage-") || path === "/api/usage/report")
        order.push(path.replace(/-[\w-]+\.js$/, ".js"));
    });

    // The report asked for while the dashboard is idle: the one the click shows.
    const answer = page.waitForResponse((r) => r.url().includes("/api/usage/report"));
    await page.goto(dash.f.web.loginLink().url);
    await page.getByTestId("agent-row-alpha").waitFor();
    // Once the fleet page is shown and the browser idle, the charting chunk and the report are
    // fetched ahead of a click on Usage.
    await expect
      .poll(() => [...order].sort(), { timeout: 30_000 })
      .toEqual(["/api/usage/report", "/assets/usage.js"]);
    const report = (await (await answer).json()) as UsageReport;

    // The click shows the page in its own task: the chunk loaded ahead, React.lazy does not wait
    // (it held the page back ~300 ms when it did).
    await page.evaluate(`document.addEventListener("click", () => setTimeout(() => {
      window.__shownByClick = document.querySelector("[data-testid=usage-page]") !== null;
    }), { capture: true, once: true })`);
    // While it is fresh, neither the pointer on Usage nor the click asks again.
    await page.getByTestId("nav-usage").hover();
    await page.getByTestId("nav-usage").click();
    await page.waitForURL(/\/usage$/);
    await page.getByTestId("chart-outcomes").locator("canvas[data-drawn=true]").waitFor();
    expect(await page.evaluate("window.__shownByClick")).toBe(true);
    expect(order.filter((o) => o === "/api/usage/report")).toHaveLength(1);
    expect(scripts.filter((s) => s.includes("usage-"))).toHaveLength(1);
    for (const id of ["spend", "per-job", "durations", "outcomes"]) {
      await page.getByTestId(`chart-${id}`).locator("canvas[data-drawn=true]").waitFor();
      expect(await paintedPixels(page, id), id).toBeGreaterThan(1000);
    }
    await page.screenshot({ path: "/tmp/herdctl-web-usage.png", fullPage: true });

    // The API's answer agrees with what the test wrote.
    expect(report.totals.jobs).toBe(seeded.length);
    const cost = (agent: string) =>
      seeded.filter((j) => j.agent === agent).reduce((n, j) => n + j.costUsd, 0);
    expect(report.agents.find((a) => a.agent === "alpha")!.costUsd).toBeCloseTo(cost("alpha"), 9);

    // Spend per day: one row a day, one column an agent, the API's dollars.
    const spend = await tableOf(page, "spend");
    expect(spend.columns).toEqual(report.agents.map((a) => a.agent));
    expect([...spend.rows.keys()]).toEqual(report.days.map((d) => d.day));
    for (const day of report.days)
      expect(spend.rows.get(day.day)).toEqual(spend.columns.map((agent) => day.costByAgent[agent] ?? 0));

    // Tokens and cost per job: averages of each bucket, gaps where a bucket has no job.
    const perJob = await tableOf(page, "per-job");
    expect(perJob.columns).toEqual(["input tokens", "output tokens", "cache tokens", "cost"]);
    const values = [...perJob.rows.values()];
    expect(values).toHaveLength(report.timeline.buckets.length);
    report.timeline.buckets.forEach((b, i) => {
      const want =
        b.jobs === 0
          ? [null, null, null, null]
          : [b.inputTokens, b.outputTokens, b.cacheTokens, b.costUsd].map((v) => v / b.jobs);
      for (const [k, v] of values[i]!.entries()) {
        if (want[k] === null) expect(v).toBeNull();
        else expect(v).toBeCloseTo(want[k]!, 9);
      }
    });

    // The legend is HTML (read by screen readers too): one button a plotted series, which hides it.
    const legend = page.getByTestId("chart-per-job").getByRole("button");
    expect(await legend.allTextContents()).toEqual(perJob.columns);
    const costLine = page.getByTestId("chart-per-job").getByRole("button", { name: "cost" });
    const painted = await paintedPixels(page, "per-job");
    await costLine.click();
    expect(await costLine.getAttribute("aria-pressed")).toBe("false");
    await expect.poll(() => paintedPixels(page, "per-job"), { timeout: 30_000 }).toBeLessThan(painted);
    await costLine.click();
    await expect.poll(() => paintedPixels(page, "per-job"), { timeout: 30_000 }).toBe(painted);

    // Durations: one row per bucket, the API's histogram per agent.
    const durations = await tableOf(page, "durations");
    const rows = [...durations.rows.values()];
    expect(rows).toHaveLength(report.durationEdgesMs.length + 1);
    for (const [k, a] of report.agents.entries()) expect(rows.map((r) => r[k])).toEqual(a.durations);

    // Outcomes: one row per agent.
    const outcomes = await tableOf(page, "outcomes");
    expect(outcomes.columns).toEqual(["completed", "failed", "timed out", "interrupted", "cancelled"]);
    for (const a of report.agents)
      expect(outcomes.rows.get(a.agent)).toEqual([
        a.outcomes.completed,
        a.outcomes.failed,
        a.outcomes.timed_out,
        a.outcomes.interrupted,
        a.outcomes.cancelled,
      ]);
    const failedBeta = seeded.filter((j) => j.agent === "beta" && j.status === "failed").length;
    expect(outcomes.rows.get("beta")![1]).toBe(failedBeta);

    // Screen readers get the four tables: in Chromium's accessibility tree, named by their
    // captions, with a cell per number (they are not laid out as tables, so this is checked here).
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Accessibility.enable");
    const { nodes } = (await cdp.send("Accessibility.getFullAXTree")) as {
      nodes: { ignored: boolean; role?: { value: string }; name?: { value: string } }[];
    };
    const shown = nodes.filter((n) => !n.ignored);
    const titles = await page.locator("figure.usage-chart h2").allTextContents();
    expect(shown.filter((n) => n.role?.value === "table").map((n) => n.name?.value)).toEqual(titles);
    const cells = [spend, perJob, durations, outcomes].reduce(
      (n, t) => n + t.rows.size * t.columns.length,
      0,
    );
    expect(shown.filter((n) => n.role?.value === "cell")).toHaveLength(cells);
    await cdp.detach();

    // The agent filter asks the API again and draws only that agent.
    const filtered = page.waitForResponse(
      (r) => r.url().includes("/api/usage/report") && r.url().includes("agent=beta"),
    );
    await page.getByTestId("usage-agent").selectOption("beta");
    await page.waitForURL(/\/usage\?agent=beta$/);
    const betaReport = (await (await filtered).json()) as UsageReport;
    await expect
      .poll(async () => [...(await tableOf(page, "outcomes")).rows.keys()], { timeout: 30_000 })
      .toEqual(["beta"]);
    expect(betaReport.totals.jobs).toBe(seeded.filter((j) => j.agent === "beta").length);
    // The address opens the same page on its own (a bookmark, a reload). The report is asked for
    // beside the session check and the chart chunk, once: the page takes that answer.
    const reports: string[] = [];
    page.on("request", (r) => r.url().includes("/api/usage/report") && reports.push(r.url()));
    await page.reload();
    await page.getByTestId("chart-outcomes").locator("canvas[data-drawn=true]").waitFor();
    expect([...(await tableOf(page, "outcomes")).rows.keys()]).toEqual(["beta"]);
    expect(reports).toEqual([expect.stringContaining("agent=beta")]);

    // The palette goes there too.
    await page.goto(`${dash.f.web.url}/jobs`);
    // The palette listens once the app is up.
    await page.getByTestId("connection").waitFor();
    await page.keyboard.press("Control+k");
    await page.getByTestId("palette").getByLabel("agent").fill("usage");
    await page.getByTestId("palette-page-usage").waitFor();
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/usage$/);
    await page.getByTestId("chart-spend").locator("canvas[data-drawn=true]").waitFor();

    expect(problems).toEqual([]);
  });

  it("a job that ends after the report was fetched ahead drops it: the click shows the new job (stand-in model)", async () => {
    const page = await dash.browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(60_000);
    const reports: UsageReport[] = [];
    page.on("response", (r) => {
      if (r.url().includes("/api/usage/report")) void r.json().then((b) => reports.push(b as UsageReport));
    });
    await page.goto(dash.f.web.loginLink().url);
    await page.getByTestId("agent-row-alpha").waitFor();
    await expect.poll(() => reports.length, { timeout: 30_000 }).toBe(1);
    const before = reports[0]!.totals.jobs;
    // The page hears of jobs from here on.
    await page.locator("[data-testid=connection][data-state=open]").waitFor();

    const job = await dash.f.fleet.wait(dash.f.fleet.trigger("alpha", { prompt: "hello" }).id);
    expect(job.status).toBe("completed");
    // The page heard of the job (alpha's row links it) before the pointer comes.
    await page.getByTestId("agent-row-alpha").locator(`a[href="/jobs/${job.id}"]`).first().waitFor();
    await page.getByTestId("nav-usage").hover();
    await expect.poll(() => reports.length, { timeout: 30_000 }).toBe(2);
    await page.getByTestId("nav-usage").click();
    await page.getByTestId("chart-outcomes").locator("canvas[data-drawn=true]").waitFor();
    expect(reports[1]!.totals.jobs).toBe(before + 1);
    const jobs = page.getByTestId("usage-totals").locator("div", { hasText: "jobs" }).locator("b");
    expect(await jobs.textContent()).toBe(reports[1]!.totals.jobs.toLocaleString("en-US"));
  });
});
