import { type ChildProcess, execFile, spawn } from "node:child_process";
import { cpSync, existsSync, readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, cleanEnv, freePort, tempDir, until } from "./helpers/cli.js";
import { stopDaemon } from "./helpers/daemon.js";

/**
 * The README's commands, as written. `npx herdctl` runs the command npm linked at
 * node_modules/.bin/herdctl, which `npm ci` makes only from a file present in a fresh clone: the
 * committed bin/herdctl.cjs, not the built bundle. In CI this runs on a clean clone after the
 * README's own set-up (`npm ci`), so a link missing there fails here. The demo fleet is a copy, in
 * a scratch folder that has `examples/demo` in it, so `-c examples/demo` is used verbatim.
 */
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const LINKED = join(ROOT, "node_modules", ".bin", "herdctl");
const run = promisify(execFile);

/** The `npx herdctl …` lines of the README's shell blocks, each as its argument list. */
function readmeCommands(): string[][] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks
    .flatMap((block) => block.split("\n"))
    .map((line) => line.replace(/#.*$/, "").trim())
    .filter((line) => line.startsWith("npx herdctl "))
    .map((line) => line.split(/\s+/).slice(2));
}

let dir: string;
let remove: () => Promise<void>;
let daemon: ChildProcess | undefined;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-readme-"));
  cpSync(join(ROOT, "examples", "demo"), join(dir, "examples", "demo"), {
    recursive: true,
    filter: (src) => !src.includes(`${join("examples", "demo", ".herdctl")}`),
  });
  env = cleanEnv({ HERDCTL_WEB_PORT: String(await freePort()) });
});
afterAll(async () => {
  if (daemon) await stopDaemon(daemon);
  await remove();
});

describe("the README's commands (the linked herdctl, the demo fleet)", () => {
  it("npm linked herdctl to the committed launcher, and --version names herdctl, claude and the SDK", async () => {
    expect(realpathSync(LINKED)).toBe(join(ROOT, "packages", "cli", "bin", "herdctl.cjs"));
    const { stdout } = await run(LINKED, ["--version"], { env });
    const version = (pkg: string) =>
      (
        JSON.parse(readFileSync(join(ROOT, "node_modules", pkg, "package.json"), "utf8")) as {
          version: string;
        }
      ).version;
    expect(stdout).toBe(
      `herdctl ${version("herdctl")}\n` +
        `@anthropic-ai/claude-code ${version("@anthropic-ai/claude-code")}\n` +
        `@anthropic-ai/claude-agent-sdk ${version("@anthropic-ai/claude-agent-sdk")}\n`,
    );
  });

  it("runs every `npx herdctl` line against the running demo, in order, each exiting 0", async () => {
    const commands = readmeCommands();
    // The README's own list: a change there that this test would miss shows up here first.
    expect(commands.map((args) => args.slice(2, 3)[0])).toEqual(["trigger", "status", "jobs", "stop"]);
    // What `npm run demo` starts, through the same linked command.
    daemon = spawn(LINKED, ["start", "-c", "examples/demo", "--offline", "--web"], {
      cwd: dir,
      env,
      stdio: "ignore",
    });
    const socket = join(dir, "examples", "demo", ".herdctl", "herdctl.sock");
    await until(() => existsSync(socket), "the demo daemon's control socket");
    for (const args of commands) {
      const result = await run(LINKED, args, { cwd: dir, env, timeout: 120_000 }).catch(
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
      expect({ args, code: "code" in result ? result.code : 0, stderr: result.stderr }).toMatchObject({
        args,
        code: 0,
      });
      if (args.includes("trigger")) expect(result.stdout).toMatch(/completed/);
    }
    // `stop` was the last line: the daemon ends by itself.
    await until(() => daemon!.exitCode !== null, "the demo daemon to stop");
    expect(daemon.exitCode).toBe(0);
  });
});
