import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { projectSlug, resolveClaudeBinary } from "@herdctl/core/internal";
import { script, startStandin, textReply } from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, BIN, cleanEnv, herdctl, json, tempDir, until, writeFleet } from "../helpers/cli.js";

interface Job {
  id: string;
  agent: string;
  status: string;
  sessionId: string | null;
  forkedFrom: string | null;
}

let dir: string;
let remove: () => Promise<void>;
let configDir: string;
/** Every run of claude here keeps its conversations in the test's own config directory. */
let env: Record<string, string>;
/** The first test's finished job: the daemon's test forks it too, instead of running one more. */
let pelican: Job;

const transcript = (sessionId: string) =>
  join(configDir, "projects", projectSlug(realpathSync(join(dir, "workspace"))), `${sessionId}.jsonl`);

async function run(args: string[]) {
  return herdctl(args, { cwd: dir, env });
}

/** A conversation started by hand with the real claude in the agents' working directory. */
async function claudeByHand(prompt: string): Promise<string> {
  const standin = await startStandin();
  standin.setResponder(script([textReply("noted")]));
  try {
    const child = spawn(resolveClaudeBinary(undefined), ["-p", prompt, "--output-format", "json"], {
      cwd: join(dir, "workspace"),
      env: cleanEnv({ ...env, ANTHROPIC_BASE_URL: standin.url, ANTHROPIC_API_KEY: "sk-ant-test-hand" }),
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    await new Promise((resolve) => child.on("close", resolve));
    return (JSON.parse(out) as { session_id: string }).session_id;
  } finally {
    await standin.close();
  }
}

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-fork-"));
  await writeFleet(dir);
  configDir = join(dir, "claude-config");
  env = { CLAUDE_CONFIG_DIR: configDir };
});
afterAll(() => remove());

describe("without a daemon", () => {
  it("trigger --fork branches a finished job: new session, old conversation carried, original untouched", async () => {
    const first = await run([
      "--json",
      "trigger",
      "greeter",
      "--offline",
      "--wait",
      "-p",
      "remember the word pelican",
    ]);
    expect(first.code).toBe(0);
    const a = json<Job>(first);
    pelican = a;
    const before = readFileSync(transcript(a.sessionId!));

    const forked = await run([
      "--json",
      "trigger",
      "greeter",
      "--offline",
      "--wait",
      "--fork",
      a.id,
      "-p",
      "which word?",
    ]);
    expect(forked.code).toBe(0);
    const b = json<Job>(forked);
    expect(b).toMatchObject({ status: "completed", forkedFrom: a.id });
    expect(b.sessionId).not.toBe(a.sessionId);
    expect(readFileSync(transcript(b.sessionId!), "utf8")).toContain("remember the word pelican");
    expect(readFileSync(transcript(a.sessionId!)).equals(before)).toBe(true);

    const shown = await run(["job", b.id]);
    expect(shown.stdout).toMatch(new RegExp(`Forked from: +${a.id}`));

    const wrongAgent = await run(["trigger", "scribe", "--offline", "--fork", a.id]);
    expect(wrongAgent.code).toBe(1);
    expect(wrongAgent.stderr).toContain(
      `job ${a.id} belongs to agent greeter, not scribe; fork it as its own agent: herdctl trigger greeter --fork ${a.id}`,
    );
    const both = await run(["trigger", "greeter", "--fork", a.id, "--fresh"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("use only one of --fresh, --fork");
  });

  it("sessions adopt lists hand-started conversations, adopts one, and the next trigger resumes it", async () => {
    const handMade = await claudeByHand("remember the word heron");
    const listed = await run(["sessions", "adopt", "greeter"]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(handMade);
    expect(listed.stdout).toContain("remember the word heron");

    const missing = "11111111-1111-4111-8111-111111111111";
    const bad = await run(["sessions", "adopt", "greeter", missing]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`no Claude Code session ${missing} in ${join(configDir, "projects")}`);
    expect((await run(["sessions", "adopt", "greeter", "not-a-uuid"])).code).toBe(2);

    const adopted = await run(["sessions", "adopt", "greeter", handMade]);
    expect(adopted.code).toBe(0);
    expect(adopted.stdout).toContain(`agent greeter resumes session ${handMade} on its next job`);
    const next = json<Job>(await run(["--json", "trigger", "greeter", "--offline", "--wait", "-p", "go on"]));
    expect(next).toMatchObject({ status: "completed", sessionId: handMade });
  });
});

describe("through a running daemon", () => {
  let daemon: ChildProcess;
  beforeAll(async () => {
    daemon = spawn(process.execPath, [BIN, "start", "--offline", "--no-warm"], {
      cwd: dir,
      env: cleanEnv(env),
      stdio: "ignore",
    });
    await until(() => existsSync(join(dir, ".herdctl", "herdctl.sock")), "the daemon's control socket");
  });
  afterAll(async () => {
    if (daemon.exitCode !== null) return;
    const exited = new Promise((resolve) => daemon.once("exit", resolve));
    daemon.kill("SIGTERM");
    await Promise.race([exited, sleep(15_000)]);
    if (daemon.exitCode === null) daemon.kill("SIGKILL");
  });

  it("forks and adopts the same way", async () => {
    // A job run without the daemon (the first test's) is forked through it the same way.
    const a = pelican;
    expect(a.status).toBe("completed");
    const b = json<Job>(
      await run(["--json", "trigger", "greeter", "--wait", "--fork", a.id, "-p", "which?"]),
    );
    expect(b).toMatchObject({ status: "completed", forkedFrom: a.id });
    expect(b.sessionId).not.toBe(a.sessionId);
    expect(readFileSync(transcript(b.sessionId!), "utf8")).toContain("remember the word pelican");

    const missing = await run(["trigger", "scribe", "--fork", "job-20250101120000-abcdef"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("Job job-20250101120000-abcdef not found");

    const handMade = await claudeByHand("remember the word kite");
    const listed = json<{ sessions: { sessionId: string }[] }>(
      await run(["--json", "sessions", "adopt", "scribe"]),
    );
    expect(listed.sessions.map((s) => s.sessionId)).toContain(handMade);
    expect((await run(["sessions", "adopt", "scribe", handMade])).code).toBe(0);
    const next = json<Job>(await run(["--json", "trigger", "scribe", "--wait", "-p", "go on"]));
    expect(next).toMatchObject({ status: "completed", sessionId: handMade });
  });
});
