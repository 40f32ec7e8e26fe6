import { script, textReply } from "@herdctl/standin";
import { describe, expect, it } from "vitest";
import { CLIRuntime } from "../../../src/runner/runtime/cli-runtime.js";
import { SDKRuntime } from "../../../src/runner/runtime/sdk-runtime.js";
import { claudeEnv, claudePath } from "../../helpers/claude-env.js";
import { writeFleet } from "../../helpers/fleet.js";
import { runtimeFixture } from "../../helpers/job-fixture.js";

// Claude Code names its entry point (sdk-ts or sdk-cli) in one line of the prompt; nothing else differs.
const withoutEntrypoint = (text: string) =>
  text
    .split("\n")
    .filter((line) => !line.includes("cc_entrypoint="))
    .join("\n");

describe("an agent gets the same system prompt from either runtime (real claude, stand-in API)", () => {
  const fx = runtimeFixture({ clearRequests: true, responder: () => script([textReply("ok")]) });

  async function systemPrompts(agentYaml: string): Promise<string[]> {
    const { agent } = await writeFleet(fx.tmp.dir, `permission_mode: acceptEdits\n${agentYaml}`);
    for (const runtime of [new SDKRuntime({ claudePath }), new CLIRuntime({ claudePath })]) {
      const run = runtime.execute({
        prompt: "hi",
        agent,
        env: claudeEnv(fx.standin, fx.tmp.dir),
        signal: new AbortController().signal,
      });
      for await (const _ of run) {
        // drain
      }
    }
    return fx.standin.mainRequests.map((r) => r.systemText);
  }

  it("without system_prompt: Claude Code's own prompt under both", async () => {
    const [sdk, cli] = await systemPrompts("");
    expect(cli!.length).toBeGreaterThan(5000);
    expect(withoutEntrypoint(sdk!)).toBe(withoutEntrypoint(cli!));
  });

  it("system_prompt { append } adds to Claude Code's prompt, the same under both", async () => {
    const [sdk, cli] = await systemPrompts('system_prompt: { append: "Always answer in French." }\n');
    expect(withoutEntrypoint(sdk!)).toBe(withoutEntrypoint(cli!));
    expect(cli!.length).toBeGreaterThan(5000);
    expect(cli!.trimEnd().endsWith("Always answer in French.")).toBe(true);
  });

  it("a system_prompt string replaces it under both", async () => {
    const [sdk, cli] = await systemPrompts('system_prompt: "You are terse."\n');
    expect(withoutEntrypoint(sdk!)).toBe(withoutEntrypoint(cli!));
    expect(sdk).toContain("You are terse.");
    expect(sdk!.length).toBeLessThan(2000);
  });
});
