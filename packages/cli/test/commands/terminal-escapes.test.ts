import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { StateManager } from "@herdctl/core/internal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, BIN, cleanEnv, herdctl, tempDir, triggerOffline, writeFleet } from "../helpers/cli.js";

const ESC = "\u001b";
const BEL = "\u0007";
// A reply that, printed raw, would retitle the window, clear the screen and plant a hidden link.
const HOSTILE = `title${ESC}]0;pwned${BEL} clear${ESC}[2J link${ESC}]8;;http://evil.example${ESC}\\click${ESC}]8;;${ESC}\\ end`;
const SHOWN = "title␛]0;pwned␇ clear␛[2J link␛]8;;http://evil.example␛\\click␛]8;;␛\\ end";
const PROMPT = `Reply with escapes.\n@standin text ${HOSTILE}`;

let dir: string;
let remove: () => Promise<void>;
let jobId: string;

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-escapes-"));
  await writeFleet(dir);
  jobId = (await triggerOffline(dir, "greeter", PROMPT)).id;
});
afterAll(() => remove());

function expectNeutralised(text: string): void {
  expect(text).toContain(SHOWN);
  expect(text).not.toContain(ESC);
  expect(text).not.toContain(BEL);
}

describe("model output with terminal escape sequences", () => {
  it("is stored byte for byte", () => {
    const state = new StateManager(join(dir, ".herdctl"));
    state.open();
    try {
      const texts = state
        .readJobOutput(jobId)
        .flatMap((l) => (l.message as { message?: { content?: { text?: string }[] } }).message?.content ?? [])
        .map((b) => b.text);
      expect(texts).toContain(HOSTILE);
      expect(state.jobs.require(jobId).prompt).toBe(PROMPT);
    } finally {
      state.close();
    }
  });

  it("is shown, not obeyed, by trigger, jobs, job and logs", async () => {
    const trigger = await herdctl(["trigger", "greeter", "--offline", "--wait", "-p", PROMPT], { cwd: dir });
    expect(trigger.code).toBe(0);
    expectNeutralised(trigger.stdout);
    const jobs = await herdctl(["jobs"], { cwd: dir });
    expect(jobs.stdout).toContain("title␛]0;pwned␇ clear␛[2J");
    expect(jobs.stdout).not.toContain(ESC);
    const job = await herdctl(["job", jobId, "--logs"], { cwd: dir });
    expectNeutralised(job.stdout);
    const logs = await herdctl(["logs", "--job", jobId], { cwd: dir });
    expectNeutralised(logs.stdout);
  });

  it("keeps herdctl's own colours on a terminal while neutralising the model's", () => {
    // script(1) gives the binary a pty, so colour is on.
    const out = execFileSync(
      "script",
      ["-qfec", `"${process.execPath}" "${BIN}" logs --job ${jobId}`, "/dev/null"],
      { cwd: dir, env: cleanEnv({ TERM: "xterm-256color" }), encoding: "utf8" },
    );
    expect(out).toContain(`${ESC}[1m── ${jobId}`);
    expect(out).toContain(SHOWN);
    expect(out).not.toContain(`${ESC}]`);
    expect(out).not.toContain(`${ESC}[2J`);
  });

  it("is shown, not obeyed, in the daemon's log", async () => {
    let daemon: ChildProcess | undefined;
    try {
      daemon = spawn(process.execPath, [BIN, "start", "--offline", "--no-warm", "-v"], {
        cwd: dir,
        env: cleanEnv(),
        stdio: ["ignore", "pipe", "pipe"],
      });
      let log = "";
      daemon.stdout!.on("data", (d) => (log += d));
      daemon.stderr!.on("data", (d) => (log += d));
      await until(() => existsSync(join(dir, ".herdctl", "herdctl.sock")));
      const triggered = await herdctl(["trigger", "greeter", "--wait", "-p", PROMPT], { cwd: dir });
      expect(triggered.code).toBe(0);
      await until(() => /greeter job-\S+ completed/.test(log));
      expectNeutralised(log);
      expect((await herdctl(["stop"], { cwd: dir })).code).toBe(0);
    } finally {
      if (daemon?.exitCode === null) daemon.kill("SIGKILL");
    }
  });
});

async function until(check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
