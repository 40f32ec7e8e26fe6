import { describe, expect, it } from "vitest";
import { CLIRuntime } from "../../../src/runner/runtime/cli-runtime.js";
import { ContainerRunner } from "../../../src/runner/runtime/container-runner.js";
import { RuntimeError } from "../../../src/runner/runtime/errors.js";
import { RuntimeFactory } from "../../../src/runner/runtime/factory.js";
import { SDKRuntime } from "../../../src/runner/runtime/sdk-runtime.js";
import { tempDir, writeFleet } from "../../helpers/fleet.js";

async function agentFrom(yaml: string, fleetYaml?: string) {
  const tmp = tempDir();
  try {
    return (await writeFleet(tmp.dir, yaml, { fleetYaml })).agent;
  } finally {
    tmp.cleanup();
  }
}

describe("RuntimeFactory", () => {
  it("makes the SDK runtime by default and the CLI runtime on request", async () => {
    expect(RuntimeFactory.create(await agentFrom(""), { stateDir: "/s" })).toBeInstanceOf(SDKRuntime);
    expect(RuntimeFactory.create(await agentFrom("runtime: cli\n"), { stateDir: "/s" })).toBeInstanceOf(
      CLIRuntime,
    );
  });

  it("wraps either runtime in a ContainerRunner when docker.enabled, with the resolved config", async () => {
    for (const runtime of ["sdk", "cli"] as const) {
      const agent = await agentFrom(
        `runtime: ${runtime}\ndocker:\n  enabled: true\n  memory: 512m\n  ephemeral: false\n`,
        "version: 1\ndefaults:\n  docker:\n    network: none\nagents:\n  - path: ./agents/worker.yaml\n",
      );
      const made = RuntimeFactory.create(agent, { stateDir: "/state/.herdctl" });
      expect(made).toBeInstanceOf(ContainerRunner);
      const runner = made as ContainerRunner;
      expect(runner.type).toBe(runtime);
      expect(runner.config).toMatchObject({
        memoryBytes: 512 * 1024 ** 2,
        ephemeral: false,
        network: "none",
      });
      expect(runner.sessionsDir("worker")).toBe("/state/.herdctl/docker-sessions/worker");
    }
  });

  it("does not wrap when docker is disabled", async () => {
    const agent = await agentFrom("docker:\n  enabled: false\n");
    expect(RuntimeFactory.create(agent, { stateDir: "/s" })).toBeInstanceOf(SDKRuntime);
  });

  it("rejects an unknown runtime type with a clear message", async () => {
    const agent = await agentFrom("");
    const bad = { ...agent, runtime: "python" } as unknown as typeof agent;
    expect(() => RuntimeFactory.create(bad, { stateDir: "/s" })).toThrow(RuntimeError);
    expect(() => RuntimeFactory.create(bad, { stateDir: "/s" })).toThrow(
      'the python runtime cannot run this agent: unknown runtime "python" for agent worker; use "sdk" (the default) or "cli"',
    );
  });
});
