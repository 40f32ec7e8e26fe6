import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, BIN, cleanEnv, herdctl, json, tempDir, until, writeFleet } from "../helpers/cli.js";
import { stopDaemon, waitingClaudes } from "../helpers/daemon.js";

/**
 * A trigger through the daemon that runs in a warm claude (warm-claudes.ts) whose model turn is
 * silent for a minute: `trigger --wait` keeps waiting and prints the result. A file of its own, so
 * it waits in the silences lane (vitest.config.ts). `herdctl start --offline` (Anthropic faked by
 * the built-in stand-in, whose `@standin delay` holds the reply back).
 */
const SILENCE_MS = 60_000;

let dir: string;
let remove: () => Promise<void>;
let daemon: ChildProcess | undefined;

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-warm-silence-"));
  await writeFleet(dir);
  daemon = spawn(process.execPath, [BIN, "start", "--offline"], {
    cwd: dir,
    env: cleanEnv(),
    stdio: "ignore",
  });
  await until(() => existsSync(join(dir, ".herdctl", "herdctl.sock")), "the daemon's control socket");
});
afterAll(async () => {
  if (daemon) await stopDaemon(daemon);
  await remove();
});

describe("a warm claude's trigger through the daemon", () => {
  it(
    "waits out a model turn silent for 60 s and prints its result",
    async () => {
      const first = await herdctl(["--json", "trigger", "greeter", "--fresh", "--wait"], { cwd: dir });
      expect(first.code, first.stderr).toBe(0);
      await until(() => waitingClaudes(daemon!.pid!).length === 1, "a warm claude under the daemon");
      const [warm] = waitingClaudes(daemon!.pid!);
      const prompt = `@standin delay ${SILENCE_MS}\n@standin text after the long silence`;
      const r = await herdctl(["--json", "trigger", "greeter", "--fresh", "--wait", "-p", prompt], {
        cwd: dir,
        timeoutMs: SILENCE_MS + 120_000,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toContain("lost the daemon");
      const job = json<{ id: string; status: string; summary: string | null; durationMs?: number }>(r);
      expect(job.status).toBe("completed");
      expect(job.summary).toContain("after the long silence");
      const shown = json<{ job: { pid: number | null; startedAt: string; finishedAt: string } }>(
        await herdctl(["--json", "job", job.id], { cwd: dir }),
      ).job;
      expect(shown.pid).toBe(warm);
      expect(Date.parse(shown.finishedAt) - Date.parse(shown.startedAt)).toBeGreaterThanOrEqual(SILENCE_MS);
    },
    SILENCE_MS + 180_000,
  );
});
