import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, loadFleet } from "../../src/config/index.js";
import { hookScriptPaths } from "../../src/config/isolation.js";
import { tempDir } from "../helpers/fleet.js";

describe("agent files may only tighten the fleet file's isolation", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  function write(fleetDefaults: string, agent: string, overrides = ""): void {
    mkdirSync(join(tmp.dir, "agents"), { recursive: true });
    writeFileSync(
      join(tmp.dir, "herdctl.yaml"),
      `version: 1\ndefaults:\n${fleetDefaults}\nagents:\n  - path: ./agents/boxed.yaml\n${overrides}`,
    );
    writeFileSync(join(tmp.dir, "agents", "boxed.yaml"), `name: boxed\n${agent}`);
  }

  async function problems(): Promise<string[]> {
    try {
      await loadFleet(tmp.dir, { env: {} });
      return [];
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return error.issues.map((i) => `${i.file}:${i.line}:${i.col} ${i.path}: ${i.message}`);
    }
  }

  it("refuses docker.enabled: false in an agent file when the fleet file enables Docker", async () => {
    write("  docker: { enabled: true, network: host }", "docker:\n  enabled: false\n");
    expect(await problems()).toEqual([
      "agents/boxed.yaml:3:12 docker.enabled: an agent file may only tighten isolation: the fleet file " +
        "sets docker.enabled: true (herdctl.yaml:3:22) and this would loosen it",
    ]);
  });

  it("refuses loosening read_only and workspace_mode, names each", async () => {
    write(
      "  docker: { enabled: true, read_only: true, workspace_mode: ro }",
      "docker: { read_only: false, workspace_mode: rw }\n",
    );
    const found = await problems();
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(/^agents\/boxed\.yaml:2:\d+ docker\.read_only: .*sets docker\.read_only: true/);
    expect(found[1]).toMatch(
      /^agents\/boxed\.yaml:2:\d+ docker\.workspace_mode: .*sets docker\.workspace_mode: ro/,
    );
  });

  it("lets an agent file tighten, set resource limits, and the fleet's overrides decide", async () => {
    write(
      "  docker: { enabled: true, memory: 1g }",
      "docker: { enabled: false, memory: 4g, read_only: true }\n",
      "    overrides: { docker: { enabled: false } }\n",
    );
    expect(await problems()).toEqual([]);
    const loaded = await loadFleet(tmp.dir, { env: {} });
    expect(loaded.agents[0]!.docker).toMatchObject({ enabled: false, memory: "4g", read_only: true });
  });

  it("lets an agent file enable Docker the fleet file left off", async () => {
    write("  model: claude-sonnet-4-5", "docker: { enabled: true }\n");
    expect(await problems()).toEqual([]);
  });
});

describe("what the loader protects and where hooks come from", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it("lists every configuration file, the .env even when absent, claude_path and hook scripts", async () => {
    mkdirSync(join(tmp.dir, "agents", "a"), { recursive: true });
    mkdirSync(join(tmp.dir, "sub"), { recursive: true });
    writeFileSync(join(tmp.dir, "notify.sh"), "#!/bin/sh\n");
    writeFileSync(join(tmp.dir, "claude-wrapper"), "#!/bin/sh\n", { mode: 0o755 });
    writeFileSync(
      join(tmp.dir, "herdctl.yaml"),
      "version: 1\ndefaults:\n  claude_path: ./claude-wrapper\n  hooks:\n    after_run:\n" +
        "      - { type: shell, command: 'sh ../../notify.sh --flag' }\n" +
        "agents:\n  - path: ./agents/a/agent.yaml\nfleets:\n  - path: ./sub\n",
    );
    writeFileSync(join(tmp.dir, "agents", "a", "agent.yaml"), "name: a\n");
    writeFileSync(join(tmp.dir, "sub", "herdctl.yaml"), "version: 1\nagents:\n  - path: ./b.yaml\n");
    writeFileSync(join(tmp.dir, "sub", "b.yaml"), "name: b\n");
    const loaded = await loadFleet(tmp.dir, { env: {} });
    expect([...loaded.protectedPaths].sort()).toEqual(
      [
        join(tmp.dir, ".env"),
        join(tmp.dir, "herdctl.yaml"),
        join(tmp.dir, "claude-wrapper"),
        join(tmp.dir, "agents", "a", "agent.yaml"),
        join(tmp.dir, "notify.sh"),
        join(tmp.dir, "sub", "herdctl.yaml"),
        join(tmp.dir, "sub", "b.yaml"),
      ].sort(),
    );
  });

  it("tags hooks by file and warns, positioned, about an agent-file shell hook the agent could not run itself", async () => {
    mkdirSync(join(tmp.dir, "agents"), { recursive: true });
    writeFileSync(
      join(tmp.dir, "herdctl.yaml"),
      "version: 1\ndefaults:\n  hooks:\n    on_error: [{ type: shell, command: 'echo fleet' }]\n" +
        "agents:\n  - path: ./agents/plain.yaml\n  - path: ./agents/basher.yaml\n",
    );
    const hooks = "hooks:\n  after_run:\n    - type: shell\n      command: id\n";
    writeFileSync(
      join(tmp.dir, "agents", "plain.yaml"),
      `name: plain\npermission_mode: acceptEdits\n${hooks}`,
    );
    writeFileSync(join(tmp.dir, "agents", "basher.yaml"), `name: basher\nallowed_tools: [Bash]\n${hooks}`);
    const loaded = await loadFleet(tmp.dir, { env: {} });
    const [plain, basher] = loaded.agents;
    expect(plain!.hooks?.after_run?.[0]?.declaredIn).toBe("agent");
    expect(plain!.hooks?.on_error?.[0]?.declaredIn).toBe("fleet");
    expect(basher!.hooks?.after_run?.[0]?.declaredIn).toBe("agent");
    const warnings = loaded.warnings.map((w) => `${w.file}:${w.line}:${w.col} ${w.path}`);
    expect(warnings).toEqual(["agents/plain.yaml:5:7 hooks.after_run[0]"]);
    expect(loaded.warnings[0]!.message).toMatch(/skipped/);
  });

  it("finds the scripts a hook command names, not words or variables", () => {
    writeFileSync(join(tmp.dir, "run.sh"), "");
    mkdirSync(join(tmp.dir, "bin"));
    writeFileSync(join(tmp.dir, "bin", "tool"), "");
    expect(
      hookScriptPaths(`./run.sh && bin/tool "$HOME/x" | ./missing.sh; echo done > /dev/null`, tmp.dir),
    ).toEqual([join(tmp.dir, "run.sh"), join(tmp.dir, "bin", "tool")]);
  });
});
