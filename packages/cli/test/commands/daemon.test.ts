import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, BIN, cleanEnv, herdctl, json, tempDir, until, writeFleet } from "../helpers/cli.js";
import { startDaemon, stopDaemon } from "../helpers/daemon.js";
import { TmuxSession } from "../helpers/tmux.js";

// The daemon path of logs -f and cancel, against a real `herdctl start --offline`.
let dir: string;
let remove: () => Promise<void>;
let daemon: ChildProcess;

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-daemon-"));
  await writeFleet(dir);
  // Slow replies: the job is still running when we follow and cancel it.
  await writeFile(
    join(dir, "agents", "scribe.yaml"),
    "name: scribe\nworking_directory: ../workspace\ndefault_prompt: |\n  Work slowly.\n  @standin turns 5\n  @standin delay 1500\n",
  );
  daemon = await startDaemon(dir);
  expect(existsSync(join(dir, ".herdctl", "herdctl.sock"))).toBe(true);
});
afterAll(async () => {
  await stopDaemon(daemon);
  await remove();
});

describe("with a daemon running", () => {
  it("logs -f follows a job through the daemon and cancel stops it", async () => {
    const triggered = await herdctl(["--json", "trigger", "scribe"], { cwd: dir });
    expect(triggered.code).toBe(0);
    const id = json<{ id: string }>(triggered).id;
    // Cancel only once the follower has streamed some of the job's output.
    const follower = spawn(process.execPath, [BIN, "--json", "logs", "--job", id, "-f"], {
      cwd: dir,
      env: cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let followedOut = "";
    follower.stdout.on("data", (d) => (followedOut += d));
    const followerExit = new Promise<number | null>((resolve) => follower.on("close", resolve));
    await until(() => followedOut.includes('"type":"job:output"'), "the follower's first output line");
    const cancel = await herdctl(["--json", "cancel", id], { cwd: dir });
    expect(cancel.code).toBe(0);
    expect(json<{ job: { id: string; status: string } }>(cancel).job).toMatchObject({
      id,
      status: "cancelled",
    });
    expect(await followerExit).toBe(0);
    const events = followedOut
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(events.at(-1)).toMatchObject({ type: "job:cancelled", payload: { id, status: "cancelled" } });
    expect(events.filter((e) => e.type === "job:output").length).toBeGreaterThan(0);

    const again = await herdctl(["cancel", id], { cwd: dir });
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`herdctl: job ${id} already ended (cancelled); nothing to cancel\n`);
  });

  it("cancel --force kills claude at once and says so in the job", async () => {
    const triggered = await herdctl(["--json", "trigger", "scribe"], { cwd: dir });
    const id = json<{ id: string }>(triggered).id;
    // Mid-turn: the stand-in is holding a reply back when the cancel arrives.
    for (let status = ""; status !== "running"; ) {
      const shown = await herdctl(["--json", "job", id], { cwd: dir });
      status = json<{ job: { status: string } }>(shown).job.status;
      expect(["queued", "running"]).toContain(status);
    }
    const cancel = await herdctl(["--json", "cancel", "--force", "-y", id], { cwd: dir });
    expect(cancel.code).toBe(0);
    expect(json<{ job: { status: string; error: string } }>(cancel).job).toMatchObject({
      status: "cancelled",
      error: "claude (cli runtime) was cancelled with --force and killed at once",
    });
  });
});

describe("cancel on a terminal (tmux gives it a pty)", () => {
  const tmux = new TmuxSession(`herdctl-cancel-${process.pid}`);
  afterAll(() => tmux.kill());

  /** Runs `cancel <id>` on a terminal and answers its question; the question and the screen after. */
  async function answer(id: string, reply: string): Promise<{ question: string; after: string }> {
    tmux.start(dir, [process.execPath, BIN, "cancel", id], { cols: 200, rows: 20 });
    await until(() => tmux.screen().includes("[y/N]"), "the confirmation question");
    const question = tmux.screen().trim();
    tmux.keys(reply, "Enter");
    await until(() => tmux.exited(), "the command's end");
    const after = tmux.screen();
    tmux.kill();
    return { question, after };
  }

  it("asks before cancelling, and cancels only on yes", async () => {
    // A long silent model turn: the job is still running whatever the answers take.
    const triggered = await herdctl(["--json", "trigger", "scribe", "-p", "Wait.\n@standin delay 120000"], {
      cwd: dir,
    });
    const id = json<{ id: string }>(triggered).id;
    const status = async () =>
      json<{ job: { status: string } }>(await herdctl(["--json", "job", id], { cwd: dir })).job.status;
    for (let now = await status(); now !== "running"; now = await status()) expect(now).toBe("queued");
    const no = await answer(id, "n");
    expect(no.question).toBe(`cancel job ${id} (scribe, running)? [y/N]`);
    expect(no.after).toContain("not cancelled");
    expect(await status()).toBe("running");
    const yes = await answer(id, "y");
    expect(yes.after).toContain(`job ${id} cancelled`);
    expect(await status()).toBe("cancelled");
  });
});
