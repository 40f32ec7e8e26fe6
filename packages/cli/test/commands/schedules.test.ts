import { type ChildProcess, spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, BIN, cleanEnv, herdctl, json, tempDir, until, writeFleet } from "../helpers/cli.js";
import { startDaemon, stopDaemon } from "../helpers/daemon.js";

// `herdctl schedules` against a real `herdctl start --offline`: edits land in the agent file with
// its comments kept, and the running scheduler picks them up without a restart.
let dir: string;
let remove: () => Promise<void>;
let daemon: ChildProcess;
let follower: ChildProcess;
const events: Array<{ type: string; payload: Record<string, unknown> }> = [];

const GREETER = `# greeter: says hello
name: greeter        # the name jobs are filed under
working_directory: ../workspace
default_prompt: Say hello to the team.

# no schedules yet: the CLI adds them
`;

/** GREETER with `schedules: <value>` where an added key goes: after the last one, before the trailing comment. */
const withSchedules = (value: string) => GREETER.replace("team.\n", `team.\nschedules: ${value}\n`);

/** Jobs a schedule started, as `logs -f` reports them (its events are the daemon's, live). */
const fired = (schedule: string) =>
  events.filter((e) => e.type === "job:started" && e.payload.schedule === schedule);
const finishedAt = (id: unknown) =>
  events.find((e) => e.type === "job:completed" && e.payload.id === id)?.payload.finishedAt as
    | string
    | undefined;

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-schedules-"));
  await writeFleet(dir);
  await writeFile(join(dir, "agents", "greeter.yaml"), GREETER);
  daemon = await startDaemon(dir);
  follower = spawn(process.execPath, [BIN, "--json", "logs", "-f"], {
    cwd: dir,
    env: cleanEnv(),
    stdio: ["ignore", "pipe", "ignore"],
  });
  let buffered = "";
  follower.stdout!.on("data", (d: Buffer) => {
    buffered += d;
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    for (const line of lines) if (line.trim()) events.push(JSON.parse(line));
  });
});

afterAll(async () => {
  follower?.kill("SIGTERM");
  await stopDaemon(daemon);
  await remove();
});

describe("herdctl schedules with a daemon running", () => {
  it("adds a 1s schedule that fires once per interval, disables it, removes it; the file keeps its comments", async () => {
    const file = join(dir, "agents", "greeter.yaml");
    const bad = await herdctl(["schedules", "add", "greeter", "tick", "--cron", "0 25 * * *"], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /^herdctl: the change was not written: agents\/greeter\.yaml would not load:\n {2}agents\/greeter\.yaml:5:\d+ schedules\.tick\.cron: "0 25 \* \* \*" is not a valid cron expression/,
    );
    expect(await readFile(file, "utf8")).toBe(GREETER);

    const added = await herdctl(["schedules", "add", "greeter", "tick", "--interval", "1s"], { cwd: dir });
    expect(added.stderr).toBe("");
    expect(added.stdout).toMatch(/^added schedule tick of greeter \(agents\/greeter\.yaml\)\n/);
    expect(await readFile(file, "utf8")).toBe(withSchedules("{ tick: { type: interval, interval: 1s } }"));

    await until(() => fired("tick").length >= 3, "three jobs of tick");
    const fires = fired("tick").slice(0, 3);
    expect(new Set(fires.map((f) => f.payload.id)).size).toBe(3);
    // An interval counts from the end of the previous run: one job per interval, never two at
    // once (the watcher's reload of the daemon's own write must not plan a second fire).
    for (let i = 1; i < 3; i++) {
      const previousEnd = finishedAt(fires[i - 1]!.payload.id);
      expect(previousEnd).toBeDefined();
      const gap = Date.parse(fires[i]!.payload.createdAt as string) - Date.parse(previousEnd!);
      expect(gap).toBeGreaterThanOrEqual(950);
      expect(gap).toBeLessThan(5000);
    }

    const off = await herdctl(["schedules", "disable", "greeter", "tick"], { cwd: dir });
    expect(off.stdout).toMatch(/^disabled schedule tick of greeter/);
    expect(await readFile(file, "utf8")).toBe(
      withSchedules("{ tick: { type: interval, interval: 1s, enabled: false } }"),
    );
    // A tick job may have been under way when disable arrived; once it ends, nothing re-arms.
    const lastTick = fired("tick").at(-1)!.payload.id;
    await until(() => finishedAt(lastTick) !== undefined, "the last tick job's end");
    const settled = fired("tick").length;
    // Another 1s schedule is the clock: its second job starts a full interval after its first ended.
    const pace = await herdctl(["schedules", "add", "scribe", "pace", "--interval", "1s"], { cwd: dir });
    expect(pace.code).toBe(0);
    await until(() => fired("pace").length >= 2, "two jobs of pace");
    expect(await herdctl(["schedules", "rm", "scribe", "pace"], { cwd: dir })).toMatchObject({ code: 0 });
    expect(fired("tick").length).toBe(settled);
    const listed = json<{ schedules: Array<{ name: string; enabled: boolean; nextRunAt: string | null }> }>(
      await herdctl(["--json", "schedules", "greeter"], { cwd: dir }),
    ).schedules;
    expect(listed).toEqual([expect.objectContaining({ name: "tick", enabled: false, nextRunAt: null })]);
    expect(fired("tick").length).toBe(settled);

    const rm = await herdctl(["schedules", "rm", "greeter", "tick"], { cwd: dir });
    expect(rm.stdout).toMatch(/^removed schedule tick of greeter/);
    expect(await readFile(file, "utf8")).toBe(withSchedules("{}"));
    const after = json<{ schedules: unknown[] }>(
      await herdctl(["--json", "schedules", "greeter"], { cwd: dir }),
    );
    expect(after.schedules).toEqual([]);

    // The daemon's own writes to a protected file are not an agent's tamper attempt.
    const status = json<{ agents: Array<{ name: string; configTampers: unknown[] }> }>(
      await herdctl(["--json", "status"], { cwd: dir }),
    );
    expect(status.agents.find((a) => a.name === "greeter")!.configTampers).toEqual([]);
  });
});
