import { describe, expect, it } from "vitest";
import { dashboardFixture } from "../helpers/browser.js";

const dash = dashboardFixture({ memory: true });

describe("an agent's memory in headless Chromium (stand-in model)", () => {
  it("shows the notes as text, saves an edit as a new version (audited with the dashboard actor), and lists versions", async () => {
    const notes = "watch issue 41 <img src=x onerror=alert(1)>\n";
    dash.f.fleet.state.memory.save("alpha", { content: notes, source: "job", jobId: null });

    const page = await dash.browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(60_000);
    const problems: string[] = [];
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
    page.on("pageerror", (e) => problems.push(e.message));
    page.on("dialog", (d) => problems.push(`dialog: ${d.message()}`));
    await page.goto(dash.f.web.loginLink().url);
    await page.goto(`${dash.f.web.url}/agents/alpha`);
    const shown = page.getByTestId("memory-notes");
    await shown.waitFor();
    expect(await shown.textContent()).toBe(notes);
    expect(await page.locator("img[src=x]").count()).toBe(0);

    await page.getByTestId("memory-edit").click();
    await page.getByTestId("memory-draft").fill("watch issue 42\n");
    await page.getByTestId("memory-save").click();
    await page.getByTestId("memory-version-2").waitFor();
    expect(await page.getByTestId("memory-notes").textContent()).toBe("watch issue 42\n");
    expect(dash.f.fleet.state.memory.current("alpha")).toMatchObject({ version: 2, source: "edit" });
    const edit = dash.f.fleet.audit({ limit: 10 }).find((e) => e.action === "memory.edit");
    expect(edit).toMatchObject({ via: "dashboard", target: "alpha" });

    await page.getByTestId("memory-version-1").getByRole("button").click();
    expect(await page.getByTestId("memory-shown").textContent()).toBe(notes);

    // Over the agent's cap: refused with the reason, nothing stored.
    const tooBig = await page.evaluate(async () => {
      const res = await fetch("/api/agents/alpha/memory", {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ content: "z".repeat(600) }),
      });
      return { status: res.status, body: await res.json() };
    });
    expect(tooBig).toEqual({
      status: 413,
      body: {
        error: {
          code: "MEMORY_TOO_BIG",
          message:
            "the notes are 600 bytes; agent alpha keeps at most 512 (memory.max_bytes): shorten them or raise the cap",
        },
      },
    });
    const badBody = await page.evaluate(async () => {
      const res = await fetch("/api/agents/alpha/memory", {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ content: 5, extra: true }),
      });
      return res.status;
    });
    expect(badBody).toBe(400);
    expect(dash.f.fleet.state.memory.versions("alpha")).toHaveLength(2);
    expect(problems.filter((p) => !p.includes("413") && !p.includes("400"))).toEqual([]);
  });
});
