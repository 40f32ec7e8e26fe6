import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { always, type Standin, startStandin, textReply } from "@herdctl/standin";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, type FleetDefinition } from "../../src/config/index.js";
import type { JobMessage } from "../../src/fleet-manager/events.js";
import { FleetManager } from "../../src/fleet-manager/fleet-manager.js";
import { claudeEnv } from "../helpers/claude-env.js";
import { tempDir } from "../helpers/fleet.js";
import { writeAgents } from "../helpers/multi-fleet.js";
import { until } from "../helpers/until.js";

describe("changing a running fleet from code (real claude, stand-in API)", () => {
  let standin: Standin;
  let tmp: ReturnType<typeof tempDir>;
  let fleet: FleetManager | undefined;
  const reply = "runtime reply";

  beforeAll(async () => {
    standin = await startStandin();
  });
  afterAll(() => standin.close());
  beforeEach(() => {
    tmp = tempDir();
    standin.requests.length = 0;
    standin.setResponder(always(textReply(reply)));
  });
  afterEach(async () => {
    await fleet?.stop({ timeoutMs: 0 });
    fleet = undefined;
    tmp.cleanup();
  });

  async function startFileFleet(): Promise<FleetManager> {
    writeAgents(tmp.dir, { base: "runtime: cli\n" });
    fleet = new FleetManager({ config: tmp.dir, env: claudeEnv(standin, tmp.dir), watchConfig: false });
    await fleet.start();
    return fleet;
  }

  async function startObjectFleet(definition: FleetDefinition): Promise<FleetManager> {
    fleet = new FleetManager({ config: definition, baseDir: tmp.dir, env: claudeEnv(standin, tmp.dir) });
    await fleet.start();
    return fleet;
  }

  it("adds an agent to a file fleet, keeps it across a reload, and removes it; file agents stay", async () => {
    const f = await startFileFleet();
    const before = readdirSync(tmp.dir).sort();
    await expect(f.addAgent({ name: "extra", modle: "x" } as never)).rejects.toThrow(
      'addAgent("extra") modle: unknown key "modle"',
    );
    await expect(f.addAgent({ name: "base" })).rejects.toThrow(
      /addAgent\("base"\) name: agent name "base" is already used by agents\/base\.yaml:1:7/,
    );
    expect(await f.addAgent({ name: "extra", runtime: "cli" })).toEqual({
      added: ["extra"],
      removed: [],
      updated: [],
    });
    // A relative working directory resolves against the fleet file's folder.
    expect(f.agent("extra").working_directory).toBe(tmp.dir);
    const job = await f.wait(f.trigger("extra", { prompt: "hello extra" }).id);
    expect(job).toMatchObject({ agent: "extra", status: "completed", summary: reply });
    expect(standin.mainRequests.map((r) => r.lastUserText)).toContain("hello extra");

    expect(await f.reload()).toEqual({ ok: true, added: [], removed: [], updated: [] });
    expect(f.agent("extra").name).toBe("extra");
    expect(await f.reload({ agents: [] })).toEqual({
      ok: false,
      message: "this fleet was loaded from a file; edit the file, then reload without an object",
    });

    await expect(f.removeAgent("base")).rejects.toMatchObject({
      code: "FLEET_NOT_REMOVABLE",
      message: expect.stringContaining(join(tmp.dir, "agents", "base.yaml")),
    });
    expect((await f.removeAgent("extra")).removed).toEqual(["extra"]);
    expect(() => f.trigger("extra", { prompt: "gone" })).toThrow('Agent "extra" not found.');
    expect(f.status().agents.map((a) => a.name)).toEqual(["base"]);
    // Runtime agents live in memory: nothing was written beside the fleet file (the state dir aside).
    expect(readdirSync(tmp.dir).sort()).toEqual(before);
  });

  it("adds and removes schedules: in memory for an added agent, in the agent file for a file agent", async () => {
    const f = await startFileFleet();
    await f.addAgent({ name: "extra", runtime: "cli" });
    const added = await f.addSchedule("extra", "tick", { type: "interval", interval: "1s", prompt: "tick" });
    expect(added).toMatchObject({ action: "added", display: 'addAgent("extra")', written: true });
    const fired: string[] = [];
    f.events.on("schedule:fired", (e) => {
      if (e.agent === "extra" && e.schedule === "tick") fired.push(e.jobId);
    });
    await until(() => fired.length >= 1, "the added schedule fired");
    expect(await f.wait(fired[0]!)).toMatchObject({
      triggerType: "schedule",
      schedule: "tick",
      prompt: "tick",
    });
    await expect(f.addSchedule("extra", "tick", { type: "interval", interval: "5s" })).rejects.toThrow(
      'agent extra already has a schedule tick (addAgent("extra")); pass --replace',
    );
    expect((await f.removeSchedule("extra", "tick")).action).toBe("removed");
    expect(f.agent("extra").schedules?.tick).toBeUndefined();
    await f.wait(fired.at(-1)!);
    expect(f.state.schedules.list({ agent: "extra" })).toEqual([]);

    const agentFile = join(tmp.dir, "agents", "base.yaml");
    await f.addSchedule("base", "nightly", { type: "cron", cron: "0 3 * * *", prompt: "night" });
    expect(readFileSync(agentFile, "utf8")).toMatch(/nightly:[\s\S]*0 3 \* \* \*/);
    expect(f.agent("base").schedules?.nightly?.cron).toBe("0 3 * * *");
    // The agent added at runtime survived the file edit's reload.
    expect(f.agent("extra").name).toBe("extra");
    await f.removeSchedule("base", "nightly");
    expect(readFileSync(agentFile, "utf8")).not.toContain("nightly");
  });

  it("runs a fleet given as an object: errors by key path, reload with a new object, in-memory edits", async () => {
    const bad = new FleetManager({
      config: { agents: [{ name: "a", instances: { max_concurrent: 0 } }] },
      baseDir: tmp.dir,
    });
    const error = await bad.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => `${i.file} ${i.path}`)).toEqual([
      "fleet object agents[0].instances.max_concurrent",
    ]);
    expect(existsSync(join(tmp.dir, ".herdctl"))).toBe(false);

    const definition = { fleet: { name: "obj" }, agents: [{ name: "a", runtime: "cli" as const }] };
    const f = await startObjectFleet(definition);
    // The fleet keeps its own copy: changing the caller's object later changes nothing.
    definition.agents.push({ name: "later", runtime: "cli" });
    expect(f.status().agents.map((a) => a.name)).toEqual(["a"]);
    expect(f.status()).toMatchObject({ fleet: "obj", configPath: "fleet object" });
    expect(f.state.stateDir).toBe(join(tmp.dir, ".herdctl"));

    const job = await f.wait(f.trigger("a", { prompt: "hi a" }).id);
    expect(job).toMatchObject({ status: "completed", summary: reply });

    const grown = { ...definition, agents: [{ name: "a", runtime: "cli" as const }, { name: "b" }] };
    expect(await f.reload(grown)).toEqual({ ok: true, added: ["b"], removed: [], updated: [] });
    const rejected: string[] = [];
    f.events.on("config:rejected", (e) => rejected.push(e.message));
    const refused = await f.reload({ agents: [{ name: "a", timeout: "soon" }] });
    expect(refused.ok).toBe(false);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toContain('fleet object agents[0].timeout: "soon" is not a duration');
    expect(f.status().agents.map((a) => a.name)).toEqual(["a", "b"]);

    const edit = await f.addSchedule("b", "hourly", { type: "cron", cron: "0 * * * *" });
    expect(edit.display).toBe("fleet object agents[1]");
    expect((await f.reload()).ok).toBe(true);
    expect(f.agent("b").schedules?.hourly?.cron).toBe("0 * * * *");
    expect((await f.removeAgent("b")).removed).toEqual(["b"]);
    expect((await f.reload()).ok).toBe(true);
    expect(f.status().agents.map((a) => a.name)).toEqual(["a"]);
  });

  it("refuses bad trigger overrides by option name, and streams typed messages to onMessage", async () => {
    const f = await startFileFleet();
    const missing = join(tmp.dir, "nope");
    expect(() => f.trigger("base", { prompt: "x", workingDirectory: missing })).toThrow(
      `trigger option workingDirectory: ${missing} is not an existing folder; create it or pass another`,
    );
    expect(() =>
      f.trigger("base", { prompt: "x", mcpServers: { notes: { type: "http", url: "ftp://x" } } }),
    ).toThrow(/^trigger option mcpServers\.notes\.url: /);
    expect(() => f.trigger("base", { prompt: "x", model: " " })).toThrow("trigger option model:");
    expect(f.jobs().jobs).toEqual([]);

    const listeners = f.events.listenerCount("job:output");
    const seen: JobMessage[] = [];
    const job = f.trigger("base", {
      prompt: "stream it",
      onMessage(message) {
        seen.push(message);
        // A broken callback must not end the job.
        if (seen.length === 1) throw new Error("callback bug");
      },
    });
    const done = await f.wait(job.id);
    expect(done).toMatchObject({ status: "completed", summary: reply });
    expect(seen[0]).toMatchObject({ type: "system", subtype: "init" });
    const result = seen.find((m) => m.type === "result");
    expect(result).toMatchObject({ subtype: "success", result: reply });
    expect(f.events.listenerCount("job:output")).toBe(listeners);
    expect(f.job(job.id)?.status).toBe("completed");
    // What was stored is what streamed.
    expect(f.jobOutput(job.id)).toEqual(seen);
    expect(f.sessions("base")[0]?.sessionId).toBe(done.sessionId);
  });
});
