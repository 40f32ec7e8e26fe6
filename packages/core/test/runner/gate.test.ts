import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { always, type Standin, startStandin, textReply } from "@herdctl/standin";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { isAlive as alive } from "../../../../test/setup/process-alive.js";
import { loadFleet } from "../../src/config/index.js";
import { FleetManager } from "../../src/fleet-manager/fleet-manager.js";
import type { JobRecord } from "../../src/state/index.js";
import { claudeEnv } from "../helpers/claude-env.js";
import { tempDir } from "../helpers/fleet.js";
import { until } from "../helpers/until.js";

/**
 * A fleet whose agent `poller` (host, CLI runtime) has one interval schedule per gate, written in
 * the fleet file (the operator's) unless `inAgentFile`. An interval schedule fires as the fleet
 * starts, so each schedule runs once per test.
 */
function writeFleet(dir: string, gates: Record<string, string>, agentExtra = "", inAgentFile = false): void {
  mkdirSync(join(dir, "agents"), { recursive: true });
  mkdirSync(join(dir, "workspace"), { recursive: true });
  const schedules = Object.entries(gates)
    .map(
      ([name, gate]) =>
        `      ${name}: { type: interval, interval: 1h, prompt: "poll ${name}", gate: ${gate} }\n`,
    )
    .join("");
  writeFileSync(
    join(dir, "agents", "poller.yaml"),
    `name: poller\nworking_directory: ../workspace\nruntime: cli\n${agentExtra}` +
      (inAgentFile ? `schedules:\n${schedules.replaceAll("      ", "  ")}` : ""),
  );
  writeFileSync(
    join(dir, "herdctl.yaml"),
    "version: 1\nfleet: { name: gates }\nagents:\n  - path: ./agents/poller.yaml\n" +
      (inAgentFile ? "" : `    overrides:\n      schedules:\n${schedules.replaceAll("      ", "        ")}`),
  );
}

describe("schedule gates (real claude against the Messages API stand-in)", () => {
  let standin: Standin;
  let tmp: ReturnType<typeof tempDir>;
  let fleet: FleetManager | undefined;
  beforeAll(async () => {
    standin = await startStandin({ responder: always(textReply("worked on it")) });
  });
  afterAll(() => standin.close());
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(async () => {
    await fleet?.stop({ timeoutMs: 0 });
    fleet = undefined;
    tmp.cleanup();
  });

  const start = async (): Promise<FleetManager> => {
    fleet = new FleetManager({ config: tmp.dir, env: claudeEnv(standin, tmp.dir), watchConfig: false });
    await fleet.start();
    return fleet;
  };
  const ended = async (f: FleetManager, count: number): Promise<Map<string, JobRecord>> => {
    const done = () =>
      f.jobs({ agent: "poller" }).jobs.filter((j) => !["queued", "running"].includes(j.status));
    await until(() => done().length >= count, `${count} gated jobs ended`);
    return new Map(done().map((j) => [j.schedule!, j]));
  };
  const promptsSeen = (marker: string) =>
    standin.mainRequests.filter((r) => r.lastUserText?.includes(marker)).map((r) => r.lastUserText!);

  it("exit 0 runs the model with the gate's output in the prompt; exit 1 skips with no model call; another code fails", async () => {
    writeFleet(tmp.dir, {
      work: `"printf 'issue 7: login broken\\nissue 9: typo\\n'; echo \\"agent=$HERDCTL_AGENT\\""`,
      idle: `"echo nothing new since yesterday; exit 1"`,
      broken: `"echo cannot reach the tracker >&2; exit 3"`,
      // The gate's environment never carries claude's credentials.
      nokey: `"test -z \\"$ANTHROPIC_API_KEY$ANTHROPIC_AUTH_TOKEN\\" || exit 4; echo keyless"`,
    });
    const f = await start();
    const jobs = await ended(f, 4);

    expect(jobs.get("work")).toMatchObject({ status: "completed", triggerType: "schedule" });
    const [sent] = promptsSeen("poll work");
    expect(sent).toContain("issue 7: login broken\nissue 9: typo\nagent=poller");
    expect(sent).toMatch(/^poll work\n\nThe schedule's gate found work\. Its output:\n<gate-output>\n/);

    expect(jobs.get("idle")).toMatchObject({
      status: "skipped",
      exitReason: "gate",
      summary: "skipped by the gate: nothing new since yesterday",
      sessionId: null,
      costUsd: null,
    });
    expect(promptsSeen("poll idle")).toEqual([]);

    expect(jobs.get("broken")).toMatchObject({ status: "failed", exitReason: "gate" });
    expect(jobs.get("broken")!.error).toBe(
      "the gate exited with code 3 (0 runs, 1 skips); stderr: cannot reach the tracker",
    );
    expect(promptsSeen("poll broken")).toEqual([]);

    expect(jobs.get("nokey")).toMatchObject({ status: "completed" });
    expect(promptsSeen("poll nokey")[0]).toContain("keyless");

    // Skipped runs are listed and filterable like any other status.
    expect(f.jobs({ status: "skipped" }).jobs.map((j) => j.schedule)).toEqual(["idle"]);
    // A trigger of the schedule (its webhook, `trigger --schedule`) runs its gate like a fire.
    const manual = await f.wait(f.trigger("poller", { schedule: "idle" }).id);
    expect(manual).toMatchObject({ status: "skipped", triggerType: "manual", exitReason: "gate" });
    const output = f.state.readJobOutput(jobs.get("idle")!.id);
    expect(output.map((l) => (l.message as { text?: string }).text)).toContain(
      "skipped by the gate: nothing new since yesterday",
    );
  });

  it("a gate over its timeout fails the job and ends what it started; output over max_output is cut and said", async () => {
    writeFleet(tmp.dir, {
      slow: `{ run: "sleep 30 & echo $! > slow.pid; wait", timeout: 500ms }`,
      chatty: `{ run: "head -c 5000 /dev/zero | tr '\\\\0' x", max_output: 100 }`,
    });
    const f = await start();
    const jobs = await ended(f, 2);
    expect(jobs.get("slow")).toMatchObject({ status: "failed", exitReason: "gate" });
    expect(jobs.get("slow")!.error).toBe("the gate ran longer than its timeout (500 ms)");
    const pid = Number(readFileSync(join(tmp.dir, "workspace", "slow.pid"), "utf8").trim());
    // The gate's process group went with it: its background sleep is gone.
    await until(() => !alive(pid), "the gate's background child was ended");

    expect(jobs.get("chatty")).toMatchObject({ status: "completed" });
    const [sent] = promptsSeen("poll chatty");
    expect(sent).toContain(
      `<gate-output>\n${"x".repeat(100)}\n</gate-output>\n(the gate's output was cut at its max_output)`,
    );
  });

  it("an agent file's gate may not run on the host for an agent that cannot run commands: warned at load, the job fails and says where to move it", async () => {
    writeFleet(tmp.dir, { own: `"echo from the agent file"` }, "", true);
    const loaded = await loadFleet(tmp.dir);
    expect(loaded.warnings.map((w) => w.message)).toContainEqual(
      expect.stringMatching(/^this gate is in the agent file and would run on the host/),
    );
    const f = await start();
    const jobs = await ended(f, 1);
    expect(jobs.get("own")).toMatchObject({ status: "failed", exitReason: "gate" });
    expect(jobs.get("own")!.error).toMatch(/move the gate to the fleet file/);
    expect(promptsSeen("poll own")).toEqual([]);
  });

  it("an agent allowed Bash may keep its gate in its own file", async () => {
    writeFleet(tmp.dir, { own: `"echo from the agent file"` }, "allowed_tools: [Bash]\n", true);
    const f = await start();
    const jobs = await ended(f, 1);
    expect(jobs.get("own")).toMatchObject({ status: "completed" });
    expect(promptsSeen("poll own")[0]).toContain("from the agent file");
  });
});
