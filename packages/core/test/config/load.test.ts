import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadFleet } from "../../src/config/index.js";

const fixtures = resolve(import.meta.dirname, "fixtures");

describe("loadFleet: single fleet", () => {
  it("loads the design example and applies schema defaults once", async () => {
    const loaded = await loadFleet(join(fixtures, "basic"), { env: {} });
    expect(loaded.configPath).toBe(join(fixtures, "basic", "herdctl.yaml"));
    expect(loaded.rootDir).toBe(join(fixtures, "basic"));
    expect(loaded.warnings).toEqual([]);
    expect(loaded.fleet).toEqual({
      name: "acme",
      description: "The acme fleet",
      version: 1,
      defaults: {
        model: "claude-sonnet-4-5",
        permission_mode: "acceptEdits",
        allowed_tools: ["Read", "Grep"],
        env: { LOG_LEVEL: "info", REGION: "eu" },
        docker: { image: "herdctl/runtime:latest", network: "bridge", memory: "1g" },
      },
      web: {
        enabled: true,
        host: "127.0.0.1",
        port: 3232,
        session_expiry_hours: 24,
        tool_results: true,
        message_grouping: "separate",
      },
      webhooks: { enabled: false },
      max_concurrent_jobs: 4,
    });
    const [triager, helper] = loaded.agents;
    expect(loaded.agents.map((a) => a.name)).toEqual(["triager", "helper"]);
    expect(triager).toEqual({
      name: "triager",
      fleetName: "acme",
      configPath: join(fixtures, "basic", "agents", "triager.yaml"),
      working_directory: join(fixtures, "basic", "repos", "api"),
      model: "claude-sonnet-4-5",
      permission_mode: "acceptEdits",
      runtime: "cli",
      // Not written: an agent with a working_directory loads its project's settings.
      setting_sources: ["project"],
      allowed_tools: ["Bash"],
      env: { LOG_LEVEL: "info", REGION: "us" },
      timeout: 7_200_000,
      inactivity_timeout: 600_000,
      session: { timeout: 86_400_000 },
      instances: { max_concurrent: 2, max_queued: 20 },
      schedules: {
        morning: {
          type: "cron",
          cron: "0 9 * * 1-5",
          timezone: "Europe/Berlin",
          prompt: "Triage new issues.",
          enabled: true,
        },
        poll: {
          type: "interval",
          interval: 900_000,
          jitter: 30_000,
          overlap: "skip",
          enabled: true,
        },
      },
      docker: {
        image: "herdctl/runtime:latest",
        network: "bridge",
        enabled: true,
        memory: "2g",
        workspace_mode: "rw",
      },
      hooks: {
        after_run: [
          {
            type: "webhook",
            url: "https://hooks.example.com/done",
            timeout: 5000,
            on_events: ["failed"],
            declaredIn: "agent",
          },
        ],
        on_error: [{ type: "shell", command: "./notify.sh", timeout: 30_000, declaredIn: "agent" }],
      },
      mcp_servers: {
        github: { command: "npx", args: ["-y", "@modelcontextprotocol/server-github"], env: { X: "1" } },
        docs: { type: "http", url: "https://mcp.example.com/mcp", headers: { "X-Team": "acme" } },
      },
    });
    // Overrides beat the agent file, which beats defaults; nested docker keys still inherit.
    expect(helper?.model).toBe("claude-opus-4-1");
    expect(helper?.docker).toEqual({ image: "herdctl/runtime:latest", network: "bridge", memory: "4g" });
    expect(helper?.working_directory).toBe(join(fixtures, "basic", "agents"));
    expect(helper?.allowed_tools).toEqual(["Read", "Grep"]);
    expect(helper?.session).toEqual({ timeout: 86_400_000, max_turns: 50 });
    expect(helper?.instances).toEqual({ max_concurrent: 1, max_queued: 20 });
    expect(helper?.runtime).toBe("sdk");
    expect(helper?.permission_mode).toBe("acceptEdits");
    expect(helper?.max_budget_usd).toBe(1.5);
    expect(helper?.setting_sources).toEqual(["project", "local"]);
    expect(helper?.on_interrupt).toBe("resume");
  });

  it("accepts the path of the fleet file itself", async () => {
    const loaded = await loadFleet(join(fixtures, "basic", "herdctl.yaml"), { env: {} });
    expect(loaded.agents).toHaveLength(2);
  });
});

describe("loadFleet: sub-fleets", () => {
  it("qualifies agent names and cascades defaults through nested fleets", async () => {
    const loaded = await loadFleet(join(fixtures, "subfleets"), { env: {} });
    expect(loaded.fleet.name).toBe("root");
    // The sub-fleet's own web block does not configure the root's dashboard.
    expect(loaded.fleet.web.port).toBe(3232);
    const summary = loaded.agents.map((a) => ({
      name: a.name,
      fleetName: a.fleetName,
      model: a.model,
      max_turns: a.max_turns,
      working_directory: a.working_directory,
    }));
    expect(summary).toEqual([
      {
        name: "lead",
        fleetName: "root",
        model: "claude-sonnet-4-5",
        max_turns: undefined,
        working_directory: join(fixtures, "subfleets", "agents"),
      },
      {
        name: "api.worker",
        fleetName: "api",
        model: "claude-sonnet-4-5",
        max_turns: 5,
        working_directory: join(fixtures, "subfleets", "api", "agents"),
      },
      {
        name: "api.inner.deep",
        fleetName: "api.inner",
        model: "claude-haiku-4-5",
        max_turns: 5,
        working_directory: join(fixtures, "subfleets", "api", "inner", "agents"),
      },
      {
        name: "frontend.worker",
        fleetName: "frontend",
        model: "claude-opus-4-1",
        max_turns: undefined,
        working_directory: join(fixtures, "subfleets", "web", "agents"),
      },
    ]);
  });
});

describe("loadFleet: reference-format compatibility", () => {
  it("loads legacy aliases and ignored sections, with a warning for each", async () => {
    const CHAT =
      ": herdctl's chat bots are set per agent (chat.discord, chat.slack); fleet-level chat settings and chat schedules are not in herdctl (docs/migrating.md#chat)";
    const WORK_SOURCE =
      ": the reference loads work_source but never fetches work from it, and neither does herdctl; say what to work on in the prompt (docs/migrating.md#work_source)";
    const loaded = await loadFleet(join(fixtures, "legacy"), { env: {} });
    const [agent] = loaded.agents;
    expect(agent?.working_directory).toBe(join(fixtures, "legacy", "work"));
    expect(agent?.schedules).toEqual({
      nightly: { type: "cron", cron: "0 2 * * *", enabled: true },
      issues: { type: "interval", interval: 300_000, enabled: true },
    });
    expect(agent?.session).toEqual({ timeout: 86_400_000 });
    // Top-level docker became a default; defaults.docker wins where both set a key.
    expect(agent?.docker).toEqual({ image: "legacy/image:1", network: "bridge" });
    expect(loaded.warnings.map((w) => `${w.file}:${w.line}:${w.col} ${w.path}: ${w.message}`)).toEqual([
      'herdctl.yaml:2:1 chat: "chat" is not supported by herdctl and is ignored' + CHAT,
      'herdctl.yaml:4:1 docker: top-level "docker" is deprecated; use defaults.docker',
      'herdctl.yaml:5:3 docker.base_image: "base_image" is deprecated; use "image"',
      'agents/old.yaml:2:1 workspace: "workspace" is deprecated; use "working_directory"',
      'agents/old.yaml:3:1 identity: "identity" is not supported by herdctl and is ignored: herdctl does not use it; describe the persona in system_prompt (docs/migrating.md#identity-and-repo)',
      'agents/old.yaml:4:1 work_source: "work_source" is not supported by herdctl and is ignored' +
        WORK_SOURCE,
      'agents/old.yaml:8:5 schedules.nightly.expression: "expression" is deprecated; use "cron"',
      'agents/old.yaml:12:5 schedules.issues.work_source: "work_source" is not supported by herdctl and is ignored' +
        WORK_SOURCE,
      'agents/old.yaml:13:3 schedules.talk: chat schedule "talk" is not supported by herdctl and is ignored' +
        CHAT,
      'agents/old.yaml:14:12 session.model: "session.model" is not supported by herdctl and is ignored: herdctl uses the agent\'s model key for every job; set model (docs/migrating.md#session-model)',
    ]);
    expect(loaded.warnings[0]?.hint).toBe("remove the key to silence this warning");
  });
});
