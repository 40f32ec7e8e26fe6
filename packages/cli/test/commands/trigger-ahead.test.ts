import { readdirSync, readFileSync } from "node:fs";
import { mkdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Standin, startStandin, textReply } from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAlive } from "../../../../test/setup/process-alive.js";
import { cachedLaunch } from "../../src/launch-cache.js";
import { modelEnv } from "../helpers/chat.js";
import { assertBuilt, herdctl, json, tempDir } from "../helpers/cli.js";

/**
 * An in-process trigger (no daemon) starts claude from .herdctl/launch-cache.json before it reads
 * the fleet, and its job takes that process only when its own claude is the same one. Real claude
 * and Agent SDK against the Anthropic stand-in; one trigger writes the cache, the next uses it.
 * The cases where the cache no longer applies are checked on the cache itself (no claude needed):
 * a trigger then starts nothing ahead.
 */
let standin: Standin;
let dir: string;
let remove: () => Promise<void>;
let env: Record<string, string>;
/** `${NAME}` in a fleet file. */
const ref = (name: string) => `$${"{"}${name}}`;
const CACHE = () => join(dir, ".herdctl", "launch-cache.json");
const AGENT_FILES = ["herdctl.yaml", "agents/quick.yaml", "agents/sdkquick.yaml"];
const FRESH = { fresh: true };

interface Job {
  id: string;
  sessionId: string | null;
  status: string;
  pid: number | null;
  summary: string | null;
}

/** `fn` run with the environment the triggers run with, and `extra`. */
function withEnv<T>(extra: Record<string, string>, fn: () => T): T {
  const saved = { ...process.env };
  Object.assign(process.env, env, extra);
  try {
    return fn();
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

/** Live claude processes started for this test's fleet (their argv names its files). */
function claudesOf(fleetDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      const state = readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]?.[0];
      if (argv.includes("claude") && argv.includes(fleetDir) && state !== "Z") pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

async function settle(): Promise<void> {
  // Files written this instant leave no cache (their times are too close to the parse); age them.
  const past = new Date(Date.now() - 60_000);
  for (const file of AGENT_FILES) await utimes(join(dir, file), past, past);
}

/**
 * `trigger <agent> --fresh --wait -v` (or with `session` instead of `--fresh`): the job's record,
 * and the pid of the claude started ahead, if any.
 */
async function trigger(
  agent: string,
  extraEnv: Record<string, string> = {},
  session: string[] = ["--fresh"],
): Promise<{ job: Job; ahead?: number; used: boolean; early: boolean }> {
  const r = await herdctl(["--json", "-v", "trigger", agent, "-p", "hi", ...session, "--wait"], {
    cwd: dir,
    env: { ...env, ...extraEnv },
  });
  expect(r.code, r.stderr).toBe(0);
  const started = /claude started ahead from the launch cache \(pid (\d+)\)/.exec(r.stderr);
  return {
    job: json<Job>(r),
    ahead: started ? Number(started[1]) : undefined,
    used: /was used/.test(r.stderr),
    early: r.stderr.includes(", before the program loaded"),
  };
}

beforeAll(async () => {
  assertBuilt();
  standin = await startStandin({ responder: () => textReply("ahead of time") });
  ({ dir, remove } = await tempDir("herdctl-ahead-"));
  env = { ...modelEnv(standin, dir), GREETING_STYLE: "brief" };
  await mkdir(join(dir, "agents"), { recursive: true });
  await mkdir(join(dir, "workspace"), { recursive: true });
  await writeFile(
    join(dir, "herdctl.yaml"),
    "version: 1\nfleet: { name: ahead }\nagents:\n  - path: ./agents/quick.yaml\n  - path: ./agents/sdkquick.yaml\n",
  );
  await writeFile(
    join(dir, "agents", "quick.yaml"),
    `name: quick\nruntime: cli\nworking_directory: ../workspace\nenv:\n  STYLE: "${ref("GREETING_STYLE")}"\n`,
  );
  await writeFile(
    join(dir, "agents", "sdkquick.yaml"),
    "name: sdkquick\nruntime: sdk\nworking_directory: ../workspace\n",
  );
  await settle();
});
afterAll(async () => {
  await standin.close();
  await remove();
});

describe("trigger without a daemon: claude started ahead from the launch cache", () => {
  it("CLI runtime: the second trigger's job runs in the claude started before the fleet was read", async () => {
    const first = await trigger("quick");
    expect(first.ahead).toBeUndefined();
    expect(first.job.status).toBe("completed");
    const second = await trigger("quick");
    expect(second.ahead).toBeDefined();
    expect(second.job).toMatchObject({ status: "completed", summary: "ahead of time", pid: second.ahead });
    expect(second.used).toBe(true);
    // By the CLI's first file, before commander's program loaded (early-start.ts).
    expect(second.early).toBe(true);
  });

  it("a trigger whose command line commander refuses after claude was started early leaves no claude behind", async () => {
    // Both flags read by the first file (it starts claude for --fresh); commander's action refuses the pair.
    const r = await herdctl(["-v", "trigger", "quick", "-p", "hi", "--fresh", "--resume", "x"], {
      cwd: dir,
      env,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("use only one of --fresh, --resume");
    // Killed as the process exits; the kernel may take a moment to finish it.
    const deadline = Date.now() + 10_000;
    while (claudesOf(dir).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(claudesOf(dir)).toEqual([]);
  });

  it("a trigger that fails before its job starts ends the claude it started ahead", async () => {
    // No -p and no default_prompt: the trigger stops once it has read the fleet.
    const r = await herdctl(["-v", "trigger", "quick", "--fresh"], { cwd: dir, env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("has no default_prompt");
    const ahead = Number(/claude started ahead from the launch cache \(pid (\d+)\)/.exec(r.stderr)?.[1]);
    expect(ahead).toBeGreaterThan(0);
    expect(isAlive(ahead)).toBe(false);
  });

  it("the cache is private to this user and holds no secret value", async () => {
    const mode = (await stat(CACHE())).mode & 0o777;
    expect(mode).toBe(0o600);
    const text = await readFile(CACHE(), "utf8");
    expect(text).toContain('"quick"');
    expect(text).not.toContain(env.ANTHROPIC_API_KEY);
  });

  it("is not used after an edit to the fleet file, a claude settings file or a variable the files name", async () => {
    const stateDir = join(dir, ".herdctl");
    const configPath = join(dir, "herdctl.yaml");
    expect(withEnv({}, () => cachedLaunch(stateDir, configPath, "quick", FRESH))).toBeDefined();
    // A variable the agent file names.
    expect(
      withEnv({ GREETING_STYLE: "long" }, () => cachedLaunch(stateDir, configPath, "quick", FRESH)),
    ).toBeUndefined();
    // A claude settings file appears in the agent's working directory, and goes again.
    const settings = join(dir, "workspace", ".claude", "settings.json");
    await mkdir(join(dir, "workspace", ".claude"), { recursive: true });
    await writeFile(settings, "{}\n");
    expect(withEnv({}, () => cachedLaunch(stateDir, configPath, "quick", FRESH))).toBeUndefined();
    await rm(settings);
    expect(withEnv({}, () => cachedLaunch(stateDir, configPath, "quick", FRESH))).toBeDefined();
    // The agent's file, changed (same size, new time).
    await utimes(join(dir, "agents", "quick.yaml"), new Date(), new Date());
    expect(withEnv({}, () => cachedLaunch(stateDir, configPath, "quick", FRESH))).toBeUndefined();
  });

  it("--resume <id>: a claude started ahead for that session only; HERDCTL_LAUNCH_CACHE=0 turns it off", async () => {
    await settle();
    const stateDir = join(dir, ".herdctl");
    const configPath = join(dir, "herdctl.yaml");
    const session = (await trigger("quick")).job.sessionId!;
    const resume = ["--resume", session];
    const resumeOf = (id: string) =>
      withEnv({}, () => cachedLaunch(stateDir, configPath, "quick", { resume: id }));
    // Switched off, a trigger writes no cache (so the next one could not start this session ahead).
    const off = await trigger("quick", { HERDCTL_LAUNCH_CACHE: "0" }, resume);
    expect(off.job).toMatchObject({ status: "completed", sessionId: session });
    expect(off.ahead).toBeUndefined();
    expect(resumeOf(session)).toBeUndefined();
    // Switched on, the resumed job's claude is kept for that session, and only for it.
    const first = await trigger("quick", {}, resume);
    expect(first.ahead).toBeUndefined();
    expect(resumeOf(session)).toBeDefined();
    expect(resumeOf("0b5e3ad0-6c55-4c4e-9a57-2f2c4b0c9d11")).toBeUndefined();
    expect(withEnv({}, () => cachedLaunch(stateDir, configPath, "quick", FRESH))).toBeUndefined();
    // Switched off, nothing is started ahead even though the cache fits (the trigger then stops
    // for want of a prompt, before any claude of its own).
    const noPrompt = await herdctl(["-v", "trigger", "quick", ...resume], {
      cwd: dir,
      env: { ...env, HERDCTL_LAUNCH_CACHE: "0" },
    });
    expect(noPrompt.stderr).toContain("has no default_prompt");
    expect(noPrompt.stderr).not.toContain("started ahead");
    // The same session again: its job runs in the claude started ahead.
    const second = await trigger("quick", {}, resume);
    expect(second.ahead).toBeDefined();
    expect(second.job).toMatchObject({ status: "completed", sessionId: session, pid: second.ahead });
  });

  it("SDK runtime: the second trigger's job runs in the claude started ahead", async () => {
    await settle();
    const first = await trigger("sdkquick");
    expect(first.job.status).toBe("completed");
    const second = await trigger("sdkquick");
    expect(second.ahead).toBeDefined();
    expect(second.job).toMatchObject({ status: "completed", summary: "ahead of time", pid: second.ahead });
  });
});
