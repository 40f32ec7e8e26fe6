import { timestampedHeaders } from "@herdctl/core/internal";
import { describe, expect, it } from "vitest";
import { dashboardFixture } from "../helpers/browser.js";
import { HOOK_SECRET } from "../helpers/web-fleet.js";

const dash = dashboardFixture();

describe("refused webhook calls in headless Chromium", () => {
  it("are listed on the agent's page", async () => {
    const body = JSON.stringify({ note: "<img src=x onerror=alert(1)>" });
    const headers = { "content-type": "application/json", ...timestampedHeaders(body, HOOK_SECRET) };
    const send = () => fetch(`${dash.f.web.url}/hooks/alpha/hook`, { method: "POST", headers, body });
    const first = await send();
    expect(first.status).toBe(202);
    expect((await send()).status).toBe(409);
    const stale = await fetch(`${dash.f.web.url}/hooks/alpha/hook`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-herdctl-timestamp": "1000000000",
        "x-herdctl-signature": "sha256=00",
      },
      body,
    });
    expect(stale.status).toBe(401);
    await dash.f.fleet.wait(((await first.json()) as { jobId: string }).jobId);

    const page = await dash.browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(60_000);
    const problems: string[] = [];
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
    page.on("pageerror", (e) => problems.push(e.message));
    await page.goto(dash.f.web.loginLink().url);
    await page.goto(`${dash.f.web.url}/agents/alpha`);
    const table = page.getByTestId("refused-webhooks");
    await table.waitFor();
    const rows = table.locator("tbody tr");
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(0).textContent()).toContain("401 BAD_SIGNATURE");
    expect(await rows.nth(1).textContent()).toContain("409 REPLAYED");
    expect(await rows.nth(1).textContent()).toContain("this signed request was already accepted");
    await page.screenshot({ path: "/tmp/herdctl-web-refused-webhooks.png", fullPage: true });
    expect(problems).toEqual([]);
  });
});
