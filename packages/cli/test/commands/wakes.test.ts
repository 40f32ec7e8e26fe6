import type { ChildProcess } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, herdctl, json, tempDir } from "../helpers/cli.js";
import { startDaemon, stopDaemon } from "../helpers/daemon.js";

// A daemon (offline: the stand-in plays the model) whose agent asks claude to wake it in an hour.
let dir: string;
let remove: () => Promise<void>;
let daemon: ChildProcess;

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-wakes-"));
  await mkdir(join(dir, "agents"), { recursive: true });
  await mkdir(join(dir, "workspace"), { recursive: true });
  await writeFile(
    join(dir, "herdctl.yaml"),
    "version: 1\nfleet: { name: waking }\ndefaults: { runtime: cli }\nagents:\n  - path: ./agents/waker.yaml\n",
  );
  await writeFile(
    join(dir, "agents", "waker.yaml"),
    "name: waker\nworking_directory: ../workspace\n" +
      "default_prompt: |\n  Start the build.\n  @standin wakeup 3600 see whether the build passed\n",
  );
  daemon = await startDaemon(dir);
});
afterAll(async () => {
  await stopDaemon(daemon);
  await remove();
});

describe("herdctl wakes and status through the daemon (stand-in model)", () => {
  it("lists the wake a job kept, shows it in status, and cancels it", async () => {
    const run = await herdctl(["trigger", "waker", "--wait"], { cwd: dir });
    expect(run.code, run.stdout + run.stderr).toBe(0);

    const { wakes } = json<{ wakes: Array<{ id: string; agent: string; kind: string; prompt: string }> }>(
      await herdctl(["--json", "wakes", "list"], { cwd: dir }),
    );
    expect(wakes).toHaveLength(1);
    const id = wakes[0]!.id;
    expect(wakes[0]).toMatchObject({ agent: "waker", kind: "once", prompt: "see whether the build passed" });

    const listed = await herdctl(["wakes"], { cwd: dir });
    expect(listed.stdout).toMatch(
      new RegExp(`${id}\\s+waker\\s+once\\s+in (59m|1h).*see whether the build passed`),
    );
    expect((await herdctl(["status", "waker"], { cwd: dir })).stdout).toMatch(
      new RegExp(`wake\\s+${id} once, in (59m|1h).*: see whether the build passed`),
    );
    expect((await herdctl(["status"], { cwd: dir })).stdout).toMatch(new RegExp(`waker wake\\s+${id} once`));

    const cancel = await herdctl(["wakes", "cancel", id], { cwd: dir });
    expect(cancel.stdout).toBe(`wake ${id} of waker cancelled\n`);
    expect((await herdctl(["wakes"], { cwd: dir })).stdout).toBe("no pending wakes\n");
    expect((await herdctl(["status", "waker"], { cwd: dir })).stdout).not.toContain(id);

    const again = await herdctl(["wakes", "cancel", id], { cwd: dir });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`no pending wake "${id}"`);
    const bad = await herdctl(["wakes", "cancel", "../etc"], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"../etc" is not a wake id');
  });
});
