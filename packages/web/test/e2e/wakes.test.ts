import { describe, expect, it } from "vitest";
import { dashboardFixture } from "../helpers/browser.js";

const dash = dashboardFixture();

describe("an agent's wakes in headless Chromium (stand-in model)", () => {
  it("are listed on the agent's page, agent-written prompt shown as text, and cancelled there", async () => {
    const prompt = "look again <img src=x onerror=alert(1)>";
    const job = dash.f.fleet.trigger("alpha", { prompt: `start\n@standin wakeup 3600 ${prompt}` });
    expect((await dash.f.fleet.wait(job.id)).status).toBe("completed");
    const [wake] = dash.f.fleet.listWakes({ agent: "alpha" });
    expect(wake?.prompt).toBe(prompt);

    const page = await dash.browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(60_000);
    const problems: string[] = [];
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
    page.on("pageerror", (e) => problems.push(e.message));
    page.on("dialog", (d) => problems.push(`dialog: ${d.message()}`));
    await page.goto(dash.f.web.loginLink().url);
    const listed = await page.evaluate(async () => (await fetch("/api/wakes?agent=alpha")).json());
    expect(listed).toMatchObject({ wakes: [{ id: wake!.id, prompt }] });

    await page.goto(`${dash.f.web.url}/agents/alpha`);
    const row = page.getByTestId(`wake-${wake!.id}`);
    await row.waitFor();
    expect(await row.textContent()).toContain(prompt);
    expect(await page.locator("img[src=x]").count()).toBe(0);
    await row.getByRole("button", { name: "cancel" }).click();
    await row.waitFor({ state: "detached" });
    expect(dash.f.fleet.state.wakes.require(wake!.id).status).toBe("cancelled");
    expect(problems).toEqual([]);
  });
});
