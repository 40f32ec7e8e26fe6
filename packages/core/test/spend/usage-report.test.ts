import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresSchema } from "../../../../test/setup/postgres.js";
import { daysBetween, offsetSpans } from "../../src/spend/local-days.js";
import { DURATION_EDGES_MS, usageReport } from "../../src/spend/usage-report.js";
import { type JobRecord, StateManager, type TerminalJobStatus } from "../../src/state/index.js";
import { BACKENDS, type Backend, fakeClock } from "../state/helpers.js";

const ZONE = "Europe/Berlin";
const AGENTS = ["alpha", "beta", "gamma"];
const ENDINGS: TerminalJobStatus[] = [
  "completed",
  "completed",
  "completed",
  "failed",
  "timed_out",
  "cancelled",
];

/** A small deterministic generator, so a failure reproduces. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

/**
 * The seeded SQLite state's jobs, row for row, in a Postgres schema of its own: the same data on
 * both backends (1,800 repository calls over the socket took most of a minute on a loaded machine).
 */
function copyToPostgres(from: StateManager, dir: string): { state: StateManager; drop(): void } {
  const schema = postgresSchema();
  const state = new StateManager(join(dir, ".herdctl-pg"), {
    backend: { kind: "postgres", url: schema.url },
  });
  state.open();
  type Opened = { opened(): { db: import("../../src/state/db-interface.js").Db } };
  const source = (from as unknown as Opened).opened().db;
  const target = (state as unknown as Opened).opened().db;
  const rows = source.prepare("SELECT * FROM jobs ORDER BY id").all() as Record<string, unknown>[];
  const columns = Object.keys(rows[0]!);
  target.transaction(() => {
    for (let i = 0; i < rows.length; i += 100) {
      const chunk = rows.slice(i, i + 100);
      target
        .prepare(
          `INSERT INTO jobs (${columns.join(", ")}) VALUES ${chunk.map(() => `(${columns.map(() => "?").join(", ")})`).join(", ")}`,
        )
        .run(...chunk.flatMap((row) => columns.map((c) => row[c])));
    }
  })();
  return { state, drop: () => schema.drop() };
}

/**
 * 600 jobs over 12 days around Berlin's switch to summer time (29 March 2026), through the
 * repository as the daemon records them: some still running, some never started. On Postgres,
 * the same rows copied into a schema of their own, dropped after the file.
 */
function seed(backend: Backend) {
  const clock = fakeClock();
  const dir = mkdtempSync(join(tmpdir(), "herdctl-usage-"));
  const sqlite = new StateManager(join(dir, ".herdctl"), { clock: clock.now });
  sqlite.open();
  let state = sqlite;
  let drop = () => {};
  const cleanup = () => {
    sqlite.close();
    state.close();
    drop();
    rmSync(dir, { recursive: true, force: true });
  };
  const next = random(7);
  const from = Date.parse("2026-03-23T00:00:00Z");
  const times = Array.from({ length: 600 }, () => from + Math.floor(next() * 12 * 86_400_000)).sort();
  const jobs: JobRecord[] = [];
  for (const [i, at] of times.entries()) {
    clock.set(new Date(at).toISOString());
    const job = state.jobs.create({
      agent: AGENTS[i % 3]!,
      triggerType: "manual",
      prompt: "p",
      runtime: "cli",
    });
    if (i % 50 === 7) {
      jobs.push(job);
      continue;
    }
    clock.advance(Math.floor(next() * 2_000));
    state.jobs.start(job.id);
    if (i % 50 === 8) {
      jobs.push(state.jobs.require(job.id));
      continue;
    }
    clock.advance(Math.floor(next() ** 3 * 5_400_000));
    const status = ENDINGS[Math.floor(next() * ENDINGS.length)]!;
    jobs.push(
      state.jobs.finish(job.id, {
        status,
        exitReason: status === "completed" ? "success" : "error",
        costUsd: i % 11 === 0 ? undefined : Math.round(next() * 50_000) / 100_000,
        inputTokens: Math.floor(next() * 5_000),
        outputTokens: Math.floor(next() * 2_000),
        cacheReadTokens: Math.floor(next() * 90_000),
        cacheCreationTokens: i % 4 === 0 ? undefined : Math.floor(next() * 9_000),
      }),
    );
  }
  if (backend === "postgres") ({ state, drop } = copyToPostgres(sqlite, dir));
  return { state, jobs, cleanup };
}

const localDay = (iso: string) => new Date(iso).toLocaleDateString("sv-SE", { timeZone: ZONE });
const bucketOf = (ms: number) => {
  let i = 0;
  while (i < DURATION_EDGES_MS.length && ms >= DURATION_EDGES_MS[i]!) i++;
  return i;
};

// The same report on both backends: the expected numbers are summed here from the records.
describe.each(BACKENDS)("usage report [%s]", (backend) => {
  let state: StateManager;
  let jobs: JobRecord[];
  let inRange: JobRecord[];
  let cleanup = () => {};
  const since = new Date("2026-03-24T10:00:00Z");
  const until = new Date("2026-04-02T18:30:00Z");
  const now = new Date("2026-04-10T00:00:00Z");
  // One seed for both groups below: the second changes jobs, so it runs after the first.
  beforeAll(() => {
    ({ state, jobs, cleanup } = seed(backend));
    inRange = jobs.filter((j) => j.createdAt >= since.toISOString() && j.createdAt < until.toISOString());
  });
  afterAll(() => cleanup());

  it("sums spend and tokens per local day and agent, across a daylight-saving change", () => {
    const report = usageReport(state, { since, until, timezone: ZONE, now });
    const expected = new Map<string, { jobs: number; cost: number; byAgent: Record<string, number> }>();
    for (const j of inRange) {
      const day = expected.get(localDay(j.createdAt)) ?? { jobs: 0, cost: 0, byAgent: {} };
      day.jobs++;
      day.cost += j.costUsd ?? 0;
      day.byAgent[j.agent] = (day.byAgent[j.agent] ?? 0) + (j.costUsd ?? 0);
      expected.set(localDay(j.createdAt), day);
    }
    // Every day of the range is listed, empty or not.
    expect(report.days.map((d) => d.day)).toEqual(daysBetween(since, until, ZONE));
    expect(report.days[0]!.day).toBe("2026-03-24");
    expect(report.days.at(-1)!.day).toBe("2026-04-02");
    for (const day of report.days) {
      const want = expected.get(day.day);
      expect(day.jobs, day.day).toBe(want?.jobs ?? 0);
      expect(day.costUsd).toBeCloseTo(want?.cost ?? 0, 9);
      for (const agent of AGENTS)
        expect(day.costByAgent[agent] ?? 0).toBeCloseTo(want?.byAgent[agent] ?? 0, 9);
    }
    expect(report.days.reduce((n, d) => n + d.jobs, 0)).toBe(inRange.length);
    const tokens = (j: JobRecord) => (j.cacheReadTokens ?? 0) + (j.cacheCreationTokens ?? 0);
    expect(report.totals.cacheTokens).toBe(inRange.reduce((n, j) => n + tokens(j), 0));
    expect(report.totals.inputTokens).toBe(inRange.reduce((n, j) => n + (j.inputTokens ?? 0), 0));
    expect(report.timezone).toBe(ZONE);
  });

  it("counts outcomes and the duration histogram per agent", () => {
    const report = usageReport(state, { since, until, timezone: ZONE, now });
    expect(report.agents.map((a) => a.agent).sort()).toEqual(AGENTS);
    for (const a of report.agents) {
      const mine = inRange.filter((j) => j.agent === a.agent);
      const count = (status: string) => mine.filter((j) => j.status === status).length;
      expect(a.jobs).toBe(mine.length);
      expect(a.outcomes).toEqual({
        completed: count("completed"),
        failed: count("failed"),
        timed_out: count("timed_out"),
        interrupted: count("interrupted"),
        cancelled: count("cancelled"),
        active: count("queued") + count("running"),
      });
      expect(a.outcomes.active).toBeGreaterThan(0);
      const ended = count("completed") + count("failed") + count("timed_out");
      expect(a.successRate).toBeCloseTo(count("completed") / ended, 12);
      const histogram = DURATION_EDGES_MS.map(() => 0).concat(0);
      for (const j of mine) if (j.durationMs !== null) histogram[bucketOf(j.durationMs)]!++;
      expect(a.durations).toEqual(histogram);
      expect(a.costUsd).toBeCloseTo(
        mine.reduce((n, j) => n + (j.costUsd ?? 0), 0),
        9,
      );
    }
    // Most spent first.
    const costs = report.agents.map((a) => a.costUsd);
    expect(costs).toEqual([...costs].sort((x, y) => y - x));
  });

  it("puts every job in its time bucket", () => {
    const report = usageReport(state, { since, until, timezone: ZONE, now });
    const { bucketSeconds, buckets } = report.timeline;
    // 9⅓ days in at most 120 buckets: 3-hour buckets.
    expect(bucketSeconds).toBe(3 * 3_600);
    for (const b of buckets) {
      const start = Date.parse(b.start);
      const mine = inRange.filter(
        (j) => Date.parse(j.createdAt) >= start && Date.parse(j.createdAt) < start + bucketSeconds * 1000,
      );
      expect(b.jobs, b.start).toBe(mine.length);
      expect(b.outputTokens).toBe(mine.reduce((n, j) => n + (j.outputTokens ?? 0), 0));
      expect(b.costUsd).toBeCloseTo(
        mine.reduce((n, j) => n + (j.costUsd ?? 0), 0),
        9,
      );
    }
    expect(buckets.reduce((n, b) => n + b.jobs, 0)).toBe(inRange.length);
  });

  it("filters by agent, keeps since and drops until, and spans the jobs only", () => {
    const first = inRange[0]!;
    const last = inRange.at(-1)!;
    const exact = usageReport(state, {
      since: new Date(first.createdAt),
      until: new Date(last.createdAt),
      agent: "beta",
      timezone: ZONE,
      now,
    });
    const beta = inRange.filter((j) => j.agent === "beta" && j.createdAt < last.createdAt);
    expect(exact.agents.map((a) => a.agent)).toEqual(["beta"]);
    expect(exact.totals.jobs).toBe(beta.length);
    // From 1990 the report starts at the first job, not 36 years of empty days.
    const open = usageReport(state, { since: new Date("1990-01-01T00:00:00Z"), timezone: ZONE, now });
    expect(open.days[0]!.day).toBe(localDay(jobs[0]!.createdAt));
    expect(open.totals.jobs).toBe(jobs.length);
    const empty = usageReport(state, {
      since: new Date("2020-01-01T00:00:00Z"),
      until: since,
      agent: "nobody",
      now,
    });
    expect(empty.totals.jobs).toBe(0);
    expect(empty.days).toEqual([]);
    expect(() => usageReport(state, { since: until, until: since, now })).toThrow(
      /since .* must be before until/,
    );
  });

  describe("whole days kept between reports", () => {
    const db = () =>
      (state as unknown as { opened(): { db: import("../../src/state/db-interface.js").Db } }).opened().db;

    /** The report against the jobs as they are now, summed here. */
    function expectCurrent(): void {
      const report = usageReport(state, { since, until, timezone: ZONE, now });
      const current = jobs
        .map((j) => state.jobs.get(j.id))
        .filter((j): j is JobRecord => j !== undefined)
        .filter((j) => j.createdAt >= since.toISOString() && j.createdAt < until.toISOString());
      expect(report.totals.jobs).toBe(current.length);
      expect(report.totals.costUsd).toBeCloseTo(
        current.reduce((n, j) => n + (j.costUsd ?? 0), 0),
        9,
      );
      for (const a of report.agents) {
        const mine = current.filter((j) => j.agent === a.agent);
        expect(a.outcomes.completed, a.agent).toBe(mine.filter((j) => j.status === "completed").length);
        expect(a.outcomes.active, a.agent).toBe(
          mine.filter((j) => j.status === "running" || j.status === "queued").length,
        );
        expect(a.durations.reduce((n, c) => n + c, 0)).toBe(mine.filter((j) => j.durationMs !== null).length);
      }
      for (const day of report.days)
        expect(day.jobs, day.day).toBe(current.filter((j) => localDay(j.createdAt) === day.day).length);
    }

    it("counts again a past day in which a job ended, was re-costed by any writer, or was pruned", () => {
      expectCurrent();
      // A job still running on a whole day inside the range: ending it changes that day's sums.
      const running = jobs.find(
        (j) => j.status === "running" && j.createdAt > "2026-03-26" && j.createdAt < "2026-04-01",
      )!;
      expect(running).toBeDefined();
      state.jobs.finish(running.id, { status: "completed", exitReason: "success", costUsd: 7.5 });
      expectCurrent();
      // Written around the repository (as a bulk fill or a manual fix would): still seen.
      const old = jobs.find(
        (j) => j.status === "failed" && j.createdAt > "2026-03-26" && j.createdAt < "2026-04-01",
      )!;
      db().prepare("UPDATE jobs SET cost_usd = 3.25, status = 'completed' WHERE id = ?").run(old.id);
      expectCurrent();
      expect(state.retention.deleteJobs([running.id, old.id]).removed).toBe(2);
      expectCurrent();
    });
  });
});

describe("usage report on SQLite", () => {
  it("reads the jobs_usage index alone", () => {
    const dir = mkdtempSync(join(tmpdir(), "herdctl-usage-"));
    const state = new StateManager(join(dir, ".herdctl"));
    state.open();
    try {
      const plans = (state as unknown as { opened(): { db: import("better-sqlite3").Database } })
        .opened()
        .db.prepare(
          "EXPLAIN QUERY PLAN SELECT date(created_at, '+01:00') AS day, agent, COUNT(*), TOTAL(cost_usd), TOTAL(cache_read_tokens) FROM jobs WHERE created_at >= ? AND created_at < ? GROUP BY day, agent",
        )
        .all("2026-01-01", "2027-01-01") as { detail: string }[];
      expect(plans.map((p) => p.detail).join(" | ")).toContain("COVERING INDEX jobs_usage");
    } finally {
      state.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("local days", () => {
  it("cuts a range where the zone's offset changes, to the minute", () => {
    const spans = offsetSpans(new Date("2026-03-20T00:00:00Z"), new Date("2026-11-01T00:00:00Z"), ZONE);
    expect(spans.map((s) => [s.from.toISOString(), s.to.toISOString(), s.offset])).toEqual([
      ["2026-03-20T00:00:00.000Z", "2026-03-29T01:00:00.000Z", "+01:00"],
      ["2026-03-29T01:00:00.000Z", "2026-10-25T01:00:00.000Z", "+02:00"],
      ["2026-10-25T01:00:00.000Z", "2026-11-01T00:00:00.000Z", "+01:00"],
    ]);
    expect(
      offsetSpans(new Date("2026-01-01T00:00:00Z"), new Date("2027-01-01T00:00:00Z"), "Asia/Kathmandu"),
    ).toEqual([
      { from: new Date("2026-01-01T00:00:00Z"), to: new Date("2027-01-01T00:00:00Z"), offset: "+05:45" },
    ]);
    expect(daysBetween(new Date("2026-03-28T22:59:00Z"), new Date("2026-03-29T22:00:00Z"), ZONE)).toEqual([
      "2026-03-28",
      "2026-03-29",
    ]);
  });
});
