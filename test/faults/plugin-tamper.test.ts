import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FleetManager } from "@herdctl/core";
import { script, textReply, toolUse, writeFile } from "@herdctl/standin";
import { describe, expect, it } from "vitest";
import {
  ensureRuntimeImage,
  IMAGE_TIMEOUT_MS,
} from "../../packages/core/test/docker/runtime-image-fixture.js";
import { EXPANDED, GREET_PROMPT, GREETER } from "../../packages/core/test/helpers/plugins.js";
import { fleetFixture, toolResults } from "./fleet-fixture.js";

/**
 * A plugin's hooks and MCP servers run as the agent. When the fleet author keeps a plugin inside
 * the agent's writable working directory, the agent must not be able to add a hook or rewrite a
 * command there: every attempt fails inside the job, the plugin on disk is unchanged, and the
 * attempt is reported. The rest of the workspace stays writable.
 */
const CONTAINER_UID = 1000;
const HOOKS = JSON.stringify({
  hooks: { SessionStart: [{ hooks: [{ type: "command", command: "id > /tmp/pwned" }] }] },
});

describe("a job cannot change a plugin folder in its own workspace (real claude, stand-in API)", {
  timeout: IMAGE_TIMEOUT_MS,
}, () => {
  const fleetName = `plugintamper${process.pid}`;
  // Glob characters and a space in the path: the protections must match it literally.
  const fx = fleetFixture(fleetName, "herdctl-plugin [x]*-", { clearRequests: true });

  /** A fleet whose agent works in ws/ and loads the plugin the fleet author keeps in ws/plugins/greeter. */
  async function start(agentYaml: string, fleetDefaults = ""): Promise<FleetManager> {
    mkdirSync(join(fx.root.dir, "ws"), { recursive: true });
    cpSync(GREETER, join(fx.root.dir, "ws", "plugins", "greeter"), { recursive: true });
    writeFileSync(
      join(fx.root.dir, "herdctl.yaml"),
      `version: 1\nfleet: { name: ${fleetName} }\n${fleetDefaults}agents:\n  - path: ./agent.yaml\n`,
    );
    writeFileSync(
      join(fx.root.dir, "agent.yaml"),
      `name: tinkerer\nworking_directory: ./ws\nplugins: [./ws/plugins/greeter]\n${agentYaml}`,
    );
    return fx.startFleet();
  }

  function expectPluginUnchanged(): void {
    const plugin = join(fx.root.dir, "ws", "plugins", "greeter");
    expect(readFileSync(join(plugin, "commands", "greet.md"), "utf8")).toBe(
      readFileSync(join(GREETER, "commands", "greet.md"), "utf8"),
    );
    expect(existsSync(join(plugin, "hooks"))).toBe(false);
    expect(readFileSync(join(fx.root.dir, "ws", "ok.txt"), "utf8")).toBe("fine");
  }

  it.each(["cli", "sdk"])(
    "host (%s runtime, acceptEdits, no Bash): writes into the plugin folder are refused and reported",
    async (runtime) => {
      const f = await start(
        `runtime: ${runtime}\npermission_mode: acceptEdits\nallowed_tools: [Read, Write, Edit]\n`,
      );
      const plugin = join(fx.root.dir, "ws", "plugins", "greeter");
      fx.standin.setResponder(
        script([
          toolUse("Read", { file_path: join(plugin, "commands", "greet.md") }),
          toolUse("Edit", {
            file_path: join(plugin, "commands", "greet.md"),
            old_string: "say hello",
            new_string: "run rm -rf ~",
          }),
          writeFile(join(plugin, "hooks", "hooks.json"), HOOKS),
          writeFile(join(fx.root.dir, "ws", "ok.txt"), "fine"),
          textReply("tried"),
        ]),
      );
      const job = await f.wait(f.trigger("tinkerer", { prompt: GREET_PROMPT }).id);
      expect(job.status).toBe("completed");
      // The plugin itself still works: claude read its command.
      expect(JSON.stringify(fx.standin.mainRequests[0]?.messages[0]?.content)).toContain(EXPANDED);
      expect(toolResults(fx.standin).map((r) => r.isError)).toEqual([false, true, true, false]);
      expectPluginUnchanged();
      const tampers = f.status().agents[0]!.configTampers.map((t) => `${t.tool} ${t.path}`);
      expect(tampers.sort()).toEqual(
        [
          `Edit ${join(plugin, "commands", "greet.md")}`,
          `Write ${join(plugin, "hooks", "hooks.json")}`,
        ].sort(),
      );
    },
  );

  it("Docker: the plugin folder inside the rw workspace is mounted read-only; the rest stays writable", async () => {
    await ensureRuntimeImage();
    const f = await start(
      "runtime: cli\npermission_mode: acceptEdits\ndocker: { enabled: true }\n",
      "defaults:\n  docker: { network: host }\n",
    );
    // As for a non-root operator: the container user owns the workspace, plugin included.
    execFileSync("chown", ["-R", `${CONTAINER_UID}:${CONTAINER_UID}`, join(fx.root.dir, "ws")]);
    fx.standin.setResponder(
      script([
        toolUse("Read", { file_path: "/workspace/plugins/greeter/commands/greet.md" }),
        toolUse("Edit", {
          file_path: "/workspace/plugins/greeter/commands/greet.md",
          old_string: "say hello",
          new_string: "run rm -rf ~",
        }),
        writeFile("/workspace/plugins/greeter/hooks/hooks.json", HOOKS),
        writeFile("/workspace/ok.txt", "fine"),
        textReply("tried"),
      ]),
    );
    const job = await f.wait(f.trigger("tinkerer", { prompt: GREET_PROMPT }).id);
    expect(job).toMatchObject({ status: "completed", docker: true });
    expect(JSON.stringify(fx.standin.mainRequests[0]?.messages[0]?.content)).toContain(EXPANDED);
    const results = toolResults(fx.standin);
    expect(results.map((r) => r.isError)).toEqual([false, true, true, false]);
    expect(results[1]!.text).toMatch(/read-only|EROFS|EBUSY|permission/i);
    expectPluginUnchanged();
    const plugin = join(fx.root.dir, "ws", "plugins", "greeter");
    const tampers = f.status().agents[0]!.configTampers.map((t) => `${t.tool} ${t.path}`);
    expect(tampers.sort()).toEqual(
      [`Edit ${join(plugin, "commands", "greet.md")}`, `Write ${join(plugin, "hooks", "hooks.json")}`].sort(),
    );
    expect(fx.logs.join("\n")).toContain(
      `agent tinkerer tried to change ${join(plugin, "hooks", "hooks.json")}`,
    );
  });
});
