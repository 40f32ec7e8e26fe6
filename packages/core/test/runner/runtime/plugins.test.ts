import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { script, textReply } from "@herdctl/standin";
import { describe, expect, it } from "vitest";
import type { ResolvedAgent } from "../../../src/config/index.js";
import { buildCliArgs } from "../../../src/runner/runtime/cli-args.js";
import { CLIRuntime } from "../../../src/runner/runtime/cli-runtime.js";
import { hostGuardRules } from "../../../src/runner/runtime/host-guard.js";
import { buildSdkOptions } from "../../../src/runner/runtime/sdk-options.js";
import { SDKRuntime } from "../../../src/runner/runtime/sdk-runtime.js";
import { claudeEnv, claudePath } from "../../helpers/claude-env.js";
import { tempDir, writeFleet } from "../../helpers/fleet.js";
import { runtimeFixture } from "../../helpers/job-fixture.js";
import { EXPANDED, GREET_PROMPT, GREETER, SKILL_MARK } from "../../helpers/plugins.js";

describe("plugins reach claude the way each runtime takes them", () => {
  const agent = {
    name: "a",
    working_directory: "/w",
    plugins: [
      { type: "local", path: "/p/one" },
      { type: "local", path: "/p/two", skipMcpDiscovery: true },
    ],
  } as ResolvedAgent;

  it("CLI: one --plugin-dir per plugin; --plugin-dir-no-mcp (the SDK's own flag) for skipMcpDiscovery", () => {
    const args = buildCliArgs(agent, {});
    expect(args.filter((a) => a.startsWith("--plugin-dir"))).toEqual([
      "--plugin-dir=/p/one",
      "--plugin-dir-no-mcp=/p/two",
    ]);
  });

  it("SDK: the plugins option, SdkPluginConfig for SdkPluginConfig", () => {
    expect(buildSdkOptions(agent, {}, "/w").plugins).toEqual([
      { type: "local", path: "/p/one" },
      { type: "local", path: "/p/two", skipMcpDiscovery: true },
    ]);
    expect(buildSdkOptions({ ...agent, plugins: undefined }, {}, "/w")).not.toHaveProperty("plugins");
  });
});

describe("a plugin folder is protected like the fleet's files", () => {
  it("host: one deny rule covers everything in the folder, its name matched literally", () => {
    const tmp = tempDir("herdctl-guard [x]*-");
    try {
      const folder = join(tmp.dir, "plugins", "greeter");
      mkdirSync(folder, { recursive: true });
      const rules = hostGuardRules(
        { protectedPaths: [folder], stateDir: join(tmp.dir, ".herdctl") },
        tmp.dir,
      );
      const literal = folder.replace(/[\\*?[\]{}!]/g, (c) => `\\${c}`);
      expect(rules[0]).toBe(`Edit(/${literal}/**)`);
    } finally {
      tmp.cleanup();
    }
  });
});

describe.each(["sdk", "cli"] as const)(
  "an agent uses its plugin (%s runtime, real claude, stand-in API)",
  (runtime) => {
    const fx = runtimeFixture({
      clearRequests: true,
      responder: () => script([textReply("Hello there, Bob.")]),
    });

    /** Everything claude sent the model for one job, as text. */
    async function sent(pluginsYaml: string): Promise<{ user: string; all: string }> {
      const { agent } = await writeFleet(
        fx.tmp.dir,
        `runtime: ${runtime}\npermission_mode: acceptEdits\n${pluginsYaml}`,
      );
      const impl = runtime === "sdk" ? new SDKRuntime({ claudePath }) : new CLIRuntime({ claudePath });
      for await (const _ of impl.execute({
        prompt: GREET_PROMPT,
        agent,
        env: claudeEnv(fx.standin, fx.tmp.dir),
        signal: new AbortController().signal,
      })) {
        // drain
      }
      const request = fx.standin.mainRequests[0];
      const first = request?.messages[0];
      const user = JSON.stringify(first?.content ?? "");
      return { user, all: `${request?.systemText ?? ""}\n${JSON.stringify(request?.messages ?? [])}` };
    }

    it("the job prompt /greeter:greet is expanded from the plugin's command, and its skill is offered", async () => {
      const { user, all } = await sent(`plugins: [${GREETER}]\n`);
      expect(user).toContain(EXPANDED);
      expect(all).toContain(SKILL_MARK);
    });

    it("the mapping form with skipMcpDiscovery loads the plugin's command too", async () => {
      const { user } = await sent(
        `plugins:\n  - { type: local, path: ${GREETER}, skipMcpDiscovery: true }\n`,
      );
      expect(user).toContain(EXPANDED);
    });

    it("without the plugin, neither the command text nor the skill reaches the model", async () => {
      const { all } = await sent("");
      expect(all).not.toContain(EXPANDED);
      expect(all).not.toContain(SKILL_MARK);
    });
  },
);
