import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, BIN, cleanEnv, herdctl, json, tempDir, until } from "../helpers/cli.js";

// A daemon whose agent always meets an overloaded API: its failed job waits for a retry.
let dir: string;
let remove: () => Promise<void>;
let daemon: ChildProcess;

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-retry-"));
  await mkdir(join(dir, "agents"), { recursive: true });
  await mkdir(join(dir, "workspace"), { recursive: true });
  await writeFile(
    join(dir, "herdctl.yaml"),
    "version: 1\nfleet: { name: retrying }\ndefaults: { runtime: cli }\nagents:\n  - path: ./agents/flaky.yaml\n",
  );
  await writeFile(
    join(dir, "agents", "flaky.yaml"),
    "name: flaky\nworking_directory: ../workspace\nretry: { attempts: 3, backoff: 10m }\n" +
      "default_prompt: |\n  Try it.\n  @standin error 529 Overloaded\n",
  );
  daemon = spawn(process.execPath, [BIN, "start", "--offline"], {
    cwd: dir,
    env: cleanEnv(),
    stdio: "ignore",
  });
  await until(() => existsSync(join(dir, ".herdctl", "herdctl.sock")), "the daemon's control socket");
});
afterAll(async () => {
  if (daemon.exitCode === null) {
    const exited = new Promise((resolve) => daemon.once("exit", resolve));
    daemon.kill("SIGTERM");
    await Promise.race([exited, sleep(15_000)]);
    if (daemon.exitCode === null) daemon.kill("SIGKILL");
  }
  await remove();
});

describe("a planned retry through the daemon", () => {
  it("shows in trigger output, status and job, and cancel drops it", async () => {
    const r = await herdctl(["trigger", "flaky", "--wait"], { cwd: dir });
    const id = /^job (\S+) /m.exec(r.stdout)?.[1];
    expect(id, r.stdout + r.stderr).toBeDefined();
    expect(r.stdout).toMatch(/attempt 2 starts in (9|10)m \(retry\)/);

    const status = await herdctl(["status", "flaky"], { cwd: dir });
    expect(status.stdout).toMatch(new RegExp(`retry\\s+${id} failed; attempt 2 of 3 starts in (9|10)m`));
    expect((await herdctl(["status"], { cwd: dir })).stdout).toMatch(/flaky\s+cli\s+0\s+0 \+1 retrying/);
    const shown = await herdctl(["job", id!], { cwd: dir });
    expect(shown.stdout).toMatch(/Status:\s+failed \(api_error: server_error\)/);
    expect(shown.stdout).toMatch(/Next attempt:\s+2, \S+ \(in (9|10)m\)/);

    const cancel = await herdctl(["cancel", id!], { cwd: dir });
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toBe(`job ${id} failed; its next attempt (2) will not run\n`);
    expect((await herdctl(["status", "flaky"], { cwd: dir })).stdout).not.toContain("retry ");
    const { job } = json<{ job: { nextRetryAt: string | null } }>(
      await herdctl(["--json", "job", id!], { cwd: dir }),
    );
    expect(job.nextRetryAt).toBeNull();
    const again = await herdctl(["cancel", id!], { cwd: dir });
    expect(again.stderr).toBe(`herdctl: job ${id} already ended (failed); nothing to cancel\n`);
  });
});
