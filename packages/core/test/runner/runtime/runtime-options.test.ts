import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadFleet } from "../../../src/config/index.js";
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
    timeout: 30s
    alwaysLoad: true
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
      // The servers reach claude on fd 3 (mcp-config-fd.ts), never on its command line.
      "--mcp-config=/dev/fd/3",
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
      "--permission-mode=acceptEdits",
      "--setting-sources=project",
    ]);
    expect(buildCliArgs(agent, { resume: base, fork: true, sessionId: fork }).slice(4)).toEqual([
      `--resume=${base}`,
      "--fork-session",
      `--session-id=${fork}`,
      "--permission-mode=acceptEdits",
      "--setting-sources=project",
    ]);
  });

  it("passes bypassPermissions with the flag claude requires for it", async () => {
    const agent = await agentFrom("permission_mode: bypassPermissions\n");
    expect(buildCliArgs(agent, {}).slice(4)).toEqual([
      "--permission-mode=bypassPermissions",
      "--allow-dangerously-skip-permissions",
      "--setting-sources=project",
    ]);
  });

  it("an empty tools list disables every built-in tool", async () => {
    const agent = await agentFrom("tools: []\n");
    expect(buildCliArgs(agent, {}).slice(4)).toEqual([
      "--permission-mode=acceptEdits",
      "--tools=",
      "--setting-sources=project",
    ]);
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
        files: {
          command: "npx",
          args: ["-y", "some-mcp-server"],
          env: { ROOT: "/data" },
          timeout: 30_000,
          alwaysLoad: true,
        },
        remote: {
          type: "http",
          url: "https://mcp.example.test/mcp",
          headers: { Authorization: "Bearer abc" },
        },
      },
      mcpServersDelivery: "initialize",
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
      permissionMode: "acceptEdits",
      systemPrompt: { type: "preset", preset: "claude_code" },
      settingSources: ["project"],
    });
    expect(buildSdkOptions(agent, { resume: "s1" }, "/w")).toEqual({
      cwd: "/w",
      resume: "s1",
      permissionMode: "acceptEdits",
      systemPrompt: { type: "preset", preset: "claude_code" },
      settingSources: ["project"],
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

describe("permission modes", () => {
  it("acceptEdits when the agent names none, under both runtimes", async () => {
    const agent = await agentFrom("");
    expect(agent.permission_mode).toBe("acceptEdits");
    expect(buildCliArgs(agent, {})).toContain("--permission-mode=acceptEdits");
    expect(buildSdkOptions(agent, {}, "/w").permissionMode).toBe("acceptEdits");
  });

  it.each(["default", "plan", "dontAsk", "auto"])("passes %s through to both runtimes", async (mode) => {
    const agent = await agentFrom(`permission_mode: ${mode}\n`);
    expect(buildCliArgs(agent, {})).toContain(`--permission-mode=${mode}`);
    expect(buildCliArgs(agent, {})).not.toContain("--allow-dangerously-skip-permissions");
    const sdk = buildSdkOptions(agent, {}, "/w");
    expect(sdk.permissionMode).toBe(mode);
    expect(sdk.allowDangerouslySkipPermissions).toBeUndefined();
  });

  it("manual, claude's other name for default, reaches the SDK as default", async () => {
    const agent = await agentFrom("permission_mode: manual\n");
    expect(buildCliArgs(agent, {})).toContain("--permission-mode=manual");
    expect(buildSdkOptions(agent, {}, "/w").permissionMode).toBe("default");
  });
});

describe("system_prompt", () => {
  it("{ append } keeps Claude Code's prompt and adds to it, under both runtimes", async () => {
    for (const yaml of [
      'system_prompt: { append: "-Be terse." }\n',
      'system_prompt: { type: preset, preset: claude_code, append: "-Be terse." }\n',
    ]) {
      const agent = await agentFrom(yaml);
      const args = buildCliArgs(agent, {});
      expect(args).toContain("--append-system-prompt=-Be terse.");
      expect(args.some((a) => a.startsWith("--system-prompt"))).toBe(false);
      expect(buildSdkOptions(agent, {}, "/w").systemPrompt).toEqual({
        type: "preset",
        preset: "claude_code",
        append: "-Be terse.",
      });
    }
  });

  it("an empty string leaves Claude Code's prompt in place, as in the reference herdctl", async () => {
    const agent = await agentFrom('system_prompt: ""\n');
    expect(buildCliArgs(agent, {}).some((a) => a.includes("system-prompt"))).toBe(false);
    expect(buildSdkOptions(agent, {}, "/w").systemPrompt).toEqual({ type: "preset", preset: "claude_code" });
  });
});

describe("setting_sources", () => {
  it("project when working_directory is written, none otherwise, passed explicitly to both runtimes", async () => {
    const placed = await agentFrom("");
    expect(placed.setting_sources).toEqual(["project"]);

    const tmp = tempDir();
    try {
      // writeFleet always writes a working_directory; this agent file has none.
      mkdirSync(join(tmp.dir, "agents"));
      writeFileSync(join(tmp.dir, "herdctl.yaml"), "version: 1\nagents:\n  - path: ./agents/loose.yaml\n");
      writeFileSync(join(tmp.dir, "agents", "loose.yaml"), "name: loose\n");
      const [loose] = (await loadFleet(tmp.dir, { env: {} })).agents;
      expect(loose!.setting_sources).toEqual([]);
      expect(buildCliArgs(loose!, {})).toContain("--setting-sources=");
      expect(buildSdkOptions(loose!, {}, "/w").settingSources).toEqual([]);
    } finally {
      tmp.cleanup();
    }

    const chosen = await agentFrom("setting_sources: [user]\n");
    expect(buildCliArgs(chosen, {})).toContain("--setting-sources=user");
    expect(buildSdkOptions(chosen, {}, "/w").settingSources).toEqual(["user"]);
  });
});
