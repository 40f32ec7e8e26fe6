import type { ChildProcess } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, herdctl, json, tempDir } from "../helpers/cli.js";
import { startDaemon, stopDaemon } from "../helpers/daemon.js";

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
  daemon = await startDaemon(dir);
});
afterAll(async () => {
  await stopDaemon(daemon);
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
