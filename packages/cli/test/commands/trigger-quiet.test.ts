import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, herdctl, tempDir, writeFleet } from "../helpers/cli.js";
import { startDaemon, stopDaemon } from "../helpers/daemon.js";

/**
 * `trigger -q`: the final result alone on standard output, for scripts, with and without a daemon;
 * the tool turn before it and the progress lines are not shown.
 */
const PROMPT = "@standin turns 1\n@standin text the quiet answer\n@standin text with a second line";
let dir: string;
let remove: () => Promise<void>;
let daemon: ChildProcess | undefined;

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-quiet-"));
  await writeFleet(dir);
});
afterAll(async () => {
  if (daemon) await stopDaemon(daemon);
  await remove();
});

describe("herdctl trigger -q", () => {
  it("in this process: prints only the result", async () => {
    const r = await herdctl(["trigger", "greeter", "-q", "--offline", "-p", PROMPT], { cwd: dir });
    expect(r).toMatchObject({ code: 0, stdout: "the quiet answer\nwith a second line\n", stderr: "" });
  });

  it("through the daemon: prints only the result; a failed job exits 1 and says why on stderr", async () => {
    daemon = await startDaemon(dir);
    const r = await herdctl(["trigger", "scribe", "-q", "-p", PROMPT], { cwd: dir });
    expect(r).toMatchObject({ code: 0, stdout: "the quiet answer\nwith a second line\n", stderr: "" });
    const failed = await herdctl(["trigger", "scribe", "-q", "-p", "@standin error 500 down for a test"], {
      cwd: dir,
    });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toBe("");
    expect(failed.stderr).toMatch(/^herdctl: job job-\S+ failed: /);
  });
});
