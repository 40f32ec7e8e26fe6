import { execFileSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { FleetManager } from "@herdctl/core";
import { offlineResponder, type Standin, startStandin, textReply } from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claudeEnv } from "../../packages/core/test/helpers/claude-env.js";
import { scratch, until, writeFleetFiles } from "./helpers.js";

/**
 * The state directory sits on a 2 MB tmpfs. Filled to the last byte, a job must fail with
 * STATE_DISK_FULL, leave the database intact and no half line in any output file; once space
 * returns the same daemon runs jobs again.
 */
let standin: Standin;
let fleet: FleetManager;
let root: string;
let stateDir: string;
let cleanup: () => void;
const log: string[] = [];

function fillDisk(path: string): void {
  const fd = openSync(path, "w");
  const block = Buffer.alloc(4096, 120);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
  }
  // Tail bytes smaller than a block.
  try {
    for (;;) writeSync(fd, Buffer.alloc(1, 120));
  } catch {}
  closeSync(fd);
}

beforeAll(async () => {
  const s = scratch("herdctl-faults-disk-");
  root = s.dir;
  cleanup = s.cleanup;
  stateDir = join(root, "state");
  mkdirSync(stateDir);
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", stateDir]);
  writeFleetFiles(root, "diskfull", { worker: "runtime: cli\n" });
  standin = await startStandin({
    responder: () => textReply("a reply long enough to need some room on the disk. ".repeat(20)),
  });
  fleet = new FleetManager({
    config: root,
    stateDir,
    env: claudeEnv(standin, root),
    watchConfig: false,
    log: (line) => log.push(line),
  });
  await fleet.start();
});
afterAll(async () => {
  await fleet?.stop({ timeoutMs: 5_000 });
  await standin?.close();
  try {
    execFileSync("umount", [stateDir]);
  } finally {
    cleanup?.();
  }
});

function outputFilesAreWholeLines(): void {
  const jobsDir = join(stateDir, "jobs");
  for (const name of readdirSync(jobsDir)) {
    const text = readFileSync(join(jobsDir, name), "utf8");
    if (text === "") continue;
    expect(text.endsWith("\n"), `${name} ends mid-line`).toBe(true);
    for (const line of text.trimEnd().split("\n")) expect(() => JSON.parse(line)).not.toThrow();
  }
}

describe("disk full on the state directory (tmpfs)", () => {
  it("fails a job with STATE_DISK_FULL, keeps the database intact, and recovers when space returns", async () => {
    const first = await fleet.wait(fleet.trigger("worker", { prompt: "warm up" }).id);
    expect(first.status).toBe("completed");

    const filler = join(stateDir, "filler.bin");
    fillDisk(filler);
    let surfaced: { code?: string; message: string } | undefined;
    let jobId: string | undefined;
    try {
      jobId = fleet.trigger("worker", { prompt: "no room for me" }).id;
      const ended = await fleet.wait(jobId);
      surfaced = { code: undefined, message: `${ended.status}: ${ended.error}` };
    } catch (error) {
      surfaced = error as { code?: string; message: string };
    }
    expect(surfaced?.code).toBe("STATE_DISK_FULL");
    expect(surfaced?.message).toContain("No space left on the device");
    outputFilesAreWholeLines();
    expect(fleet.state.integrityCheck()).toEqual([]);

    rmSync(filler);
    const after = await fleet.wait(fleet.trigger("worker", { prompt: "room again" }).id);
    expect(after.status).toBe("completed");
    expect(fleet.status().state).toBe("running");
    outputFilesAreWholeLines();
  });

  it("ends a running job whose output can no longer be written, and recovers when space returns", async () => {
    // The model answers only once the disk is full, so the reply is certain to meet a full disk
    // however long claude takes to start.
    let diskFull: () => void = () => {};
    const filled = new Promise<void>((resolve) => {
      diskFull = resolve;
    });
    standin.setResponder(async (req, ctx) => {
      await filled;
      return offlineResponder(req, ctx);
    });
    const job = fleet.trigger("worker", { prompt: "slow one" });
    await until(() => (standin.mainRequests.some((r) => r.lastUserText === "slow one") ? true : undefined));
    const filler = join(stateDir, "filler.bin");
    fillDisk(filler);
    diskFull();
    // Bounded: the job must end (not stay "running" forever) even though its row cannot be written.
    const ended = await Promise.race([
      fleet.wait(job.id).then(
        (j) => ({ ok: true as const, job: j }),
        (e: unknown) => ({ ok: false as const, error: e as { code?: string; message: string } }),
      ),
      new Promise<"stuck">((r) => setTimeout(() => r("stuck"), 90_000).unref()),
    ]);
    expect(ended).not.toBe("stuck");
    standin.setResponder(offlineResponder);
    outputFilesAreWholeLines();
    rmSync(filler);
    const after = await fleet.wait(fleet.trigger("worker", { prompt: "room again" }).id);
    expect(after.status).toBe("completed");
    expect(fleet.state.integrityCheck()).toEqual([]);
    // The job that lost its disk is not left running once space returns.
    const record = await until(() => {
      const j = fleet.state.jobs.require(job.id);
      return j.status === "running" ? undefined : j;
    });
    expect(record.status).toBe("failed");
    expect(record.error).toContain("No space left on the device");
    expect(fleet.status().counts.running).toBe(0);
  });
});
