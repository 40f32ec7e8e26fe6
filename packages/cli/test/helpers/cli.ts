import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const BIN = fileURLToPath(new URL("../../dist/herdctl.cjs", import.meta.url));

export function assertBuilt(): void {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing; build first: npm run build`);
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A clean environment for the binary: no colour forcing, no real credentials, no caller's
 * CLAUDE_CONFIG_DIR, so results do not depend on who runs the tests.
 */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [
    "NO_COLOR",
    "FORCE_COLOR",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "CLAUDE_CODE_OAUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
    "CLAUDE_CONFIG_DIR",
  ])
    delete env[name];
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function herdctl(
  args: string[],
  options: {
    cwd: string;
    env?: Record<string, string | undefined>;
    timeoutMs?: number;
    /** Another build's first file (default: BIN). */
    bin?: string;
  } = {
    cwd: process.cwd(),
  },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [options.bin ?? BIN, ...args], {
      cwd: options.cwd,
      env: cleanEnv(options.env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 90_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** stdout as JSON, with the whole result in the error when it is not. */
export function json<T = Record<string, unknown>>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${r.code}):\n${r.stdout}\n--- stderr ---\n${r.stderr}`);
  }
}

/** A new folder under `base` (the system's temporary folder unless given), and a way to remove it. */
export async function tempDir(
  prefix = "herdctl-cli-",
  base = tmpdir(),
): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(base, prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A two-agent fleet that runs offline: greeter (cli runtime) and scribe (sdk runtime). */
export async function writeFleet(dir: string): Promise<void> {
  await mkdir(join(dir, "agents"), { recursive: true });
  await mkdir(join(dir, "workspace"), { recursive: true });
  await writeFile(
    join(dir, "herdctl.yaml"),
    [
      "version: 1",
      "fleet:",
      "  name: testfleet",
      "defaults:",
      "  model: claude-sonnet-4-5",
      "  permission_mode: acceptEdits",
      "  runtime: cli",
      "agents:",
      "  - path: ./agents/greeter.yaml",
      "  - path: ./agents/scribe.yaml",
      "",
    ].join("\n"),
  );
  await writeFile(
    join(dir, "agents", "greeter.yaml"),
    "name: greeter\nworking_directory: ../workspace\ndefault_prompt: Say hello to the team.\n",
  );
  await writeFile(
    join(dir, "agents", "scribe.yaml"),
    "name: scribe\nworking_directory: ../workspace\ndefault_prompt: Write today's note.\n",
  );
}

export interface TriggeredJob {
  id: string;
  agent: string;
  status: string;
  sessionId: string | null;
}

/** A real job, run by the built binary against the offline stand-in. */
export async function triggerOffline(dir: string, agent: string, prompt?: string): Promise<TriggeredJob> {
  const r = await herdctl(
    ["--json", "trigger", agent, "--offline", "--wait", ...(prompt ? ["-p", prompt] : [])],
    {
      cwd: dir,
    },
  );
  if (r.code !== 0) throw new Error(`trigger ${agent} failed (exit ${r.code}): ${r.stderr}`);
  return json<TriggeredJob>(r);
}

/**
 * Resolves once `check` holds, polling every 100 ms. The deadline only turns a hang into a
 * readable failure before vitest's timeout: on a busy machine a daemon can take many seconds
 * to start, so no test relies on it.
 */
export async function until(check: () => boolean, what: string, timeoutMs = 90_000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not seen within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A port on 127.0.0.1 nobody listens on right now, for a daemon's web server. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}
