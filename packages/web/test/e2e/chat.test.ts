import { offlineResponder, type RecordedRequest, type Responder, textReply } from "@herdctl/standin";
import { describe, expect, it } from "vitest";
import { dashboardFixture } from "../helpers/browser.js";

// Write makes a file to open, allowed without asking.
const dash = dashboardFixture({ allowedTools: "[Write]" });

const REMEMBER = /remember the word (\w+)/;

/** Every human text the request carries, oldest first: what the session's history holds. */
function humanTexts(req: RecordedRequest): string[] {
  return req.messages
    .filter((m) => m.role === "user")
    .flatMap((m) => (typeof m.content === "string" ? [m.content] : m.content.map((b) => b.text ?? "")));
}

/** While held, the reply to a tool result waits: a long silent model turn that the test ends. */
let hold: Promise<void> = Promise.resolve();
let release: () => void = () => {};
function holdReplies(): void {
  hold = new Promise((resolve) => (release = resolve));
}

/**
 * The stand-in answers "which word?" from the conversation it is sent, so the second turn only
 * gets it right when the chat resumed its session; once a tool result comes back it holds its
 * reply (a long silent model turn) until the test releases it; anything else follows @standin
 * directives.
 */
const chatResponder: Responder = async (req, ctx) => {
  const prompt = req.lastUserText ?? "";
  const word = REMEMBER.exec(prompt)?.[1];
  if (word) return textReply(`Noted: ${word}.`);
  if (prompt.includes("Which word")) {
    const earlier = humanTexts(req)
      .map((t) => REMEMBER.exec(t)?.[1])
      .find(Boolean);
    return textReply(earlier ? `The word was ${earlier}.` : "You never told me a word.");
  }
  if (req.toolResults.length > 0) await hold;
  return offlineResponder(req, ctx);
};

describe("the dashboard chat in headless Chromium (Anthropic faked by the stand-in)", () => {
  it("holds a conversation: palette, dependent turns, a running tool, a queued message, a file, rename, reload, delete", async () => {
    dash.f.standin.setResponder(chatResponder);
    const page = await dash.browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(60_000);
    const problems: string[] = [];
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
    page.on("pageerror", (e) => problems.push(e.message));
    await page.goto(dash.f.web.loginLink().url);

    // The command palette starts a chat with any agent.
    await page.goto(`${dash.f.web.url}/chats`);
    await page.getByTestId("connection").and(page.locator("[data-state=open]")).waitFor();
    await page.keyboard.press("Control+k");
    await page.getByTestId("palette").waitFor();
    await page.getByLabel("agent").fill("alp");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/chats\/new\?agent=alpha$/);

    const input = page.getByTestId("chat-input");
    const agentSaid = page.getByTestId("chat-agent");
    await input.fill("Please remember the word pelican.");
    await input.press("Enter");
    await page.waitForURL(/\/chats\/c-[^/]+$/);
    const chatId = decodeURIComponent(new URL(page.url()).pathname.split("/").pop()!);
    await agentSaid.filter({ hasText: "Noted: pelican." }).waitFor();

    await input.fill("Which word did I ask you to remember?");
    await input.press("Enter");
    await agentSaid.filter({ hasText: "The word was pelican." }).waitFor();

    // The tool call shows while the turn runs: the model's reply to its result is held.
    holdReplies();
    await input.fill(
      "Take notes.\n@standin write notes.md # Notes\\nfrom the chat\n@standin text Wrote notes.md.",
    );
    await input.press("Enter");
    const tool = page.getByTestId("tool-call").filter({ hasText: "Write" });
    await tool.filter({ hasText: "notes.md" }).waitFor();
    await page.getByTestId("chat-running").waitFor();
    expect(await page.getByTestId("chat").getAttribute("data-busy")).toBe("yes");
    expect(await agentSaid.filter({ hasText: "Wrote notes.md." }).count()).toBe(0);
    // Sent while the turn runs, a message waits behind it (the default) and is answered after.
    await input.fill("Also remember the word heron.");
    await input.press("Enter");
    await page.getByTestId("chat-user").filter({ hasText: "heron" }).waitFor();
    expect(await agentSaid.filter({ hasText: "Noted: heron." }).count()).toBe(0);
    release();
    await agentSaid.filter({ hasText: "Noted: heron." }).waitFor();
    await page.getByTestId("chat").and(page.locator("[data-busy=no]")).waitFor();
    await expect.poll(() => tool.first().textContent()).toContain("done");

    // Each turn ends with its cost; the file the agent wrote opens read-only.
    await expect.poll(() => page.getByTestId("turn-end").count()).toBe(4);
    for (const cost of await page.getByTestId("turn-cost").allTextContents())
      expect(cost).toMatch(/^\$\d+\.\d{4}$/);
    await page.getByTestId("chat-file").filter({ hasText: "notes.md" }).click();
    const viewer = page.getByTestId("file-viewer");
    expect(await viewer.getByTestId("file-content").textContent()).toBe("# Notes\nfrom the chat");
    await viewer.getByRole("button", { name: "Close" }).click();
    await viewer.waitFor({ state: "detached" });

    await page.getByTestId("chat-rename").click();
    await page.getByTestId("chat-title-input").fill("Bird words");
    await page.getByTestId("chat-title-save").click();
    await page.getByTestId("chat-title").filter({ hasText: "Bird words" }).waitFor();
    expect(dash.f.fleet.chat(chatId).title).toBe("Bird words");

    // A reload restores the whole conversation from the server.
    await page.reload();
    await page.getByTestId("chat-title").filter({ hasText: "Bird words" }).waitFor();
    await expect.poll(() => page.getByTestId("chat-user").count()).toBe(4);
    // Each answer under its question, the queued message's too.
    const thread = await page.locator("[data-testid=chat-user], [data-testid=chat-agent]").allTextContents();
    const at = (start: string) => thread.findIndex((t) => t.startsWith(start));
    const order = [
      "Please remember",
      "Noted: pelican.",
      "Which word",
      "The word was pelican.",
      "Take notes.",
    ];
    order.push("Write", "Wrote notes.md.", "Also remember the word heron.", "Noted: heron.");
    expect(order.map(at)).toEqual([...order.map(at)].sort((a, b) => a - b));
    expect(order.map(at)).not.toContain(-1);
    await tool.first().waitFor();

    // The agent's page lists it and opens it in its chat panel; the list gives the latest message.
    await page.goto(`${dash.f.web.url}/agents/alpha`);
    const row = page.getByTestId(`chat-row-${chatId}`);
    await row.waitFor();
    expect(await row.textContent()).toContain("Bird words");
    await row.getByRole("link", { name: "Bird words" }).click();
    await page.waitForURL(`${dash.f.web.url}/agents/alpha?chat=${chatId}`);
    await page
      .getByTestId("agent-chat")
      .getByTestId("chat-title")
      .filter({ hasText: "Bird words" })
      .waitFor();

    await page.getByTestId("chat-delete").click();
    await page.getByTestId("chat-delete-confirm").click();
    await row.waitFor({ state: "detached" });
    expect(dash.f.fleet.chats({ agent: "alpha" })).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });
});
