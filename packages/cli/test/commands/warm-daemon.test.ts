import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isAlive as alive } from "../../../../test/setup/process-alive.js";
import { assertBuilt, BIN, cleanEnv, herdctl, json, tempDir, until, writeFleet } from "../helpers/cli.js";
import { stopDaemon, waitingClaudes } from "../helpers/daemon.js";

// `herdctl start --offline` (Anthropic faked by the built-in stand-in), through the built bundle.
describe("the daemon's warm claudes", () => {
  let dir: string;
  let remove: () => Promise<void>;
  let daemon: ChildProcess | undefined;

  beforeEach(async () => {
    assertBuilt();
    ({ dir, remove } = await tempDir("herdctl-warm-"));
    await writeFleet(dir);
  });
  afterEach(async () => {
    if (daemon) await stopDaemon(daemon);
    daemon = undefined;
    await remove();
  });

  async function start(...flags: string[]): Promise<ChildProcess> {
    daemon = spawn(process.execPath, [BIN, "start", "--offline", ...flags], {
      cwd: dir,
      env: cleanEnv(),
      stdio: "ignore",
    });
    await until(() => existsSync(join(dir, ".herdctl", "herdctl.sock")), "the daemon's control socket");
    return daemon;
  }

  async function triggerAndWait(): Promise<{ id: string; pid: number | null; status: string }> {
    const run = await herdctl(["--json", "trigger", "greeter", "--fresh", "--wait"], { cwd: dir });
    expect(run.code).toBe(0);
    const { id } = json<{ id: string }>(run);
    const shown = await herdctl(["--json", "job", id], { cwd: dir });
    return json<{ job: { id: string; pid: number | null; status: string } }>(shown).job;
  }

  it("a trigger by hand leaves a warm claude that the next trigger runs in; stop ends it", async () => {
    const d = await start();
    const first = await triggerAndWait();
    expect(first.status).toBe("completed");
    await until(() => waitingClaudes(d.pid!).length === 1, "a warm claude under the daemon");
    const [warm] = waitingClaudes(d.pid!);
    const second = await triggerAndWait();
    expect(second.status).toBe("completed");
    expect(second.pid).toBe(warm);
    await until(() => waitingClaudes(d.pid!).some((pid) => pid !== warm), "the next warm claude");
    const [next] = waitingClaudes(d.pid!);
    await stopDaemon(d);
    daemon = undefined;
    expect(alive(next!)).toBe(false);
  });

  it("start --no-warm starts no claude ahead of a trigger", async () => {
    const d = await start("--no-warm");
    const job = await triggerAndWait();
    expect(job.status).toBe("completed");
    // The job's own claude is gone once it completed, and nothing waits in its place: a warm claude
    // starts as the job settles, well before the `herdctl job` process above has even started.
    expect(waitingClaudes(d.pid!)).toEqual([]);
    const again = await triggerAndWait();
    expect(again.pid).not.toBe(job.pid);
    expect(waitingClaudes(d.pid!)).toEqual([]);
  });
});
