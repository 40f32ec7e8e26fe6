import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadFleet } from "../../src/config/index.js";
import { problems, writeFleet } from "./helpers.js";

const manifest = (name: string) => JSON.stringify({ name, version: "1.0.0" });
const FLEET = (defaults = "") =>
  `version: 1\nfleet: { name: plugged }\n${defaults}agents:\n  - path: ./agents/a.yaml\n`;

describe("plugins: Claude Code plugin folders per agent or fleet-wide", () => {
  it("accepts the reference's forms (a path, { path }, { type: local, path, skipMcpDiscovery }), each relative to the file that wrote it", async () => {
    const dir = writeFleet({
      "herdctl.yaml": FLEET("defaults:\n  plugins: [./shared/fleet-tools]\n").replace(
        "agents:\n  - path: ./agents/a.yaml\n",
        "agents:\n  - path: ./agents/a.yaml\n  - path: ./agents/b.yaml\n" +
          "    overrides:\n      plugins: [{ path: shared/override-tools }]\n" +
          "  - path: ./agents/c.yaml\n",
      ),
      "shared/fleet-tools/.claude-plugin/plugin.json": manifest("fleet-tools"),
      "shared/override-tools/.claude-plugin/plugin.json": manifest("override-tools"),
      "agents/own/.claude-plugin/plugin.json": manifest("own"),
      "agents/mapped/.claude-plugin/plugin.json": manifest("mapped"),
      "agents/a.yaml":
        "name: a\nworking_directory: ../ws\nplugins:\n  - ./own\n" +
        "  - { type: local, path: mapped, skipMcpDiscovery: true }\n",
      "agents/b.yaml": "name: b\nworking_directory: ../ws\n",
      "agents/c.yaml": "name: c\nworking_directory: ../ws\n",
      "ws/.keep": "",
    });
    const fleet = await loadFleet(dir, { env: {} });
    const plugins = Object.fromEntries(fleet.agents.map((a) => [a.name, a.plugins]));
    // A list replaces the defaults' list, like every other list.
    expect(plugins).toEqual({
      a: [
        { type: "local", path: join(dir, "agents/own") },
        { type: "local", path: join(dir, "agents/mapped"), skipMcpDiscovery: true },
      ],
      b: [{ type: "local", path: join(dir, "shared/override-tools") }],
      c: [{ type: "local", path: join(dir, "shared/fleet-tools") }],
    });
    // No longer loaded with a "not supported … ignored" warning.
    expect(fleet.warnings).toEqual([]);
    // Their hooks and MCP servers run as the agent, so no job may rewrite them.
    for (const folder of ["agents/own", "agents/mapped", "shared/override-tools", "shared/fleet-tools"])
      expect(fleet.protectedPaths).toContain(join(dir, folder));
  });

  it("names file, line, key and the resolved folder when a path is not a plugin", async () => {
    const dir = writeFleet({
      "herdctl.yaml": FLEET("defaults:\n  plugins: [./nowhere]\n"),
      "agents/a.yaml":
        "name: a\nworking_directory: ../ws\nplugins:\n" +
        "  - ./missing\n" +
        "  - ./a-file\n" +
        "  - path: ./empty\n" +
        "  - ./broken\n" +
        "  - ./nameless\n",
      "agents/a-file": "not a folder",
      "agents/empty/commands/x.md": "hi",
      "agents/broken/.claude-plugin/plugin.json": "{ name: ",
      "agents/nameless/.claude-plugin/plugin.json": "{}",
      "ws/.keep": "",
    });
    const found = await problems(dir);
    expect(found.map((line) => line.replace(/: Unexpected token.*|: Expected .*/, ": <JSON error>"))).toEqual(
      [
        `agents/a.yaml:4:5 plugins[0]: plugin folder "./missing" does not exist (${join(dir, "agents/missing")})`,
        `agents/a.yaml:5:5 plugins[1]: plugin "./a-file" is not a folder (${join(dir, "agents/a-file")})`,
        `agents/a.yaml:6:11 plugins[2].path: ${join(dir, "agents/empty")} is not a Claude Code plugin: it has no .claude-plugin/plugin.json`,
        `agents/a.yaml:7:5 plugins[3]: ${join(dir, "agents/broken/.claude-plugin/plugin.json")} is not valid JSON: <JSON error>`,
        `agents/a.yaml:8:5 plugins[4]: ${join(dir, "agents/nameless/.claude-plugin/plugin.json")} has no "name"`,
      ],
    );
    // The defaults' list is replaced by the agent's, so its bad entry is not this agent's problem.
    expect(found.join("\n")).not.toContain("nowhere");
  });

  it("a fleet-wide plugin that does not exist is reported at the fleet file's line, with a hint", async () => {
    const dir = writeFleet({
      "herdctl.yaml": FLEET("defaults:\n  plugins:\n    - ../shared-plugins/lint\n"),
      "agents/a.yaml": "name: a\nworking_directory: ../ws\n",
      "ws/.keep": "",
    });
    const error = await loadFleet(dir, { env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([
      {
        file: "herdctl.yaml",
        line: 5,
        col: 7,
        path: "defaults.plugins[0]",
        message: `plugin folder "../shared-plugins/lint" does not exist (${join(dir, "../shared-plugins/lint")})`,
        hint: "paths are relative to the file that sets them; name the folder that holds .claude-plugin/plugin.json",
      },
    ]);
  });

  it("refuses a plugin folder that is, or holds, the agent's working directory", async () => {
    const dir = writeFleet({
      "herdctl.yaml": FLEET(),
      "agents/a.yaml": "name: a\nworking_directory: ../repo/src\nplugins: [../repo]\n",
      "repo/.claude-plugin/plugin.json": manifest("repo"),
      "repo/src/.keep": "",
    });
    expect(await problems(dir)).toEqual([
      `agents/a.yaml:3:11 plugins[0]: plugin folder ${join(dir, "repo")} holds the agent's working directory`,
    ]);
  });

  it("rejects other shapes with the key to fix", async () => {
    const dir = writeFleet({
      "herdctl.yaml": FLEET(),
      "agents/a.yaml":
        "name: a\nworking_directory: ../ws\nplugins:\n  - { type: npm, path: x }\n  - { path: x, skip_mcp: true }\n  - 5\n",
      "ws/.keep": "",
    });
    expect(await problems(dir)).toEqual([
      'agents/a.yaml:4:13 plugins[0].type: "npm" is not one of: local',
      'agents/a.yaml:5:16 plugins[1].skip_mcp: unknown key "skip_mcp"',
      "agents/a.yaml:6:5 plugins[2]: expected a mapping, got 5",
    ]);
  });
});
