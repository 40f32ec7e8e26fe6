/**
 * Job-history listing speed: fills a temp state directory with 1,000 / 10,000 / 100,000 jobs over
 * 50 agents, then times one page of 50 for each way `herdctl jobs` and the dashboard list jobs.
 * Exits 1 if any page takes 50 ms or more.
 *
 *   npx vite-node bench/job-history.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { JobListQuery, TerminalJobStatus } from "../packages/core/src/state/index.js";
import { StateManager } from "../packages/core/src/state/index.js";

const SIZES = [1_000, 10_000, 100_000];
const AGENTS = 50;
const PAGE = 50;
const TARGET_MS = 50;
const RUNS = 21;
const START = Date.parse("2025-01-01T00:00:00.000Z");
const SPACING_MS = 30_000;

function outcomeFor(i: number): TerminalJobStatus {
  if (i % 10 === 3) return "failed";
  if (i % 50 === 7) return "timed_out";
  if (i % 40 === 11) return "cancelled";
  return "completed";
}

interface Seeded {
  id: string;
  agent: string;
  status: TerminalJobStatus;
  createdAt: number;
}

function fill(state: StateManager, size: number, clock: { at: number }): Seeded[] {
  const jobs: Seeded[] = [];
  state.transaction(() => {
    for (let i = 0; i < size; i++) {
      const createdAt = START + i * SPACING_MS;
      const agent = `agent-${String(i % AGENTS).padStart(2, "0")}`;
      clock.at = createdAt;
      const job = state.jobs.create({
        agent,
        triggerType: i % 4 === 0 ? "schedule" : "manual",
        schedule: i % 4 === 0 ? "poll" : null,
        prompt: "Triage new issues and label them.",
        runtime: i % 2 === 0 ? "sdk" : "cli",
      });
      state.jobs.start(job.id, { pid: 10_000 + (i % 30_000) });
      clock.at += 12_000;
      const status = outcomeFor(i);
      state.jobs.finish(job.id, {
        status,
        exitReason: status === "completed" ? "success" : status === "timed_out" ? "timeout" : "error",
        error: status === "completed" ? null : "claude exited with code 1",
        numTurns: 3,
        inputTokens: 1200,
        outputTokens: 300,
        costUsd: 0.004,
        usage: { "claude-sonnet-4-5": { inputTokens: 1200, outputTokens: 300, costUSD: 0.004 } },
      });
      jobs.push({ id: job.id, agent, status, createdAt });
    }
  });
  return jobs.reverse(); // newest first, the listing order
}

function time(fn: () => void): number {
  const started = performance.now();
  fn();
  return performance.now() - started;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function fmt(ms: number): string {
  return ms < 10 ? ms.toFixed(2) : ms.toFixed(1);
}

let missed = false;

for (const size of SIZES) {
  const dir = mkdtempSync(join(tmpdir(), "herdctl-bench-"));
  const clock = { at: START };
  const state = new StateManager(join(dir, ".herdctl"), { clock: () => new Date(clock.at) });
  try {
    state.open();
    let seeded: Seeded[] = [];
    const insertMs = time(() => {
      seeded = fill(state, size, clock);
    });
    console.log(
      `job-history insert@${size}: ${fmt(insertMs)} ms (one transaction, ${fmt((insertMs * 1000) / size)} µs/job)`,
    );
    state.close();
    // Every `herdctl jobs` opens the database afresh, integrity check included.
    console.log(
      `job-history open@${size}: ${fmt(time(() => state.open()))} ms (includes PRAGMA quick_check)`,
    );

    const middle = seeded[Math.floor(size / 2)]!;
    const since = START + (size - 1) * SPACING_MS - 7 * 86_400_000;
    const figures: [string, JobListQuery, (job: Seeded) => boolean][] = [
      ["unfiltered", {}, () => true],
      ["agent", { agent: "agent-07" }, (j) => j.agent === "agent-07"],
      [
        "agent+status",
        { agent: "agent-03", status: "failed" },
        (j) => j.agent === "agent-03" && j.status === "failed",
      ],
      ["status", { status: "failed" }, (j) => j.status === "failed"],
      [
        "agent+since",
        { agent: "agent-07", since: new Date(since) },
        (j) => j.agent === "agent-07" && j.createdAt >= since,
      ],
      ["deep page via cursor", { before: middle.id }, (j) => j.createdAt < middle.createdAt],
      [
        "agent deep page via cursor",
        { agent: "agent-07", before: middle.id },
        (j) => j.agent === "agent-07" && j.createdAt < middle.createdAt,
      ],
    ];
    for (const [name, query, matches] of figures) {
      // The page must be the right jobs, not merely fast.
      const expected = seeded
        .filter(matches)
        .slice(0, PAGE)
        .map((j) => j.id);
      let page: string[] = [];
      const first = time(() => {
        page = state.jobs.list({ ...query, limit: PAGE }).jobs.map((j) => j.id);
      });
      const correct = page.length === expected.length && page.every((id, i) => id === expected[i]);
      const runs = Array.from({ length: RUNS }, () => time(() => state.jobs.list({ ...query, limit: PAGE })));
      const typical = median(runs);
      const worst = Math.max(first, typical);
      const ok = worst < TARGET_MS && correct;
      if (!ok) missed = true;
      console.log(
        `job-history page@${size} ${name}: ${fmt(typical)} ms (first call ${fmt(first)} ms, ${page.length} jobs` +
          `${correct ? "" : " WRONG"}; target < ${TARGET_MS} ms)${ok ? "" : "  MISSED"}`,
      );
    }
  } finally {
    state.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exit(missed ? 1 : 0);
