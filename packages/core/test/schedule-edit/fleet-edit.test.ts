import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { script, textReply } from "@herdctl/standin";
import { beforeAll, describe, expect, it } from "vitest";
import type { ConfigReloadedEvent } from "../../src/fleet-manager/events.js";
import { FleetManager } from "../../src/fleet-manager/fleet-manager.js";
import { claudeEnv } from "../helpers/claude-env.js";
import { clockFleetFixture } from "../helpers/job-fixture.js";
import { writeAgents } from "../helpers/multi-fleet.js";

const START = "2030-01-01T00:00:00.000Z";
const MIN = 60_000;

describe("editing schedules of a running fleet (real claude, stand-in API, fake clock, real watcher)", () => {
  const fx = clockFleetFixture(START);
  beforeAll(() => {
    fx.standin.setResponder(script([textReply("ok")]));
  });

  const agentFile = () => join(fx.tmp.dir, "agents", "worker.yaml");
  const plan = (f: FleetManager, schedule: string) =>
    f.status().agents[0]!.schedules.find((s) => s.name === schedule);

  async function start(): Promise<FleetManager> {
    writeAgents(fx.tmp.dir, {
      worker:
        "runtime: cli\ndefault_prompt: work\n# keep me\nschedules:\n  hourly: { type: interval, interval: 1h, start_delay: 30m }  # steady\n",
    });
    chmodSync(agentFile(), 0o640);
    const fleet = new FleetManager({
      config: fx.tmp.dir,
      env: claudeEnv(fx.standin, fx.tmp.dir),
      clock: fx.clock,
    });
    fx.fleet = fleet;
    await fleet.start();
    return fleet;
  }

  it("adds a schedule without a restart; the watcher's reload of the same write changes nothing", async () => {
    const f = await start();
    const hourlyBefore = plan(f, "hourly")!.nextRunAt;
    const reloads: ConfigReloadedEvent[] = [];
    f.events.on("config:reloaded", (e) => reloads.push(e));
    const fired: string[] = [];
    f.events.on("schedule:fired", (e) => fired.push(e.schedule));

    const result = await f.editSchedule({
      kind: "add",
      agent: "worker",
      name: "tick",
      schedule: { type: "interval", interval: "10m", start_delay: "10m" },
    });
    expect(result).toMatchObject({ action: "added", display: "agents/worker.yaml", written: true });
    expect(statSync(agentFile()).mode & 0o777).toBe(0o640);
    expect(readFileSync(agentFile(), "utf8")).toContain(
      "# keep me\nschedules:\n  hourly: { type: interval, interval: 1h, start_delay: 30m }  # steady\n  tick: { type: interval, interval: 10m, start_delay: 10m }\n",
    );
    expect(reloads).toEqual([{ added: [], removed: [], updated: ["worker"] }]);
    expect(plan(f, "tick")!.nextRunAt).toBe(new Date(Date.parse(START) + 10 * MIN).toISOString());
    // The watcher may see the rename too and reload the same text: nothing to reschedule.
    expect(await f.reload()).toEqual({ ok: true, added: [], removed: [], updated: [] });
    expect(reloads.at(-1)).toEqual({ added: [], removed: [], updated: [] });
    expect(plan(f, "hourly")!.nextRunAt).toBe(hourlyBefore);

    fx.clock.advance(10 * MIN);
    expect(fired).toEqual(["tick"]);
    const job = f.state.jobs.list({ agent: "worker" }).jobs[0]!;
    expect((await f.wait(job.id)).status).toBe("completed");
    expect(fired).toEqual(["tick"]);
  });

  it("disable stops a schedule and clears an older runtime override; rm forgets it", async () => {
    const f = await start();
    await f.editSchedule({ kind: "enabled", agent: "worker", name: "hourly", enabled: false });
    expect(readFileSync(agentFile(), "utf8")).toContain("start_delay: 30m, enabled: false }  # steady\n");
    expect(plan(f, "hourly")).toMatchObject({ enabled: false });
    expect(plan(f, "hourly")!.nextRunAt ?? null).toBeNull();
    expect(f.state.schedules.get("worker", "hourly")?.enabledOverride).toBeNull();

    await f.editSchedule({ kind: "enabled", agent: "worker", name: "hourly", enabled: true });
    expect(readFileSync(agentFile(), "utf8")).toContain("start_delay: 30m, enabled: true }  # steady\n");
    expect(plan(f, "hourly")).toMatchObject({ enabled: true });

    await f.editSchedule({ kind: "remove", agent: "worker", name: "hourly" });
    expect(readFileSync(agentFile(), "utf8")).toBe(
      "name: worker\nworking_directory: ../workspace\nruntime: cli\ndefault_prompt: work\n# keep me\nschedules: {}\n",
    );
    expect(plan(f, "hourly")).toBeUndefined();
    expect(f.state.schedules.get("worker", "hourly")).toBeUndefined();
  });

  it("an invalid edit writes nothing and names the key with its position", async () => {
    const f = await start();
    const before = readFileSync(agentFile(), "utf8");
    const mtime = statSync(agentFile()).mtimeMs;
    await expect(
      f.editSchedule({
        kind: "add",
        agent: "worker",
        name: "bad",
        schedule: { type: "cron", cron: "0 25 * * *" },
      }),
    ).rejects.toMatchObject({
      code: "SCHEDULE_INVALID",
      message: expect.stringMatching(
        /^the change was not written: agents\/worker\.yaml would not load:\n {2}agents\/worker\.yaml:8:\d+ schedules\.bad\.cron: /,
      ),
    });
    expect(readFileSync(agentFile(), "utf8")).toBe(before);
    expect(statSync(agentFile()).mtimeMs).toBe(mtime);
    expect(plan(f, "bad")).toBeUndefined();
  });

  it("refuses when the file changed on disk in the same schedule, and keeps a change elsewhere", async () => {
    const f = await start();
    // Stop the watcher from applying the hand edits first: this is the window the check guards.
    (f as unknown as { watcher: { close(): void } }).watcher.close();
    const original = readFileSync(agentFile(), "utf8");
    writeFileSync(agentFile(), original.replace("interval: 1h", "interval: 2h"));
    await expect(
      f.editSchedule({ kind: "enabled", agent: "worker", name: "hourly", enabled: false }),
    ).rejects.toMatchObject({ code: "SCHEDULE_FILE_CONFLICT" });
    expect(readFileSync(agentFile(), "utf8")).toBe(original.replace("interval: 1h", "interval: 2h"));

    writeFileSync(agentFile(), original.replace("# keep me", "# keep me too"));
    await f.editSchedule({
      kind: "add",
      agent: "worker",
      name: "tick",
      schedule: { type: "interval", interval: "5m" },
    });
    expect(readFileSync(agentFile(), "utf8")).toContain("# keep me too\n");
    expect(readFileSync(agentFile(), "utf8")).toContain("tick: { type: interval, interval: 5m }");
  });

  it("refuses a schedule declared in the fleet file's defaults and says where to edit it", async () => {
    writeAgents(fx.tmp.dir, { worker: "runtime: cli\ndefault_prompt: work\n" });
    const fleetFile = join(fx.tmp.dir, "herdctl.yaml");
    writeFileSync(
      fleetFile,
      readFileSync(fleetFile, "utf8").replace(
        "agents:",
        "defaults:\n  schedules:\n    shared: { type: interval, interval: 1h, start_delay: 1h }\nagents:",
      ),
    );
    const fleet = new FleetManager({
      config: fx.tmp.dir,
      env: claudeEnv(fx.standin, fx.tmp.dir),
      clock: fx.clock,
      watchConfig: false,
    });
    fx.fleet = fleet;
    await fleet.start();
    const before = readFileSync(fleetFile, "utf8");
    await expect(
      fleet.editSchedule({ kind: "enabled", agent: "worker", name: "shared", enabled: false }),
    ).rejects.toMatchObject({
      code: "SCHEDULE_NOT_EDITABLE",
      message:
        "schedule shared of agent worker is set in herdctl.yaml:5:13 (defaults.schedules.shared), not only in its agent file agents/worker.yaml; herdctl edits agent files only, so change it there by hand",
    });
    expect(readFileSync(fleetFile, "utf8")).toBe(before);
  });
});
