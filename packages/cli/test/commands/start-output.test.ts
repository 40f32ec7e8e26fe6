import { type ChildProcess, spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, BIN, cleanEnv, herdctl, tempDir, until, writeFleet } from "../helpers/cli.js";

// What `herdctl start --web` prints over a whole run: the summary, a reload, the stop.
let dir: string;
let remove: () => Promise<void>;
let daemon: ChildProcess;
let out = "";
let startedAt: number;
let summaryAt: number;
const exited = () => daemon.exitCode !== null || daemon.signalCode !== null;

const greeter =
  "name: greeter\nworking_directory: ../workspace\ndefault_prompt: Say hello.\nschedules:\n" +
  "  tick: { type: interval, interval: 1h }\n" +
  "  later: { type: interval, interval: 1h, start_delay: 2h }\n" +
  '  nightly: { type: cron, cron: "0 3 * * *", timezone: UTC }\n' +
  "  hook: { type: webhook, secret_env: NO_SUCH_SECRET_IN_THIS_TEST }\n";

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-start-output-"));
  await writeFleet(dir);
  await writeFile(join(dir, "agents", "greeter.yaml"), greeter);
  startedAt = Date.now();
  daemon = spawn(process.execPath, [BIN, "start", "--offline", "--no-warm", "--web", "--web-port", "0"], {
    cwd: dir,
    env: cleanEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  daemon.stdout?.on("data", (d) => (out += d));
  daemon.stderr?.on("data", (d) => (out += d));
  await until(() => out.includes("Ctrl-C to stop") || exited(), "the start summary");
  summaryAt = Date.now();
  expect(out).toContain("Ctrl-C to stop");
});
afterAll(async () => {
  if (!exited()) daemon.kill("SIGKILL");
  await remove();
});

const utc = (text: string) => Date.parse(`${text.replace(" ", "T")}Z`);

describe("herdctl start", () => {
  it("shows each schedule's first fire time, absolute and relative; an interval one fires at start", () => {
    const line = (name: string) => out.split("\n").find((l) => l.trimStart().startsWith(`${name}:`)) ?? "";
    const at = /first run (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC \((.+)\)$/;

    const tick = at.exec(line("tick"));
    expect(line("tick")).toMatch(/^ {4}tick: every 1h · first run /);
    expect(tick?.[2]).toMatch(/^(now|\d+s ago)$/);
    expect(utc(tick![1]!)).toBeGreaterThanOrEqual(Math.floor(startedAt / 1000) * 1000);

    const later = at.exec(line("later"));
    expect(line("later")).toMatch(/^ {4}later: every 1h · first run /);
    expect(later?.[2]).toBe("in 2h");
    expect(utc(later![1]!)).toBeGreaterThanOrEqual(Math.floor(startedAt / 1000) * 1000 + 2 * 3600_000);
    expect(utc(later![1]!)).toBeLessThanOrEqual(summaryAt + 2 * 3600_000);

    const nightly = at.exec(line("nightly"));
    // Within half an hour after 03:00 UTC the next fire is over 23.5 h away, which reads "in 1d".
    expect(line("nightly")).toMatch(
      /^ {4}nightly: cron 0 3 \* \* \* \(UTC\) · first run \S+ 03:00:00 UTC \(in (\d+[mh]|1d)\)$/,
    );
    expect(utc(nightly![1]!) - summaryAt).toBeLessThanOrEqual(24 * 3600_000);

    expect(line("hook")).toBe("    hook: on webhook · runs on each signed request");
  });

  it("prints the dashboard URL once, and a reload once, over a whole run", async () => {
    const url = /dashboard: (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    expect(url).toBeDefined();
    await writeFile(
      join(dir, "agents", "scribe.yaml"),
      "name: scribe\nworking_directory: ../workspace\nmodel: claude-opus-4-1\n",
    );
    await until(() => out.includes("config reloaded"), "the reload line");
    const stopped = await herdctl(["stop"], { cwd: dir });
    expect(stopped.code).toBe(0);
    await until(exited, "the daemon's exit");
    // Counted once the process is gone, so nothing printed late is missed.
    const lines = out.split("\n");
    const mentionsUrl = lines.filter((l) => new RegExp(`${url}(?!/)`).test(l));
    expect(mentionsUrl).toEqual([`dashboard: ${url}`]);
    expect(lines.filter((l) => l.includes("config reloaded"))).toHaveLength(1);
    expect(lines.filter((l) => l.includes("config reloaded"))[0]).toMatch(/config reloaded: \+0 −0 ~1$/);
  });
});
