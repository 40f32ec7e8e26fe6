import { appendFile } from "node:fs/promises";
import { join } from "node:path";
import { StateManager } from "@herdctl/core/internal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, herdctl, json, tempDir, writeFleet } from "../helpers/cli.js";
import { startDaemon, stopDaemon } from "../helpers/daemon.js";

const ZONE = "Asia/Kathmandu";
let dir: string;
let remove: () => Promise<void>;
interface Seeded {
  agent: string;
  createdAt: string;
  status: string;
  costUsd: number;
  inputTokens: number;
}
const seeded: Seeded[] = [];

/** 24 finished jobs of greeter and scribe over the last 4 days, recorded as the daemon records them. */
function seed(stateDir: string): void {
  const now = Date.now();
  let clock = 0;
  const state = new StateManager(stateDir, { clock: () => new Date(clock) });
  state.open();
  try {
    for (let i = 0; i < 24; i++) {
      clock = now - 4 * 86_400_000 + i * 4 * 3_600_000 + 7 * 60_000;
      const agent = i % 3 === 0 ? "scribe" : "greeter";
      const job = state.jobs.create({ agent, triggerType: "schedule", prompt: "seed", runtime: "cli" });
      state.jobs.start(job.id);
      clock += [4_000, 40_000, 70_000][i % 3]!;
      const status = i % 5 === 2 ? "failed" : "completed";
      const costUsd = 0.01 * (1 + (i % 6));
      const inputTokens = 500 + i * 100;
      const done = state.jobs.finish(job.id, {
        status: status as "completed",
        exitReason: status === "completed" ? "success" : "error",
        costUsd,
        inputTokens,
        outputTokens: 50,
      });
      seeded.push({ agent, createdAt: done.createdAt, status, costUsd, inputTokens });
    }
  } finally {
    state.close();
  }
}

const usd = (n: number) => `$${n.toFixed(2)}`;

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-usage-"));
  await writeFleet(dir);
  await appendFile(join(dir, "herdctl.yaml"), `budget:\n  timezone: ${ZONE}\n`);
  seed(join(dir, ".herdctl"));
});
afterAll(() => remove());

describe("herdctl usage", () => {
  it("prints per agent and per day, as a table and as JSON, with days in the budgets' zone", async () => {
    const report = json<{
      timezone: string;
      totals: { jobs: number; costUsd: number };
      agents: {
        agent: string;
        jobs: number;
        costUsd: number;
        outcomes: { completed: number; failed: number };
      }[];
      days: { day: string; jobs: number; costUsd: number }[];
    }>(await herdctl(["--json", "usage"], { cwd: dir }));
    expect(report.timezone).toBe(ZONE);
    expect(report.totals.jobs).toBe(seeded.length);
    for (const name of ["greeter", "scribe"]) {
      const mine = seeded.filter((j) => j.agent === name);
      const a = report.agents.find((x) => x.agent === name)!;
      expect(a.jobs).toBe(mine.length);
      expect(a.costUsd).toBeCloseTo(
        mine.reduce((n, j) => n + j.costUsd, 0),
        9,
      );
      expect(a.outcomes.failed).toBe(mine.filter((j) => j.status === "failed").length);
    }
    const byDay = new Map<string, { jobs: number; cost: number }>();
    for (const j of seeded) {
      const day = new Date(j.createdAt).toLocaleDateString("sv-SE", { timeZone: ZONE });
      const d = byDay.get(day) ?? { jobs: 0, cost: 0 };
      d.jobs++;
      d.cost += j.costUsd;
      byDay.set(day, d);
    }
    for (const d of report.days) {
      expect(d.jobs, d.day).toBe(byDay.get(d.day)?.jobs ?? 0);
      expect(d.costUsd).toBeCloseTo(byDay.get(d.day)?.cost ?? 0, 9);
    }

    const agents = await herdctl(["usage"], { cwd: dir });
    expect(agents.code, agents.stderr).toBe(0);
    const lines = agents.stdout.trimEnd().split("\n");
    expect(lines[1]).toMatch(
      /^AGENT\s+JOBS\s+OK\s+FAILED\s+SUCCESS\s+COST\s+TOKENS IN\s+TOKENS OUT\s+MEDIAN DURATION$/,
    );
    const greeter = seeded.filter((j) => j.agent === "greeter");
    const ok = greeter.filter((j) => j.status === "completed").length;
    expect(lines.find((l) => l.startsWith("greeter"))!.split(/\s{2,}/)).toEqual([
      "greeter",
      String(greeter.length),
      String(ok),
      String(greeter.length - ok),
      `${((ok / greeter.length) * 100).toFixed(1)}%`,
      usd(greeter.reduce((n, j) => n + j.costUsd, 0)),
      greeter.reduce((n, j) => n + j.inputTokens, 0).toLocaleString("en"),
      String(greeter.length * 50),
      "30 s–1 min",
    ]);
    expect(lines.at(-1)).toMatch(new RegExp(`^total\\s+${seeded.length}\\s`));

    const days = await herdctl(["usage", "--by", "day", "--since", "2d"], { cwd: dir });
    expect(days.code, days.stderr).toBe(0);
    expect(days.stdout).toContain(`(days in ${ZONE})`);
    const dayRows = days.stdout.trimEnd().split("\n").slice(2, -1);
    expect(dayRows.length).toBeGreaterThanOrEqual(2);
    const since = Date.now() - 2 * 86_400_000;
    const recent = seeded.filter((j) => Date.parse(j.createdAt) >= since);
    const total = days.stdout.trimEnd().split("\n").at(-1)!;
    expect(total.split(/\s{2,}/).slice(0, 3)).toEqual([
      "total",
      String(recent.length),
      usd(recent.reduce((n, j) => n + j.costUsd, 0)),
    ]);
  });

  it("says what is wrong with a bad --by, --since or --agent", async () => {
    const by = await herdctl(["usage", "--by", "week"], { cwd: dir });
    expect(by.code).toBe(2);
    expect(by.stderr).toContain('--by "week": say agent (one row per agent) or day (one row per day)');
    const since = await herdctl(["usage", "--since", "soon"], { cwd: dir });
    expect(since.code).toBe(2);
    expect(since.stderr).toContain('--since "soon" is neither a time');
    const agent = await herdctl(["usage", "--agent", "../x"], { cwd: dir });
    expect(agent.code).toBe(2);
    expect(agent.stderr).toContain('--agent "../x" is not an agent name');
  });

  it("answers the same through a running daemon", async () => {
    const offline = json<{ totals: unknown; agents: unknown; days: unknown }>(
      await herdctl(["--json", "usage", "--since", "2020-01-01T00:00:00Z"], { cwd: dir }),
    );
    const daemon = await startDaemon(dir);
    try {
      const through = json<{ totals: unknown; agents: unknown; days: unknown }>(
        await herdctl(["--json", "usage", "--since", "2020-01-01T00:00:00Z"], { cwd: dir }),
      );
      expect(through.totals).toEqual(offline.totals);
      expect(through.agents).toEqual(offline.agents);
      expect(through.days).toEqual(offline.days);
      const bad = await herdctl(["usage", "--since", "2999-01-01T00:00:00Z"], { cwd: dir });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("must be before until");
    } finally {
      await stopDaemon(daemon);
    }
  });
});
