// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the fleet file holds a literal ${VAR}
/**
 * Issue #17: how soon a dead member's job is taken back. Two real daemons (the built CLI, default
 * 10 s lease, `--offline`): "b" has no slots and reaps; "a" has one and claims a job whose model
 * turn never answers. Then `a` is either killed (SIGKILL: its socket closes, the server releases
 * its session lock) or frozen (SIGSTOP: its session stays open, so only its lease can tell, which
 * is exactly what a kill -9 got before the session lock). Timed from the signal to the job's
 * record reading `interrupted` (its queue row, and so its agent's slot, is freed in the same
 * statement). Rounds alternate; frozen is the baseline in the same run.
 *
 *   npx vite-node bench/pg-member-death.ts [--quick]
 *
 * Needs `npm run build` and the test PostgreSQL; makes a database of its own and drops it after.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { CLI, scratch } from "../test/faults/helpers.js";
import { figure, finish, fmt, median, QUICK } from "./lib/report.js";

const ROUNDS = QUICK ? 1 : 3;
const ADMIN_URL =
  process.env.HERDCTL_TEST_PG_URL ?? "postgres://herdctl_test:herdctl_test@127.0.0.1:5432/herdctl_test";
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" / ");

async function query<T extends pg.QueryResultRow>(
  url: string,
  sql: string,
  values: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

async function until<T>(pick: () => Promise<T | undefined>, what: string, timeoutMs = 120_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const found = await pick();
    if (found !== undefined) return found;
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not seen within ${timeoutMs / 1000} s`);
    await sleep(50);
  }
}

const dbName = `herdctl_bench_death_${process.pid}`;
const url = (() => {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${dbName}`;
  return u.toString();
})();
await query(ADMIN_URL, `create database "${dbName}"`);
const root = scratch("herdctl-bench-death-");
const daemons: ChildProcess[] = [];
const leftovers: number[] = [];
const times: Record<"SIGKILL" | "SIGSTOP", number[]> = { SIGKILL: [], SIGSTOP: [] };
const reasons = new Set<string>();
try {
  mkdirSync(join(root.dir, "agents"));
  mkdirSync(join(root.dir, "workspace"));
  writeFileSync(
    join(root.dir, "agents", "hanger.yaml"),
    "name: hanger\nworking_directory: ../workspace\nruntime: cli\npermission_mode: acceptEdits\n",
  );
  writeFileSync(
    join(root.dir, "herdctl.yaml"),
    "version: 1\nfleet: { name: death }\nagents:\n  - path: ./agents/hanger.yaml\nstate:\n  backend: postgres\n  url: ${BENCH_PG_URL}\n",
  );
  const env = { ...process.env, BENCH_PG_URL: url, CLAUDE_CONFIG_DIR: join(root.dir, "claude") };
  const stateDir = (name: string) => join(root.dir, `.herdctl-${name}`);
  const start = async (name: string, args: string[]) => {
    rmSync(join(stateDir(name), "herdctl.sock"), { force: true });
    const daemon = spawn(
      process.execPath,
      [CLI, "-s", stateDir(name), "start", "--offline", "--no-warm", ...args],
      {
        cwd: root.dir,
        env,
        stdio: "ignore",
      },
    );
    daemons.push(daemon);
    while (!existsSync(join(stateDir(name), "herdctl.sock"))) {
      if (daemon.exitCode !== null) throw new Error(`daemon ${name} exited (${daemon.exitCode})`);
      await sleep(50);
    }
    return daemon;
  };
  await start("b", ["--id", "b", "--max-concurrent", "0"]);
  for (let round = 0; round < ROUNDS * 2; round++) {
    const signal = round % 2 === 0 ? "SIGKILL" : "SIGSTOP";
    const a = await start("a", ["--id", "a", "--max-concurrent", "1"]);
    const r = spawnSync(
      process.execPath,
      [CLI, "-s", stateDir("b"), "--json", "trigger", "hanger", "-p", "@standin hang", "--fresh"],
      { cwd: root.dir, env, encoding: "utf8" },
    );
    if (r.status !== 0) throw new Error(`trigger failed: ${r.stderr}`);
    const id = (JSON.parse(r.stdout) as { id: string }).id;
    const pid = await until(async () => {
      const [row] = await query<{ status: string; pid: string | null }>(
        url,
        "select status, pid from jobs where id = $1",
        [id],
      );
      return row?.status === "running" && row.pid ? Number(row.pid) : undefined;
    }, `job ${id} running on a`);
    leftovers.push(pid);
    const t0 = performance.now();
    a.kill(signal);
    const error = await until(async () => {
      const [row] = await query<{ status: string; error: string }>(
        url,
        "select status, error from jobs where id = $1",
        [id],
      );
      return row?.status === "interrupted" ? row.error : undefined;
    }, `job ${id} interrupted after ${signal}`);
    times[signal].push(performance.now() - t0);
    reasons.add(`${signal}: ${error}`);
    a.kill("SIGKILL");
    a.kill("SIGCONT");
    await new Promise((resolve) =>
      a.exitCode !== null || a.signalCode !== null ? resolve(null) : a.once("exit", resolve),
    );
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
    console.log(
      `pg-member-death: round ${round + 1} ${signal} → interrupted ${fmt(times[signal].at(-1)!)}; load ${load()}`,
    );
  }
} finally {
  for (const d of daemons) if (d.exitCode === null && d.signalCode === null) d.kill("SIGTERM");
  await sleep(3_000);
  for (const d of daemons) if (d.exitCode === null && d.signalCode === null) d.kill("SIGKILL");
  for (const pid of leftovers)
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  await query(ADMIN_URL, `drop database if exists "${dbName}" with (force)`);
  root.cleanup();
}

for (const reason of reasons) console.log(`pg-member-death: ${reason}`);
console.log(
  `pg-member-death: SIGKILL ${times.SIGKILL.map((t) => fmt(t)).join(", ")}; SIGSTOP ${times.SIGSTOP.map((t) => fmt(t)).join(", ")}; load ${load()}`,
);
figure(
  "kill -9 of a worker → its job interrupted, slot free (baseline: frozen, judged by its 10 s lease, as kill -9 was before)",
  fmt(median(times.SIGSTOP)),
  fmt(median(times.SIGKILL)),
  median(times.SIGKILL) / median(times.SIGSTOP),
  "≤ 3 s",
  median(times.SIGKILL) <= 3_000,
);
finish();
