import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { StateManager } from "@herdctl/core/internal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, BIN, cleanEnv, herdctl, tempDir, writeFleet } from "../helpers/cli.js";

let dir: string;
let remove: () => Promise<void>;
let bigJob: string;

// Far more than a pipe holds (64 KiB) plus what the reader takes before closing: the command is
// still writing when its reader goes away.
const JOBS = 1000;
const OUTPUT_LINES = 5000;
const AGENT = "a-rather-long-agent-name-so-every-row-of-the-jobs-table-is-wide";

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-pipe-"));
  await writeFleet(dir);
  const state = new StateManager(join(dir, ".herdctl"));
  state.open();
  try {
    for (let i = 0; i < JOBS; i++)
      state.jobs.create({ agent: AGENT, triggerType: "manual", prompt: "p", runtime: "cli" });
    const job = state.jobs.create({ agent: "greeter", triggerType: "manual", prompt: "p", runtime: "cli" });
    for (let i = 0; i < OUTPUT_LINES; i++) {
      state.appendJobOutput(job.id, {
        type: "assistant",
        message: { role: "assistant", content: [{ type: "text", text: `line ${i} ${"x".repeat(80)}` }] },
      });
    }
    bigJob = job.id;
  } finally {
    state.close();
  }
});
afterAll(() => remove());

/**
 * `herdctl ARGS | head -1` in a real shell. The arguments reach herdctl as "$@", never as shell
 * text; the group reports herdctl's own exit status on stderr, since the pipeline's is head's.
 */
function throughHead(args: string[]): Promise<{ first: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "sh",
      ["-c", '{ "$0" "$@"; echo "herdctl exit $?" >&2; } | head -1', process.execPath, BIN, ...args],
      { cwd: dir, env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] },
    );
    let first = "";
    let stderr = "";
    child.stdout.on("data", (d) => (first += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", () => resolve({ first, stderr }));
  });
}

describe("a reader that closes the pipe early (| head -1)", () => {
  it.each([
    ["jobs", ["jobs", "-l", String(JOBS)]],
    ["job --logs", ["job", "PLACEHOLDER", "--logs"]],
    ["logs", ["logs", "--job", "PLACEHOLDER"]],
    ["logs --json", ["--json", "logs", "--job", "PLACEHOLDER"]],
  ])("ends %s quietly with exit 0", async (_name, args) => {
    const r = await throughHead(args.map((a) => (a === "PLACEHOLDER" ? bigJob : a)));
    expect(r.first.split("\n")).toHaveLength(2);
    expect(r.stderr).toBe("herdctl exit 0\n");
  });
});

describe("the daemon when its output goes away", () => {
  it("keeps running its jobs, only its log stops", async () => {
    const daemon = spawn(process.execPath, [BIN, "start", "--offline", "--no-warm"], {
      cwd: dir,
      env: cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const exited = new Promise<number | null>((resolve) => daemon.on("close", resolve));
      daemon.stdout.destroy();
      daemon.stderr.destroy();
      const socket = join(dir, ".herdctl", "herdctl.sock");
      for (const t0 = Date.now(); !existsSync(socket); ) {
        if (Date.now() - t0 > 60_000) throw new Error("the daemon did not open its socket");
        await new Promise((r) => setTimeout(r, 50));
      }
      // The job's lines in the daemon's log hit the closed pipe while the job runs.
      const job = await herdctl(["trigger", "greeter", "--wait", "-p", "hello"], { cwd: dir });
      expect(job.code).toBe(0);
      expect(daemon.exitCode).toBeNull();
      expect((await herdctl(["stop"], { cwd: dir })).code).toBe(0);
      expect(await exited).toBe(0);
    } finally {
      if (daemon.exitCode === null) daemon.kill("SIGKILL");
    }
  });
});
