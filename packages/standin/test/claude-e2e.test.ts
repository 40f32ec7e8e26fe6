import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  errorReply,
  offlineResponder,
  type Standin,
  script,
  startStandin,
  textReply,
  writeFile,
} from "../src/index.js";
import { runClaude, tempDir } from "./helpers.js";

// The real claude binary against the stand-in: the point of the package.
let standin: Standin | undefined;
const cleanups: Array<() => void> = [];
afterEach(async () => {
  await standin?.close();
  standin = undefined;
  for (const c of cleanups.splice(0)) c();
});

function dirs() {
  const home = tempDir("home");
  const cwd = tempDir("cwd");
  cleanups.push(home.cleanup, cwd.cleanup);
  return { home: home.path, cwd: cwd.path };
}

describe("real claude against the stand-in", () => {
  it("ends with a result line carrying the scripted text; the prompt arrives byte-exact", async () => {
    standin = await startStandin({ responder: script([textReply("Scripted hello.", { chunks: 4 })]) });
    const { home, cwd } = dirs();
    const run = await runClaude({ baseUrl: standin.url, prompt: "Say  hello\n\tplease\n", cwd, home });
    expect(run.code).toBe(0);
    expect(run.result).toMatchObject({
      type: "result",
      subtype: "success",
      is_error: false,
      result: "Scripted hello.",
    });
    expect(run.lines[0]).toMatchObject({ type: "system", subtype: "init", model: "claude-sonnet-4-5" });
    // With CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1, claude 2.1.332 sends no side requests.
    expect(standin.requests.map((r) => `${r.method} ${r.path} ${r.class.kind}`)).toEqual([
      "POST /v1/messages?beta=true main",
    ]);
    const [req] = standin.mainRequests;
    expect(req!.lastUserText).toBe("Say  hello\n\tplease\n");
    expect(req!.model).toBe("claude-sonnet-4-5");
    expect(req!.stream).toBe(true);
    expect(req!.headers["x-api-key"]).toBe("[redacted]");
    expect(req!.tools.map((t) => t.name)).toContain("Write");
  });

  it("a scripted Write creates the file with exact content, then the final text", async () => {
    const content = "Hello, file!\nSecond line — ünïcode ✓\n";
    standin = await startStandin({
      responder: script([writeFile("hello.txt", content), textReply("Wrote hello.txt.")]),
    });
    const { home, cwd } = dirs();
    const run = await runClaude({ baseUrl: standin.url, prompt: "Create hello.txt", cwd, home });
    expect(run.result).toMatchObject({ subtype: "success", result: "Wrote hello.txt.", num_turns: 2 });
    expect(readFileSync(join(cwd, "hello.txt"), "utf8")).toBe(content);
    const second = standin.mainRequests[1]!;
    expect(second.toolResults).toHaveLength(1);
    expect(second.toolResults[0]!["tool_use_id"]).toBe("toolu_standin_000001");
  });

  it("claude retries a scripted 529 and the script continues", async () => {
    standin = await startStandin({ responder: script([errorReply(529), textReply("After the storm.")]) });
    const { home, cwd } = dirs();
    const run = await runClaude({ baseUrl: standin.url, prompt: "hi", cwd, home });
    expect(run.lines.some((l) => l["type"] === "system" && l["subtype"] === "api_retry")).toBe(true);
    expect(run.result).toMatchObject({ subtype: "success", result: "After the storm." });
    expect(standin.mainRequests.map((r) => r.turn?.kind)).toEqual(["error", "text"]);
  });

  it("offline directives drive a real run: write then text, and error fails the run at once", async () => {
    standin = await startStandin({ responder: offlineResponder });
    const { home, cwd } = dirs();
    const ok = await runClaude({
      baseUrl: standin.url,
      prompt: "Make notes\n@standin write notes.md # Notes\\n- one\n@standin text Notes written.",
      cwd,
      home,
    });
    expect(ok.result).toMatchObject({ subtype: "success", result: "Notes written." });
    expect(readFileSync(join(cwd, "notes.md"), "utf8")).toBe("# Notes\n- one");

    const failed = await runClaude({
      baseUrl: standin.url,
      prompt: "@standin error 529 Stand-in capacity gone",
      cwd,
      home,
    });
    expect(failed.code).toBe(1);
    expect(failed.result).toMatchObject({ is_error: true, api_error_status: 529 });
    expect(String(failed.result?.["result"])).toContain("Stand-in capacity gone");
    expect(existsSync(join(cwd, "notes.md"))).toBe(true);
  });

  it("a resumed session continues the script where it stopped", async () => {
    standin = await startStandin({
      responder: script([textReply("first answer"), textReply("second answer")]),
    });
    const { home, cwd } = dirs();
    const first = await runClaude({ baseUrl: standin.url, prompt: "one", cwd, home });
    const sessionId = String(first.result?.["session_id"]);
    const second = await runClaude({
      baseUrl: standin.url,
      prompt: "two",
      cwd,
      home,
      args: ["--resume", sessionId],
    });
    expect(second.result).toMatchObject({ result: "second answer", session_id: sessionId });
    expect(standin.mainRequests[1]!.assistantTurns).toBe(1);
    expect(standin.mainRequests[1]!.lastUserText).toBe("two");
  });
});
