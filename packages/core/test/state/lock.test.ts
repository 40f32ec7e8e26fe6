import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { StateLockedError } from "../../src/state/errors.js";
import { acquireLock, isProcessAlive } from "../../src/state/lock.js";
import { StateManager } from "../../src/state/manager.js";
import { caught, tempDir } from "./helpers.js";

const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill();
});

/** A real process that stays alive until the test ends. */
async function liveProcess(): Promise<number> {
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
  children.push(child);
  await once(child, "spawn");
  return child.pid!;
}

/** The pid of a process that has already exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await once(child, "exit");
  return child.pid!;
}

describe("daemon lock", () => {
  it("writes the pid, and removes the file on release", () => {
    const path = join(tempDir(), "herdctl.lock");
    const lock = acquireLock(path, 4321);
    expect(lock).toMatchObject({ path, pid: 4321 });
    expect(readFileSync(path, "utf8")).toBe("4321\n");
    lock.release();
    lock.release();
    expect(existsSync(path)).toBe(false);
  });

  it("refuses a lock held by a live process, naming its pid", async () => {
    const dir = tempDir();
    const path = join(dir, "herdctl.lock");
    const holder = await liveProcess();
    writeFileSync(path, `${holder}\n`);
    const error = caught(() => acquireLock(path, process.pid));
    expect(error).toBeInstanceOf(StateLockedError);
    expect(error).toMatchObject({ code: "STATE_LOCKED", pid: holder, lockPath: path });
    expect(error.message).toBe(
      `Another herdctl (pid ${holder}) is running on this state directory: ${path} is held. ` +
        `Stop it first (herdctl stop); if pid ${holder} is not herdctl, delete ${path}.`,
    );
    expect(readFileSync(path, "utf8")).toBe(`${holder}\n`);
    expect(readdirSync(dir)).toEqual(["herdctl.lock"]);
  });

  it("takes over a lock left by a dead process", async () => {
    const path = join(tempDir(), "herdctl.lock");
    const dead = await deadPid();
    expect(isProcessAlive(dead)).toBe(false);
    writeFileSync(path, `${dead}\n`);
    const lock = acquireLock(path, process.pid);
    expect(readFileSync(path, "utf8")).toBe(`${process.pid}\n`);
    lock.release();
    expect(existsSync(path)).toBe(false);
  });

  it("takes over a lock file that holds no pid", () => {
    const path = join(tempDir(), "herdctl.lock");
    writeFileSync(path, "garbage");
    acquireLock(path, 777);
    expect(readFileSync(path, "utf8")).toBe("777\n");
  });

  it("a second daemon is refused while the first holds the lock", async () => {
    const path = join(tempDir(), "herdctl.lock");
    const first = await liveProcess();
    const lock = acquireLock(path, first);
    expect(caught(() => acquireLock(path, process.pid))).toBeInstanceOf(StateLockedError);
    lock.release();
    expect(acquireLock(path, process.pid).pid).toBe(process.pid);
  });

  it("does not delete a lock that another process has taken over", () => {
    const path = join(tempDir(), "herdctl.lock");
    const lock = acquireLock(path, 999_999);
    writeFileSync(path, "888\n");
    lock.release();
    expect(readFileSync(path, "utf8")).toBe("888\n");
  });

  it("is taken through the StateManager at herdctl.lock", () => {
    const state = new StateManager(join(tempDir(), "fresh", ".herdctl"));
    const lock = state.acquireLock();
    expect(lock.path).toBe(state.lockPath);
    expect(readFileSync(state.lockPath, "utf8")).toBe(`${process.pid}\n`);
    lock.release();
  });
});
