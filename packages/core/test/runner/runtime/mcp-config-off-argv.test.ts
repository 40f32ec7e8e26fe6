import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { textReply } from "@herdctl/standin";
import { describe, expect, it } from "vitest";
import { CLIRuntime } from "../../../src/runner/runtime/cli-runtime.js";
import { MCP_CONFIG_VAR } from "../../../src/runner/runtime/mcp-config-fd.js";
import { SDKRuntime } from "../../../src/runner/runtime/sdk-runtime.js";
import { claudeEnv, claudePath } from "../../helpers/claude-env.js";
import { writeFleet } from "../../helpers/fleet.js";
import { runtimeFixture } from "../../helpers/job-fixture.js";

const SERVER = fileURLToPath(new URL("../../fixtures/slow-mcp-server.mjs", import.meta.url));
const TOOL = "mcp__slow__slow";

/** Every process's command line on this machine, as any local user may read it. */
function commandLines(): string[] {
  const lines: string[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      lines.push(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" "));
    } catch {
      // Gone meanwhile.
    }
  }
  return lines;
}

/** The environment of the processes whose command line names `needle`. */
function environmentsOf(needle: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(needle))
        found.push(readFileSync(`/proc/${pid}/environ`, "utf8"));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

// Other local users are not trusted (docs/security.md), and any of them can read every process's
// command line. An MCP server's `env` and `headers` are often tokens: they reach claude over
// stdin (sdk runtime) or on its fd 3 (cli runtime), never on a command line, and the servers work.
describe.each([
  ["sdk", () => new SDKRuntime({ claudePath })],
  ["cli", () => new CLIRuntime({ claudePath })],
] as const)("an MCP server's secrets under the %s runtime (real claude, stand-in API)", (name, make) => {
  const fx = runtimeFixture({ clearRequests: true });

  it("are on no process's command line while claude runs, and the server's tool is offered", async () => {
    const secret = `mcp-token-${randomBytes(8).toString("hex")}`;
    const { agent } = await writeFleet(
      fx.tmp.dir,
      `allowed_tools: [${TOOL}]\nmcp_servers:\n  slow:\n    command: ${JSON.stringify(process.execPath)}\n` +
        `    args: [${JSON.stringify(SERVER)}]\n    env: { SLOW_MCP_TOKEN: "${secret}" }\n    alwaysLoad: true\n`,
    );
    // Taken while claude waits for its first answer: claude and its server are both running.
    let lines: string[] = [];
    let serverEnv: string[] = [];
    fx.standin.setResponder(() => {
      lines = commandLines();
      serverEnv = environmentsOf(SERVER);
      return textReply("done");
    });
    for await (const _ of make().execute({
      prompt: "hello",
      agent,
      env: claudeEnv(fx.standin, fx.tmp.dir),
      signal: new AbortController().signal,
    })) {
      // drain
    }
    expect(fx.standin.mainRequests[0]!.tools.map((t) => t.name)).toContain(TOOL);
    // The snapshot saw the server running, with its token where it belongs: its environment.
    expect(lines.some((line) => line.includes(SERVER))).toBe(true);
    expect(serverEnv.some((env) => env.includes(`SLOW_MCP_TOKEN=${secret}`))).toBe(true);
    expect(lines.filter((line) => line.includes(secret))).toEqual([]);
    const claude = lines.filter((line) => line.includes(claudePath));
    expect(claude.length).toBeGreaterThan(0);
    if (name === "cli") expect(claude.join("\n")).toContain("--mcp-config=/dev/fd/3");
    // Nor is it left in the variable that carried it to the shell step, for claude's children.
    expect(serverEnv.some((env) => env.includes(MCP_CONFIG_VAR))).toBe(false);
  });
});
