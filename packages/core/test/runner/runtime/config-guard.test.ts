import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ResolvedAgent } from "../../../src/config/index.js";
import { buildCliArgs } from "../../../src/runner/runtime/cli-args.js";
import { shieldMounts, writableMounts } from "../../../src/runner/runtime/container-shield.js";
import { hostGuardRules } from "../../../src/runner/runtime/host-guard.js";
import { buildSdkOptions } from "../../../src/runner/runtime/sdk-options.js";
import { tempDir } from "../../helpers/fleet.js";

describe("keeping jobs off the fleet's configuration", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it("host: deny rules for every protected file (also through a symlink), claude's project config and the state folder", () => {
    const real = join(tmp.dir, "real");
    mkdirSync(real);
    writeFileSync(join(real, "agent.yaml"), "name: a\n");
    symlinkSync(real, join(tmp.dir, "link"));
    const guard = {
      protectedPaths: [join(tmp.dir, "link", "agent.yaml"), join(tmp.dir, ".env")],
      stateDir: join(tmp.dir, ".herdctl"),
    };
    expect(hostGuardRules(guard, join(tmp.dir, "ws"))).toEqual([
      `Edit(/${tmp.dir}/link/agent.yaml)`,
      `Edit(/${real}/agent.yaml)`,
      `Edit(/${tmp.dir}/.env)`,
      `Edit(/${tmp.dir}/ws/.claude/settings.json)`,
      `Edit(/${tmp.dir}/ws/.claude/settings.local.json)`,
      `Edit(/${tmp.dir}/ws/.mcp.json)`,
      `Edit(/${tmp.dir}/.herdctl/**)`,
      `Read(/${tmp.dir}/.herdctl/**)`,
    ]);
    expect(hostGuardRules(undefined, tmp.dir)).toEqual([]);
    // Glob characters in a folder name stay literal, or the rule would not match the file.
    expect(
      hostGuardRules({ protectedPaths: ["/srv/a*b/[x]/f.yaml"], stateDir: "/srv/s{1}" }, "/srv/w")[0],
    ).toBe("Edit(//srv/a\\*b/\\[x\\]/f.yaml)");
    expect(hostGuardRules({ protectedPaths: [], stateDir: "/srv/s{1}" }, "/srv/w").slice(-2)).toEqual([
      "Edit(//srv/s\\{1\\}/**)",
      "Read(//srv/s\\{1\\}/**)",
    ]);
  });

  it("host: both runtimes add the rules after the agent's own denied_tools", () => {
    const agent = { name: "a", working_directory: tmp.dir, denied_tools: ["WebFetch"] } as ResolvedAgent;
    const guard = { protectedPaths: [join(tmp.dir, "herdctl.yaml")], stateDir: join(tmp.dir, ".herdctl") };
    const rules = ["WebFetch", ...hostGuardRules(guard, tmp.dir)];
    expect(buildCliArgs(agent, { guard })).toContain(`--disallowedTools=${rules.join(",")}`);
    expect(buildSdkOptions(agent, { guard }, tmp.dir).disallowedTools).toEqual(rules);
  });

  it("Docker: read-only binds over protected files inside writable mounts, a placeholder for missing ones, the state folder hidden", () => {
    const ws = join(tmp.dir, "ws");
    const data = join(tmp.dir, "data");
    mkdirSync(join(ws, "agents"), { recursive: true });
    mkdirSync(data);
    writeFileSync(join(ws, "herdctl.yaml"), "");
    writeFileSync(join(ws, "agents", "a.yaml"), "");
    writeFileSync(join(data, "b.yaml"), "");
    writeFileSync(join(tmp.dir, "outside.yaml"), "");
    const guard = {
      protectedPaths: [
        join(ws, "herdctl.yaml"),
        join(ws, "agents", "a.yaml"),
        join(ws, ".env"),
        join(data, "b.yaml"),
        join(tmp.dir, "outside.yaml"),
      ],
      stateDir: join(ws, ".herdctl"),
    };
    const mounts = shieldMounts(
      [
        { hostPath: ws, containerPath: "/workspace" },
        { hostPath: data, containerPath: "/data" },
      ],
      guard,
      "/state/placeholder",
      (p) => !p.endsWith(".env"),
    );
    expect(mounts).toEqual([
      { Type: "bind", Source: join(ws, "herdctl.yaml"), Target: "/workspace/herdctl.yaml", ReadOnly: true },
      {
        Type: "bind",
        Source: join(ws, "agents", "a.yaml"),
        Target: "/workspace/agents/a.yaml",
        ReadOnly: true,
      },
      { Type: "bind", Source: "/state/placeholder", Target: "/workspace/.env", ReadOnly: true },
      { Type: "tmpfs", Target: "/workspace/.herdctl", ReadOnly: true },
      { Type: "bind", Source: join(data, "b.yaml"), Target: "/data/b.yaml", ReadOnly: true },
    ]);
    // A read-only workspace needs nothing: no writable mount, no shield.
    expect(shieldMounts([], guard, "/state/placeholder", () => true)).toEqual([]);
  });

  it("Docker: raw host_config Binds and Mounts the fleet file adds count as writable unless read-only", () => {
    const hostConfig = {
      Binds: ["/srv/a:/a", "/srv/b:/b:ro", "/srv/c:/c:rw,z"],
      Mounts: [
        { Type: "bind", Source: "/srv/d", Target: "/d" },
        { Type: "bind", Source: "/srv/e", Target: "/e", ReadOnly: true },
        { Type: "volume", Source: "v", Target: "/v" },
      ],
    };
    const writable = writableMounts(
      { workspaceMode: "ro", volumes: [{ hostPath: "/srv/f", containerPath: "/f", mode: "rw" }], hostConfig },
      "/ws",
      "/workspace",
    );
    expect(writable.map((m) => `${m.hostPath}:${m.containerPath}`)).toEqual([
      "/srv/f:/f",
      "/srv/a:/a",
      "/srv/c:/c",
      "/srv/d:/d",
    ]);
  });
});
