import { describe, expect, it } from "vitest";
import { buildCliArgs } from "../../../src/runner/runtime/cli-args.js";
import { buildSdkOptions } from "../../../src/runner/runtime/sdk-options.js";
import { tempDir, writeFleet } from "../../helpers/fleet.js";

const FULL_AGENT = `model: claude-opus-4-1
max_turns: 12
max_budget_usd: 2.5
permission_mode: acceptEdits
system_prompt: "-You are terse"
tools: [Read, Write, Bash]
allowed_tools: ["Bash(git log:*)", Read]
denied_tools: [WebFetch]
setting_sources: [project, local]
mcp_servers:
  files:
    command: npx
    args: [-y, some-mcp-server]
    env: { ROOT: /data }
  remote:
    type: http
    url: https://mcp.example.test/mcp
    headers: { Authorization: "Bearer abc" }
`;

async function agentFrom(yaml: string) {
  const tmp = tempDir();
  try {
    return (await writeFleet(tmp.dir, yaml)).agent;
  } finally {
    tmp.cleanup();
  }
}

describe("claude argv from an agent", () => {
  it("maps every supported field to its flag, one argv element each", async () => {
    const agent = await agentFrom(FULL_AGENT);
    expect(buildCliArgs(agent, { sessionId: "11111111-1111-4111-8111-111111111111" })).toEqual([
      "-p",
      "--output-format",
      "stream-json",
      "--verbose",
      "--session-id=11111111-1111-4111-8111-111111111111",
      "--model=claude-opus-4-1",
      "--max-turns=12",
      "--max-budget-usd=2.5",
      "--permission-mode=acceptEdits",
      "--system-prompt=-You are terse",
      "--tools=Read,Write,Bash",
      "--allowedTools=Bash(git log:*),Read",
      "--disallowedTools=WebFetch",
      "--mcp-config",
      JSON.stringify({
        mcpServers: {
          files: { command: "npx", args: ["-y", "some-mcp-server"], env: { ROOT: "/data" } },
          remote: {
            type: "http",
            url: "https://mcp.example.test/mcp",
            headers: { Authorization: "Bearer abc" },
          },
        },
      }),
      "--setting-sources=project,local",
    ]);
  });

  it("resumes, and forks into a minted id", async () => {
    const agent = await agentFrom("");
    const base = "22222222-2222-4222-8222-222222222222";
    const fork = "33333333-3333-4333-8333-333333333333";
    expect(buildCliArgs(agent, { resume: base })).toEqual([
      "-p",
      "--output-format",
      "stream-json",
      "--verbose",
      `--resume=${base}`,
      "--permission-mode=default",
    ]);
    expect(buildCliArgs(agent, { resume: base, fork: true, sessionId: fork }).slice(4)).toEqual([
      `--resume=${base}`,
      "--fork-session",
      `--session-id=${fork}`,
      "--permission-mode=default",
    ]);
  });

  it("passes bypassPermissions with the flag claude requires for it", async () => {
    const agent = await agentFrom("permission_mode: bypassPermissions\n");
    expect(buildCliArgs(agent, {}).slice(4)).toEqual([
      "--permission-mode=bypassPermissions",
      "--allow-dangerously-skip-permissions",
    ]);
  });

  it("an empty tools list disables every built-in tool", async () => {
    const agent = await agentFrom("tools: []\n");
    expect(buildCliArgs(agent, {}).slice(4)).toEqual(["--permission-mode=default", "--tools="]);
  });
});

describe("Agent SDK options from an agent", () => {
  it("maps the same fields to the SDK's option names", async () => {
    const agent = await agentFrom(FULL_AGENT);
    expect(buildSdkOptions(agent, { sessionId: "11111111-1111-4111-8111-111111111111" }, "/w")).toEqual({
      cwd: "/w",
      sessionId: "11111111-1111-4111-8111-111111111111",
      model: "claude-opus-4-1",
      maxTurns: 12,
      maxBudgetUsd: 2.5,
      permissionMode: "acceptEdits",
      systemPrompt: "-You are terse",
      tools: ["Read", "Write", "Bash"],
      allowedTools: ["Bash(git log:*)", "Read"],
      disallowedTools: ["WebFetch"],
      mcpServers: {
        files: { command: "npx", args: ["-y", "some-mcp-server"], env: { ROOT: "/data" } },
        remote: {
          type: "http",
          url: "https://mcp.example.test/mcp",
          headers: { Authorization: "Bearer abc" },
        },
      },
      settingSources: ["project", "local"],
    });
  });

  it("resumes and forks", async () => {
    const agent = await agentFrom("");
    expect(buildSdkOptions(agent, { resume: "s1", fork: true, sessionId: "s2" }, "/w")).toEqual({
      cwd: "/w",
      resume: "s1",
      forkSession: true,
      sessionId: "s2",
      permissionMode: "default",
      systemPrompt: { type: "preset", preset: "claude_code" },
    });
    expect(buildSdkOptions(agent, { resume: "s1" }, "/w")).toEqual({
      cwd: "/w",
      resume: "s1",
      permissionMode: "default",
      systemPrompt: { type: "preset", preset: "claude_code" },
    });
  });
});

describe("session.max_turns", () => {
  it("limits turns when the agent sets no max_turns, in both runtimes", async () => {
    const agent = await agentFrom("session: { max_turns: 7 }\n");
    expect(buildCliArgs(agent, {})).toContain("--max-turns=7");
    expect(buildSdkOptions(agent, {}, "/w").maxTurns).toBe(7);
    const own = await agentFrom("max_turns: 3\nsession: { max_turns: 7 }\n");
    expect(buildCliArgs(own, {})).toContain("--max-turns=3");
  });
});
