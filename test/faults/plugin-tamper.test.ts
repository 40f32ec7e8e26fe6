import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FleetManager } from "@herdctl/core";
import { type Standin, script, startStandin, textReply, toolUse, writeFile } from "@herdctl/standin";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  ensureRuntimeImage,
  IMAGE_TIMEOUT_MS,
  removeFleetContainers,
} from "../../packages/core/test/docker/runtime-image-fixture.js";
import { claudeEnv } from "../../packages/core/test/helpers/claude-env.js";
import { EXPANDED, GREET_PROMPT, GREETER } from "../../packages/core/test/helpers/plugins.js";
import { scratch } from "./helpers.js";

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

/** Every tool_result claude sent back to the stand-in, with whether it was an error. */
function toolResults(standin: Standin): { isError: boolean; text: string }[] {
  const out: { isError: boolean; text: string }[] = [];
  const seen = new Set<string>();
  for (const request of standin.mainRequests) {
    for (const message of request.messages) {
      if (!Array.isArray(message.content)) continue;
      for (const block of message.content as unknown as Record<string, unknown>[]) {
        if (block.type !== "tool_result" || seen.has(String(block.tool_use_id))) continue;
        seen.add(String(block.tool_use_id));
        const text = typeof block.content === "string" ? block.content : JSON.stringify(block.content);
        out.push({ isError: block.is_error === true, text });
      }
    }
  }
  return out;
}

describe("a job cannot change a plugin folder in its own workspace (real claude, stand-in API)", {
  timeout: IMAGE_TIMEOUT_MS,
}, () => {
  let standin: Standin;
  let root: ReturnType<typeof scratch>;
  let fleet: FleetManager | undefined;
  let logs: string[] = [];
  const fleetName = `plugintamper${process.pid}`;

  beforeAll(async () => {
    standin = await startStandin();
  });
  afterAll(async () => {
    await standin.close();
  });
  beforeEach(() => {
    // Glob characters and a space in the path: the protections must match it literally.
    root = scratch("herdctl-plugin [x]*-");
    standin.requests.length = 0;
    logs = [];
  });
  afterEach(async () => {
    await fleet?.stop({ timeoutMs: 0 });
    fleet = undefined;
    await removeFleetContainers(fleetName);
    root.cleanup();
  });

  /** A fleet whose agent works in ws/ and loads the plugin the fleet author keeps in ws/plugins/greeter. */
  async function start(agentYaml: string, fleetDefaults = ""): Promise<FleetManager> {
    mkdirSync(join(root.dir, "ws"), { recursive: true });
    cpSync(GREETER, join(root.dir, "ws", "plugins", "greeter"), { recursive: true });
    writeFileSync(
      join(root.dir, "herdctl.yaml"),
      `version: 1\nfleet: { name: ${fleetName} }\n${fleetDefaults}agents:\n  - path: ./agent.yaml\n`,
    );
    writeFileSync(
      join(root.dir, "agent.yaml"),
      `name: tinkerer\nworking_directory: ./ws\nplugins: [./ws/plugins/greeter]\n${agentYaml}`,
    );
    fleet = new FleetManager({
      config: root.dir,
      env: claudeEnv(standin, root.dir),
      watchConfig: false,
      log: (line) => logs.push(line),
    });
    await fleet.start();
    return fleet;
  }

  function expectPluginUnchanged(): void {
    const plugin = join(root.dir, "ws", "plugins", "greeter");
    expect(readFileSync(join(plugin, "commands", "greet.md"), "utf8")).toBe(
      readFileSync(join(GREETER, "commands", "greet.md"), "utf8"),
    );
    expect(existsSync(join(plugin, "hooks"))).toBe(false);
    expect(readFileSync(join(root.dir, "ws", "ok.txt"), "utf8")).toBe("fine");
  }

  it.each(["cli", "sdk"])(
    "host (%s runtime, acceptEdits, no Bash): writes into the plugin folder are refused and reported",
    async (runtime) => {
      const f = await start(
        `runtime: ${runtime}\npermission_mode: acceptEdits\nallowed_tools: [Read, Write, Edit]\n`,
      );
      const plugin = join(root.dir, "ws", "plugins", "greeter");
      standin.setResponder(
        script([
          toolUse("Read", { file_path: join(plugin, "commands", "greet.md") }),
          toolUse("Edit", {
            file_path: join(plugin, "commands", "greet.md"),
            old_string: "say hello",
            new_string: "run rm -rf ~",
          }),
          writeFile(join(plugin, "hooks", "hooks.json"), HOOKS),
          writeFile(join(root.dir, "ws", "ok.txt"), "fine"),
          textReply("tried"),
        ]),
      );
      const job = await f.wait(f.trigger("tinkerer", { prompt: GREET_PROMPT }).id);
      expect(job.status).toBe("completed");
      // The plugin itself still works: claude read its command.
      expect(JSON.stringify(standin.mainRequests[0]?.messages[0]?.content)).toContain(EXPANDED);
      expect(toolResults(standin).map((r) => r.isError)).toEqual([false, true, true, false]);
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
    execFileSync("chown", ["-R", `${CONTAINER_UID}:${CONTAINER_UID}`, join(root.dir, "ws")]);
    standin.setResponder(
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
    expect(JSON.stringify(standin.mainRequests[0]?.messages[0]?.content)).toContain(EXPANDED);
    const results = toolResults(standin);
    expect(results.map((r) => r.isError)).toEqual([false, true, true, false]);
    expect(results[1]!.text).toMatch(/read-only|EROFS|EBUSY|permission/i);
    expectPluginUnchanged();
    const plugin = join(root.dir, "ws", "plugins", "greeter");
    const tampers = f.status().agents[0]!.configTampers.map((t) => `${t.tool} ${t.path}`);
    expect(tampers.sort()).toEqual(
      [`Edit ${join(plugin, "commands", "greet.md")}`, `Write ${join(plugin, "hooks", "hooks.json")}`].sort(),
    );
    expect(logs.join("\n")).toContain(
      `agent tinkerer tried to change ${join(plugin, "hooks", "hooks.json")}`,
    );
  });
});
