// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the YAML under test contains literal ${VAR} references
import { join } from "node:path";
import { type Standin, script, startStandin, textReply } from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFleet, REDACTED, redactConfig } from "../../src/config/index.js";
import { JobExecutor } from "../../src/runner/job-executor.js";
import { StateManager } from "../../src/state/index.js";
import { claudeEnv, claudePath } from "../helpers/claude-env.js";
import { tempDir, writeFleet as writeAgentFleet } from "../helpers/fleet.js";
import { problems, writeFleet } from "./helpers.js";

// Short on purpose: below the value net's minimum length, so only path redaction can hide it.
const SHORT = "gh42";
const LONG = "ghp_long-secret-0123456789";

async function shown(agentYaml: string, env: NodeJS.ProcessEnv) {
  const dir = writeFleet({
    "herdctl.yaml": "agents: [{ path: a.yaml }]\n",
    "a.yaml": `name: a\n${agentYaml}`,
  });
  const loaded = await loadFleet(dir, { env });
  const view = redactConfig(loaded) as { agents: Record<string, unknown>[] };
  return { loaded, agent: view.agents[0]!, text: JSON.stringify(view) };
}

describe("config show redaction with unusual key characters", () => {
  it("hides a secret in a schedule named v1.2", async () => {
    const { agent, text } = await shown(
      'schedules:\n  "v1.2": { type: interval, interval: 10m, prompt: "${GH_TOKEN}" }\n',
      { GH_TOKEN: SHORT },
    );
    expect(agent.schedules).toMatchObject({ "v1.2": { prompt: REDACTED } });
    expect(text).not.toContain(SHORT);
  });

  it("hides a secret under an env key MY.VAR", async () => {
    const { agent, text } = await shown('env:\n  "MY.VAR": "${GH_TOKEN}"\n', { GH_TOKEN: SHORT });
    expect(agent.env).toEqual({ "MY.VAR": REDACTED });
    expect(text).not.toContain(SHORT);
  });

  it("hides a secret in an MCP server named gh.server", async () => {
    const { agent, text } = await shown(
      'mcp_servers:\n  "gh.server": { command: gh-mcp, args: ["--auth", "${GH_TOKEN}"] }\n',
      { GH_TOKEN: SHORT },
    );
    expect(agent.mcp_servers).toEqual({ "gh.server": { command: "gh-mcp", args: ["--auth", REDACTED] } });
    expect(text).not.toContain(SHORT);
  });

  it("hides a secret under a key with brackets, spaces and unicode", async () => {
    const { loaded, agent, text } = await shown('env:\n  "a[0] b]c ✓ ключ": "x ${GH_TOKEN} y"\n', {
      GH_TOKEN: SHORT,
    });
    expect(loaded.secretPaths).toEqual([["agents", 0, "env", "a[0] b]c ✓ ключ"]]);
    expect(agent.env).toEqual({ "a[0] b]c ✓ ключ": REDACTED });
    expect(text).not.toContain(SHORT);
  });

  it("hides a known secret value wherever it lands, even under an innocent key", async () => {
    const { agent, text } = await shown(
      `env: { MY_TOKEN: ${LONG} }\nsystem_prompt: "use ${LONG} for gh"\nworking_directory: "/tmp/\${DEPLOY_KEY}"\n`,
      { DEPLOY_KEY: "deploy-secret-abcdef" },
    );
    expect(agent.system_prompt).toBe(`use ${REDACTED} for gh`);
    expect(text).not.toContain(LONG);
    expect(text).not.toContain("deploy-secret-abcdef");
  });

  it("never quotes a secret in a validation error", async () => {
    const dir = writeFleet({
      "herdctl.yaml": "agents: [{ path: a.yaml }]\n",
      "a.yaml": 'name: a\nmax_turns: ${API_KEY}\nmodel: "${SHORT_KEY}"\npermission_mode: ${MODE_TOKEN}\n',
    });
    const found = await problems(dir, { API_KEY: "sk-not-a-number", SHORT_KEY: "", MODE_TOKEN: "ab" });
    expect(found.join("\n")).not.toMatch(/sk-not-a-number|"ab"/);
    expect(found).toContain(
      "a.yaml:2:12 max_turns: expected a number, got a value from a secret-named environment variable",
    );
  });
});

describe("job records use the fleet's secret values", () => {
  let standin: Standin;
  const tmp = tempDir();
  beforeAll(async () => {
    standin = await startStandin();
  });
  afterAll(async () => {
    await standin.close();
    tmp.cleanup();
  });

  it("redacts a secret written under an MCP server's env from the prompt and output", async () => {
    const { fleet, agent } = await writeAgentFleet(
      tmp.dir,
      `runtime: cli\npermission_mode: acceptEdits\nmcp_servers:\n  "gh.server": { command: "true", env: { GITHUB_TOKEN: ${LONG} } }\n`,
    );
    expect(fleet.secretValues).toContain(LONG);
    const state = new StateManager(join(tmp.dir, ".herdctl"));
    state.open();
    try {
      standin.setResponder(script([textReply(`the pat is ${LONG}`)]));
      const executor = new JobExecutor({
        state,
        claudePath,
        env: claudeEnv(standin, tmp.dir),
        secrets: () => fleet.secretValues,
      });
      const job = await executor.execute({ agent, prompt: `check ${LONG}`, triggerType: "manual" });
      expect(job.status).toBe("completed");
      const record = JSON.stringify([state.jobs.get(job.id), state.readJobOutput(job.id)]);
      expect(record).toContain(`the pat is ${REDACTED}`);
      expect(record).not.toContain(LONG);
    } finally {
      state.close();
    }
  });
});
