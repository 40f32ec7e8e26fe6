import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { withBuildLock } from "../../src/docker/build-lock.js";

const scratch = mkdtempSync(join(tmpdir(), "herdctl-build-lock-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;
const lockPath = () => join(scratch, `build-${++n}.lock`);

function lines() {
  const said: string[] = [];
  let waited: () => void = () => undefined;
  const waiting = new Promise<void>((resolve) => (waited = resolve));
  return {
    said,
    waiting,
    options: {
      onWait: (line: string) => {
        said.push(line);
        waited();
      },
      onTakeOver: (line: string) => said.push(line),
    },
  };
}

describe("the image build lock", () => {
  it("waits for a live holder on this host, and takes the lock over as soon as that process is killed", async () => {
    const holder = spawn("sleep", ["600"], { stdio: "ignore" });
    const exited = new Promise((resolve) => holder.once("exit", resolve));
    const lock = lockPath();
    writeFileSync(lock, JSON.stringify({ host: hostname(), pid: holder.pid }));
    const log = lines();
    let ran = false;
    const build = withBuildLock(lock, log.options, async () => {
      ran = true;
      return readFileSync(lock, "utf8");
    });
    await log.waiting;
    expect(ran).toBe(false);
    expect(log.said[0]).toContain(`pid ${holder.pid}`);
    holder.kill("SIGKILL");
    await exited;
    const heldWhileRunning = JSON.parse(await build);
    expect(heldWhileRunning).toMatchObject({ host: hostname(), pid: process.pid });
    expect(log.said.at(-1)).toMatch(new RegExp(`pid ${holder.pid}\\) is no longer running: taking over`));
    expect(existsSync(lock)).toBe(false);
  });

  it("takes over a lock whose pid now belongs to another process (a different start time)", async () => {
    const lock = lockPath();
    writeFileSync(lock, JSON.stringify({ host: hostname(), pid: process.pid, started: "1" }));
    const log = lines();
    await expect(withBuildLock(lock, log.options, async () => "built")).resolves.toBe("built");
    expect(log.said).toEqual([expect.stringContaining("is no longer running: taking over")]);
  });

  // Twenty minutes without a sign of life: abandoned, whoever it names. pid 1 never ends: a lock
  // naming it on this host (written by anyone who can write the file) must not hold builds longer.
  it.each([
    ["a holder on another host", "another-host.invalid", "pid 1 on another-host.invalid"],
    ["a process of this host that lives on", hostname(), "pid 1;"],
  ])("takes over a lock naming %s once it is past the age limit", async (_, host, holder) => {
    const lock = lockPath();
    writeFileSync(lock, JSON.stringify({ host, pid: 1 }));
    const log = lines();
    const build = withBuildLock(lock, { ...log.options, staleMs: 60_000 }, async () => "built");
    await log.waiting;
    expect(log.said[0]).toContain(holder);
    const old = (Date.now() - 21 * 60_000) / 1000;
    utimesSync(lock, old, old);
    await expect(build).resolves.toBe("built");
    expect(log.said.at(-1)).toMatch(/21 minutes old: taking over/);
  });

  it("judges an old-style directory lock by age alone", async () => {
    const old = (Date.now() - 21 * 60_000) / 1000;
    const directory = lockPath();
    mkdirSync(directory);
    utimesSync(directory, old, old);
    await expect(withBuildLock(directory, {}, async () => "built")).resolves.toBe("built");
    expect(existsSync(directory)).toBe(false);
  });

  it("lets one waiter at a time build when several find the same dead holder", async () => {
    const holder = spawn("true", { stdio: "ignore" });
    await new Promise((resolve) => holder.once("exit", resolve));
    const lock = lockPath();
    writeFileSync(lock, JSON.stringify({ host: hostname(), pid: holder.pid }));
    let inside = 0;
    let most = 0;
    const takeOvers: string[] = [];
    await Promise.all(
      Array.from({ length: 6 }, () =>
        withBuildLock(lock, { onTakeOver: (line) => takeOvers.push(line) }, async () => {
          inside++;
          most = Math.max(most, inside);
          await new Promise((resolve) => setImmediate(resolve));
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(takeOvers).toHaveLength(1);
    expect(existsSync(lock)).toBe(false);
  });

  it("leaves a lock another process took meanwhile in place when its own build ends", async () => {
    const lock = lockPath();
    const successor = JSON.stringify({ host: hostname(), pid: 999_999_999 });
    await withBuildLock(lock, {}, async () => {
      // As if this build had been frozen and judged dead, and another had taken over.
      writeFileSync(lock, successor);
    });
    expect(readFileSync(lock, "utf8")).toBe(successor);
  });
});
