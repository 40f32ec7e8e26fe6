/**
 * What each test file cost in a run with HERDCTL_TEST_COST_LOG=<log> (test/setup/file-cost.ts
 * writes one JSON line per file: wall seconds, the worker's CPU-seconds and its ended children's,
 * hooks and module loading included).
 *
 *   node scripts/test-costs.mjs <log> [--top N]   a markdown table, costliest first, and totals
 *   node scripts/test-costs.mjs <log> --simulate  how long two workers would take over the logged
 *                                                 files in vitest's clean-clone order (larger file
 *                                                 first) and longest first: whether ordering the
 *                                                 files could shorten a lane's tail
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const log = args.find((arg) => !arg.startsWith("--") && !/^\d+$/.test(arg));
if (!log) {
  process.stderr.write("usage: node scripts/test-costs.mjs <log> [--top N | --simulate]\n");
  process.exit(2);
}
const rows = readFileSync(log, "utf8")
  .split("\n")
  .filter(Boolean)
  .map((line) => JSON.parse(line));
const s = (n) => n.toFixed(1);

if (args.includes("--simulate")) {
  /** Makespan of `workers` workers each taking the next file of `order` when free. */
  const makespan = (order, workers = 2) => {
    const free = new Array(workers).fill(0);
    for (const row of order) {
      const next = free.indexOf(Math.min(...free));
      free[next] += row.wall;
    }
    return Math.max(...free);
  };
  const size = (row) => statSync(join(repo, row.file)).size;
  for (const lane of new Set(rows.map((row) => row.lane))) {
    const files = rows.filter((row) => row.lane === lane);
    const bySize = [...files].sort((a, b) => size(b) - size(a));
    const longest = [...files].sort((a, b) => b.wall - a.wall);
    const total = files.reduce((sum, row) => sum + row.wall, 0);
    console.log(
      `${lane || "(no lane)"}: ${files.length} files, ${s(total)} s of wall in all, ${s(total / 2)} s over two workers at best;`,
      `larger file first (vitest, clean clone) ${s(makespan(bySize))} s, longest first ${s(makespan(longest))} s`,
    );
  }
} else {
  const topAt = args.indexOf("--top");
  const top = topAt >= 0 ? Number(args[topAt + 1]) : 40;
  const sorted = [...rows].sort((a, b) => b.self + b.children - (a.self + a.children));
  // CPU per wall second: well under 1 in the main lane is a file that mostly waits (SILENCES).
  console.log("| file | lane | wall s | worker CPU s | children CPU s | CPU s | CPU/wall |");
  console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
  const line = (name, lane, files) => {
    const sum = (key) => files.reduce((total, row) => total + row[key], 0);
    const cpu = sum("self") + sum("children");
    console.log(
      `| ${name} | ${lane} | ${s(sum("wall"))} | ${s(sum("self"))} | ${s(sum("children"))} | ${s(cpu)} | ${(cpu / sum("wall")).toFixed(2)} |`,
    );
  };
  for (const row of sorted.slice(0, top)) line(row.file, row.lane, [row]);
  for (const lane of new Set(rows.map((row) => row.lane))) {
    const files = rows.filter((row) => row.lane === lane);
    line(`all ${files.length} files`, lane, files);
  }
  const workers = new Map();
  for (const row of rows) {
    const worker = workers.get(row.pid) ?? { lane: row.lane, first: Infinity, last: 0, files: 0 };
    worker.first = Math.min(worker.first, row.start);
    worker.last = Math.max(worker.last, row.start + row.wall * 1000);
    worker.files += 1;
    workers.set(row.pid, worker);
  }
  const first = Math.min(...[...workers.values()].map((w) => w.first));
  for (const [pid, worker] of workers)
    console.log(
      `worker ${pid} (${worker.lane}): ${worker.files} files, from ${s((worker.first - first) / 1000)} s to ${s((worker.last - first) / 1000)} s`,
    );
}
