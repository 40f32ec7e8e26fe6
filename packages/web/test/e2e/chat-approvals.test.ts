import { appendFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { bash, script, textReply } from "@herdctl/standin";
import { describe, expect, it } from "vitest";
import { dashboardFixture } from "../helpers/browser.js";

const dash = dashboardFixture({ allowedTools: "[Bash]" });

describe("a chat turn's approval in the dashboard chat, headless Chromium (Anthropic faked by the stand-in, real claude)", () => {
  it("shows the request inline; a message meanwhile is answered with it; Approve runs the call and the answer arrives", async () => {
    const { fleet, standin, dir, web } = dash.f;
    appendFileSync(join(dir, "agents", "alpha.yaml"), 'approvals: { tools: ["Bash(touch:*)"] }\n');
    await fleet.reload();
    standin.setResponder(script([bash("touch from-web.txt"), textReply("touched from the web")]));
    const chat = fleet.createChat("alpha", { surface: "web" });
    const page = await dash.browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(60_000);
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(e.message));
    await page.goto(web.loginLink().url);
    await page.goto(`${web.url}/chats/${chat.id}`);
    await page.getByTestId("connection").and(page.locator("[data-state=open]")).waitFor();

    await page.getByTestId("chat-input").fill("touch the file");
    await page.keyboard.press("Enter");
    const request = page.getByTestId("chat-approval");
    await request.waitFor();
    const [pending] = fleet.listApprovals({ state: "pending" });
    expect(await request.getAttribute("data-approval-id")).toBe(pending!.id);
    expect(await request.textContent()).toContain("touch from-web.txt");

    await page.getByTestId("chat-input").fill("still there?");
    await page.keyboard.press("Enter");
    await page
      .getByRole("alert")
      .filter({ hasText: `waiting for approval ${pending!.id}` })
      .waitFor();

    await page.getByTestId("chat-approval-reason").fill("looks fine");
    await page.getByTestId("chat-approve").click();
    await page.getByTestId("chat-agent").filter({ hasText: "touched from the web" }).waitFor();
    await request.waitFor({ state: "detached" });
    expect(existsSync(join(dir, "workspace", "from-web.txt"))).toBe(true);
    expect(fleet.getApproval(pending!.id)).toMatchObject({
      state: "approved",
      decidedVia: "dashboard",
      reason: "looks fine",
    });
    expect(problems).toEqual([]);
    await page.close();
  }, 180_000);
});
