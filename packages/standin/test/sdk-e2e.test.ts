import { readFileSync } from "node:fs";
import { join } from "node:path";
import { query, type SDKMessage } from "@anthropic-ai/claude-agent-sdk";
import { afterEach, describe, expect, it } from "vitest";
import { type Standin, script, startStandin, textReply, writeFile } from "../src/index.js";
import { CLAUDE_BIN, tempDir } from "./helpers.js";

let standin: Standin | undefined;
const cleanups: Array<() => void> = [];
afterEach(async () => {
  await standin?.close();
  standin = undefined;
  for (const c of cleanups.splice(0)) c();
});

async function runQuery(pathToClaudeCodeExecutable: string | undefined) {
  standin = await startStandin({
    responder: script([writeFile("sdk.txt", "written via the SDK\n"), textReply("SDK run done.")]),
  });
  const home = tempDir("home");
  const cwd = tempDir("cwd");
  cleanups.push(home.cleanup, cwd.cleanup);
  const messages: SDKMessage[] = [];
  for await (const m of query({
    prompt: "Write sdk.txt",
    options: {
      cwd: cwd.path,
      model: "claude-sonnet-4-5",
      permissionMode: "acceptEdits",
      ...(pathToClaudeCodeExecutable ? { pathToClaudeCodeExecutable } : {}),
      // env replaces the child's environment entirely: nothing from this process leaks in.
      env: {
        PATH: process.env["PATH"],
        HOME: home.path,
        ANTHROPIC_BASE_URL: standin.url,
        ANTHROPIC_API_KEY: "sk-test",
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      },
    },
  })) {
    messages.push(m);
  }
  return { messages, cwd: cwd.path };
}

describe("Agent SDK query() against the stand-in", () => {
  it.each([
    ["node_modules/.bin/claude", CLAUDE_BIN],
    ["the SDK's bundled binary", undefined],
  ])("produces a result message using %s", async (_label, bin) => {
    const { messages, cwd } = await runQuery(bin);
    const result = messages.find((m) => m.type === "result");
    expect(result).toMatchObject({
      type: "result",
      subtype: "success",
      is_error: false,
      result: "SDK run done.",
    });
    expect(readFileSync(join(cwd, "sdk.txt"), "utf8")).toBe("written via the SDK\n");
    expect(standin!.mainRequests.map((r) => r.lastUserText)).toEqual(["Write sdk.txt", "Write sdk.txt"]);
    expect(standin!.mainRequests[0]!.headers["user-agent"]).toBe(
      "claude-cli/2.1.332 (external, sdk-ts, agent-sdk/0.3.332)",
    );
    expect(standin!.requests.every((r) => r.class.kind === "main")).toBe(true);
  });
});
