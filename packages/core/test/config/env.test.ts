// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the YAML under test contains literal ${VAR} references
import { describe, expect, it } from "vitest";
import { loadFleet, REDACTED, redactConfig } from "../../src/config/index.js";
import { writeFleet } from "./helpers.js";

const fleet = `
fleet: { name: "\${FLEET_NAME:-envy}" }
defaults:
  model: \${MODEL}
  max_concurrent_jobs: \${JOBS:-3}
agents:
  - path: agent.yaml
web:
  enabled: \${WEB_ON:-true}
  port: \${PORT:-3232}
  auth_token_env: DASH_TOKEN
`;
const agent = `
name: a
max_turns: \${TURNS}
max_budget_usd: \${BUDGET:-0.5}
system_prompt: "Work on \${PROJECT:-nothing} quietly"
env:
  GITHUB_TOKEN: \${GITHUB_TOKEN}
  HOME_DIR: \${HOME_DIR:-/home/agent}
hooks:
  after_run:
    - type: webhook
      url: https://hooks.example.com/x
      headers: { Authorization: "Bearer \${HOOK_SECRET}", X-Plain: plain }
docker: { enabled: "\${DOCKER_ON:-false}" }
literal: ignore
`.replace("literal: ignore\n", "");

describe("environment interpolation", () => {
  it("substitutes variables and coerces whole-reference scalars to the schema's type", async () => {
    const dir = writeFleet({ "herdctl.yaml": fleet, "agent.yaml": agent });
    const loaded = await loadFleet(dir, {
      env: {
        MODEL: "claude-sonnet-4-5",
        TURNS: "12",
        PORT: "4000",
        GITHUB_TOKEN: "ghp_x",
        HOOK_SECRET: "s3",
      },
    });
    expect(loaded.fleet.name).toBe("envy");
    expect(loaded.fleet.web).toEqual({
      enabled: true,
      host: "127.0.0.1",
      port: 4000,
      auth_token_env: "DASH_TOKEN",
      session_expiry_hours: 24,
      tool_results: true,
      message_grouping: "separate",
    });
    expect(loaded.fleet.max_concurrent_jobs).toBe(3);
    const [a] = loaded.agents;
    expect(a?.model).toBe("claude-sonnet-4-5");
    expect(a?.max_turns).toBe(12);
    expect(a?.max_budget_usd).toBe(0.5);
    expect(a?.docker).toEqual({ enabled: false });
    expect(a?.system_prompt).toBe("Work on nothing quietly");
    expect(a?.env).toEqual({ GITHUB_TOKEN: "ghp_x", HOME_DIR: "/home/agent" });
    expect(a?.hooks?.after_run?.[0]).toMatchObject({
      headers: { Authorization: "Bearer s3", "X-Plain": "plain" },
    });
    expect(loaded.secretPaths).toEqual([
      ["agents", 0, "env", "GITHUB_TOKEN"],
      ["agents", 0, "hooks", "after_run", 0, "headers", "Authorization"],
    ]);
  });

  it("keeps a quoted-in-text number as text (only whole references are coerced)", async () => {
    const dir = writeFleet({
      "herdctl.yaml": "agents: [{ path: a.yaml }]\n",
      "a.yaml": 'name: a\nmax_turns: "n${TURNS}"\n',
    });
    await expect(loadFleet(dir, { env: { TURNS: "5" } })).rejects.toThrow(
      'a.yaml:2:12 max_turns: expected a number, got "n5"',
    );
  });

  it("reads .env beside the fleet file; variables already set win", async () => {
    const dir = writeFleet({
      "herdctl.yaml": 'defaults: { model: "$' + '{MODEL}" }\nagents: [{ path: a.yaml }]\n',
      "a.yaml": "name: a\nsystem_prompt: $" + "{PROMPT}\n",
      ".env": "MODEL=from-dotenv\nPROMPT='hello from dotenv'\n",
    });
    const fromFile = await loadFleet(dir, { env: {} });
    expect(fromFile.agents[0]?.model).toBe("from-dotenv");
    expect(fromFile.agents[0]?.system_prompt).toBe("hello from dotenv");
    const overridden = await loadFleet(dir, { env: { MODEL: "from-env" } });
    expect(overridden.agents[0]?.model).toBe("from-env");
    expect(overridden.agents[0]?.system_prompt).toBe("hello from dotenv");
  });

  it("treats $${ as a literal ${", async () => {
    const dir = writeFleet({
      "herdctl.yaml": "agents: [{ path: a.yaml }]\n",
      "a.yaml": 'name: a\nhooks:\n  after_run: [{ type: shell, command: "echo $${HOME}" }]\n',
    });
    const loaded = await loadFleet(dir, { env: {} });
    expect(loaded.agents[0]?.hooks?.after_run?.[0]).toMatchObject({ command: "echo ${HOME}" });
  });

  it("reads an unquoted ${VAR} standing as a whole value inside { } and [ ], as the docs write it", async () => {
    const dir = writeFleet({
      "herdctl.yaml": [
        "fleet: { name: ${NAME} }",
        "agents: [{ path: a.yaml }]",
        "web: { port: ${PORT:-4100}, enabled: true }",
        "",
      ].join("\n"),
      "a.yaml": "name: a\nallowed_tools: [${TOOL}, Read]\nenv: {TOKEN: ${SECRET_TOKEN}}\n",
    });
    const loaded = await loadFleet(dir, { env: { NAME: "flowing", TOOL: "Write", SECRET_TOKEN: "t0k" } });
    expect(loaded.fleet.name).toBe("flowing");
    // Still a whole reference: coerced to the schema's number.
    expect(loaded.fleet.web.port).toBe(4100);
    expect(loaded.agents[0]?.allowed_tools).toEqual(["Write", "Read"]);
    expect(loaded.agents[0]?.env).toEqual({ TOKEN: "t0k" });
    expect(loaded.secretPaths).toEqual([["agents", 0, "env", "TOKEN"]]);
  });

  it("still reports a flow collection broken otherwise, at the line as written", async () => {
    const dir = writeFleet({
      "herdctl.yaml": "agents: [{ path: a.yaml }]\n",
      "a.yaml": "name: a\nenv: { A: ${A}, B: [1 }\n",
    });
    await expect(loadFleet(dir, { env: { A: "x" } })).rejects.toThrow(
      /a\.yaml:2:\d+: .*\n\s+hint: fix the YAML syntax; inside \{ \} and \[ \], put \$\{VAR\} references in quotes/,
    );
  });
});

describe("redactConfig", () => {
  it("hides values from secret-looking variables and under secret-looking keys", async () => {
    const dir = writeFleet({ "herdctl.yaml": fleet, "agent.yaml": agent });
    const loaded = await loadFleet(dir, {
      env: { MODEL: "m", TURNS: "1", GITHUB_TOKEN: "ghp_x", HOOK_SECRET: "s3", PROJECT: "api" },
    });
    const shown = redactConfig(loaded) as {
      fleet: { web: Record<string, unknown> };
      agents: {
        env: Record<string, string>;
        system_prompt: string;
        hooks: { after_run: { headers: object }[] };
      }[];
    };
    expect(shown.agents[0]?.env).toEqual({ GITHUB_TOKEN: REDACTED, HOME_DIR: "/home/agent" });
    expect(shown.agents[0]?.hooks.after_run[0]?.headers).toEqual({
      Authorization: REDACTED,
      "X-Plain": "plain",
    });
    expect(shown.agents[0]?.system_prompt).toBe("Work on api quietly");
    // A key naming a variable is not itself a secret.
    expect(shown.fleet.web.auth_token_env).toBe("DASH_TOKEN");
    // The loaded fleet itself is untouched.
    expect(loaded.agents[0]?.env?.GITHUB_TOKEN).toBe("ghp_x");
  });

  it("redacts a value from a secret-named variable even under an innocent key", async () => {
    const dir = writeFleet({
      "herdctl.yaml": "agents: [{ path: a.yaml }]\n",
      "a.yaml": "name: a\nsystem_prompt: $" + "{API_KEY}\n",
    });
    const loaded = await loadFleet(dir, { env: { API_KEY: "sk-123" } });
    expect(loaded.secretPaths).toEqual([["agents", 0, "system_prompt"]]);
    expect((redactConfig(loaded) as { agents: { system_prompt: string }[] }).agents[0]?.system_prompt).toBe(
      REDACTED,
    );
  });
});
