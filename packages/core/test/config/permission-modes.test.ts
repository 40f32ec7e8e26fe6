import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadFleet } from "../../src/config/index.js";
import { PERMISSION_MODES } from "../../src/config/schema.js";
import { claudePath } from "../helpers/claude-env.js";
import { tempDir } from "../helpers/fleet.js";

/** The string literals of `export declare type PermissionMode = 'a' | 'b' ...;` in the installed SDK. */
function sdkPermissionModes(): string[] {
  const entry = createRequire(import.meta.url).resolve("@anthropic-ai/claude-agent-sdk");
  const types = readFileSync(join(dirname(entry), "sdk.d.ts"), "utf8");
  const declaration = /export declare type PermissionMode\s*=\s*([^;]+);/.exec(types);
  if (!declaration) throw new Error("the installed Agent SDK's sdk.d.ts declares no PermissionMode type");
  return [...declaration[1]!.matchAll(/'([^']+)'/g)].map((m) => m[1]!);
}

/** The choices `claude --help` lists for --permission-mode, e.g. (choices: "acceptEdits", "auto", …). */
function cliPermissionModes(): string[] {
  const help = execFileSync(claudePath, ["--help"], { encoding: "utf8" });
  const choices = /--permission-mode <mode>[^(]*\(choices:([^)]*)\)/.exec(help);
  if (!choices) throw new Error("claude --help lists no choices for --permission-mode");
  return [...choices[1]!.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
}

describe("permission_mode accepts exactly what the installed SDK and claude accept", () => {
  it("matches the SDK's PermissionMode type together with claude --help's choices", () => {
    const sdk = sdkPermissionModes();
    const cli = cliPermissionModes();
    expect(sdk.length).toBeGreaterThan(3);
    expect(cli.length).toBeGreaterThan(3);
    expect([...PERMISSION_MODES].sort()).toEqual([...new Set([...sdk, ...cli])].sort());
  });
});

describe("which permission modes let an agent-file shell hook run on the host", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  // Only a mode that approves every command without asking anyone equals unrestricted Bash. auto
  // lets claude's classifier approve commands, but a hook would run with no classifier at all, so
  // it must not count; dontAsk and plan refuse what no rule allows.
  it.each(PERMISSION_MODES.map((mode) => [mode, mode === "bypassPermissions"] as const))(
    "%s: runs on the host = %s",
    async (mode, runs) => {
      mkdirSync(join(tmp.dir, "agents"), { recursive: true });
      writeFileSync(join(tmp.dir, "herdctl.yaml"), "version: 1\nagents:\n  - path: ./agents/a.yaml\n");
      writeFileSync(
        join(tmp.dir, "agents", "a.yaml"),
        `name: a\npermission_mode: ${mode}\nhooks:\n  after_run: [{ type: shell, command: id }]\n`,
      );
      const loaded = await loadFleet(tmp.dir, { env: {} });
      const skipped = loaded.warnings.some((w) => w.path === "hooks.after_run[0]");
      expect(skipped).toBe(!runs);
    },
  );
});
