import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HostLauncher } from "../../../src/runner/runtime/launcher.js";
import { terminate } from "../../../src/runner/runtime/terminate.js";
import { tempDir } from "../../helpers/fleet.js";
import { until } from "../../helpers/until.js";

/**
 * How a run is stopped: normally claude is asked first (SIGTERM) and gets a grace period; a forced
 * cancel kills it at once. The child here is a real process that records the SIGTERM it is sent
 * and then exits, or keeps running like a claude busy finishing a tool call.
 */
const CHILD = `
const fs = require("node:fs");
process.on("SIGTERM", () => {
  fs.writeFileSync(process.argv[1], "asked to stop");
  if (process.argv[2] === "obliging") process.exit(0);
});
fs.writeFileSync(process.argv[1] + ".ready", "");
setInterval(() => {}, 1000);
`;

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

async function child(marker: string, mode: "obliging" | "stubborn") {
  const proc = new HostLauncher().spawn(process.execPath, ["-e", CHILD, marker, mode], {
    cwd: tmp.dir,
    env: { PATH: process.env.PATH ?? "" },
    signal: new AbortController().signal,
  });
  await until(() => existsSync(`${marker}.ready`), "the child to install its SIGTERM handler");
  return proc;
}

describe("terminate", () => {
  it("asks first: a process that stops when asked ends on its own", async () => {
    const marker = join(tmp.dir, "graceful");
    const proc = await child(marker, "obliging");
    // A grace far longer than any test: terminate returns because the process exited, not on a timer.
    await terminate(proc, 600_000);
    expect(readFileSync(marker, "utf8")).toBe("asked to stop");
    expect(await proc.exited).toEqual({ exitCode: 0, signal: null });
  });

  it("kills at once with no grace (cancel --force): the process is never asked", async () => {
    const marker = join(tmp.dir, "forced");
    const proc = await child(marker, "stubborn");
    await terminate(proc, 0);
    expect((await proc.exited).signal).toBe("SIGKILL");
    expect(existsSync(marker)).toBe(false);
  });
});
