// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the fleet file under test holds a literal ${VAR}
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, openSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectAsTestRole, postgresDatabase } from "../../../test/setup/postgres.js";
import { assertBuilt, BIN, cleanEnv, tempDir, until } from "./helpers/cli.js";
import { stopDaemon } from "./helpers/daemon.js";

// 1,000 schedule fires with two real daemons (the built CLI) competing for the scheduler on one
// PostgreSQL database, the leader killed with -9 twice on the way (and restarted, so both compete
// again): every fire key has exactly one job, and no schedule's run is lost across a handover.
// Each fire is cheap on purpose: the schedules' gate sits in the agent file, which herdctl refuses
// to run on the host, so a fire is its key and a job that fails at once, with no claude process.
// What is counted is exactly that: the key and the job row.
const db = postgresDatabase();
let dir: string;
let remove: () => Promise<void>;
const daemons: ChildProcess[] = [];

const AGENTS = 10;
const SCHEDULES = 4;
const TARGET = 1_000;

function startDaemon(name: string): Promise<ChildProcess> {
  const stateDir = join(dir, `.herdctl-${name}`);
  const daemon = spawn(process.execPath, [BIN, "-s", stateDir, "start", "--offline", "--no-warm"], {
    cwd: dir,
    env: cleanEnv({ HERDCTL_STATE_URL: db.url }),
    stdio: ["ignore", "ignore", openSync(join(dir, `${name}-${daemons.length}.err`), "a")],
  });
  daemons.push(daemon);
  return until(() => existsSync(join(stateDir, "herdctl.sock")), `daemon ${name}'s control socket`).then(
    () => daemon,
  );
}

/** What the daemons said on stderr, past the config warnings: the first thing to read when this fails. */
function daemonLogs(): string {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".err"))
    .map((f) => {
      const lines = readFileSync(join(dir, f), "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "" && !l.startsWith("warning:") && !l.trimStart().startsWith("hint:"));
      return `--- daemon ${f.replace(/\.err$/, "")} (${lines.length} lines, the last 30) ---\n${lines.slice(-30).join("\n")}`;
    })
    .join("\n");
}

interface Tally {
  keys: number;
  /** fired_by → keys written by that process. */
  byProcess: Map<string, number>;
}

async function tally(): Promise<Tally> {
  const client = await connectAsTestRole(db.url);
  try {
    const rows = (
      await client.query<{ by: string; n: string }>(
        "select fired_by as by, count(*) as n from herdctl_schedule_fires group by fired_by",
      )
    ).rows;
    const byProcess = new Map(rows.map((r) => [r.by, Number(r.n)]));
    return { keys: [...byProcess.values()].reduce((a, b) => a + b, 0), byProcess };
  } finally {
    await client.end();
  }
}

/** Polls the database until `check` holds; fails after 240 s (a hang, not a bound). */
async function waitFor(check: (t: Tally) => boolean, what: string): Promise<Tally> {
  const t0 = Date.now();
  for (;;) {
    const last = await tally();
    if (check(last)) return last;
    if (Date.now() - t0 > 240_000)
      throw new Error(`${what}: not seen within 240 s (${last.keys} fires)\n${daemonLogs()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const firedBy = (t: Tally, daemon: ChildProcess) =>
  [...t.byProcess].filter(([by]) => by.endsWith(`:${daemon.pid}`)).reduce((n, [, c]) => n + c, 0);

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-pg-fires-"));
  await mkdir(join(dir, "agents"), { recursive: true });
  await mkdir(join(dir, "workspace"), { recursive: true });
  const paths: string[] = [];
  for (let a = 0; a < AGENTS; a++) {
    const schedules = Array.from(
      { length: SCHEDULES },
      (_, s) => `  s${s}:\n    type: interval\n    interval: 1s\n    gate: exit 1\n`,
    ).join("");
    await writeFile(
      join(dir, "agents", `a${a}.yaml`),
      `name: a${a}\nworking_directory: ../workspace\nruntime: cli\nschedules:\n${schedules}`,
    );
    paths.push(`  - path: ./agents/a${a}.yaml`);
  }
  await writeFile(
    join(dir, "herdctl.yaml"),
    `version: 1\nfleet: { name: fires }\nagents:\n${paths.join("\n")}\nstate:\n  backend: postgres\n  url: \${HERDCTL_STATE_URL}\n`,
  );
});
afterAll(async () => {
  for (const daemon of daemons) await stopDaemon(daemon);
  await remove();
});

describe("1,000 schedule fires, two daemons competing for leadership", () => {
  it("every fire is enqueued exactly once across two kill -9 handovers", async () => {
    const running = new Map<string, ChildProcess>();
    const kills: string[] = [];
    for (const name of ["a", "b"]) running.set(name, await startDaemon(name));
    /** The daemon that wrote the newest key: the leader as far as the database knows. */
    const leader = async (): Promise<string> => {
      const client = await connectAsTestRole(db.url);
      try {
        const by = (
          await client.query<{ by: string }>(
            "select fired_by as by from herdctl_schedule_fires order by fired_at desc limit 1",
          )
        ).rows[0]!.by;
        return [...running].find(([, d]) => by.endsWith(`:${d.pid}`))![0];
      } finally {
        await client.end();
      }
    };
    // Twice: at a third and at two thirds of the fires, kill -9 whichever daemon leads (under load
    // the lead may also have moved on its own), wait for the other to fire, and start the killed
    // one again so both compete once more.
    for (const share of [1 / 3, 2 / 3]) {
      await waitFor((t) => t.keys >= TARGET * share, `${Math.round(share * 100)}% of the fires`);
      const name = await leader();
      const other = [...running.keys()].find((n) => n !== name)!;
      running.get(name)!.kill("SIGKILL");
      kills.push(new Date().toISOString());
      const before = await tally();
      await waitFor(
        (t) => firedBy(t, running.get(other)!) > firedBy(before, running.get(other)!) + 20,
        `${other} taking over`,
      );
      await rm(join(dir, `.herdctl-${name}`, "herdctl.sock"), { force: true });
      running.set(name, await startDaemon(name));
    }
    const last = await waitFor((t) => t.keys >= TARGET, `${TARGET} fires`);
    for (const daemon of running.values()) await stopDaemon(daemon);
    // At least three processes fired: the first leader, the one that took over, and a successor.
    expect(last.byProcess.size).toBeGreaterThanOrEqual(3);

    const client = await connectAsTestRole(db.url);
    try {
      // One job per key, per schedule: nothing enqueued twice, nothing enqueued without its key.
      const { rows } = await client.query<{ agent: string; schedule: string; keys: string; jobs: string }>(
        `select k.agent, k.schedule, k.keys, coalesce(j.jobs, 0) as jobs
           from (select agent, schedule, count(*) as keys from herdctl_schedule_fires group by 1, 2) k
           full join (select agent, schedule, count(*) as jobs from jobs
                       where trigger_type = 'schedule' and retry_of is null group by 1, 2) j
             using (agent, schedule)`,
      );
      expect(rows).toHaveLength(AGENTS * SCHEDULES);
      for (const r of rows) expect(Number(r.jobs), `${r.agent}/${r.schedule}`).toBe(Number(r.keys));
      const total = rows.reduce((n, r) => n + Number(r.keys), 0);
      expect(total).toBeGreaterThanOrEqual(TARGET);
      // No schedule lost in a handover: each still fires at the end, so none stopped for good
      // when the leadership moved (a schedule left behind would stop here, not show as a gap).
      const stalled = await client.query<{ agent: string; schedule: string; behind: number }>(
        `select agent, schedule, extract(epoch from (max(max(planned_at::timestamptz)) over ()
                  - max(planned_at::timestamptz))) as behind
           from herdctl_schedule_fires group by agent, schedule order by behind desc limit 1`,
      );
      expect(Number(stalled.rows[0]!.behind), JSON.stringify(stalled.rows[0])).toBeLessThan(30);
      // And none paused long: the bound is a handover's, the taking-over daemon's pace under load
      // included (a killed daemon's claim is freed once its session lock has been gone 1.5 s; then
      // the interval and the takeover). Seen: 15.7 s and 20.7 s at load 14, 24.5 s at load ~12 with
      // another such file beside it; a pause of a minute means a handover that did not happen.
      const gaps = await client.query<{ agent: string; schedule: string; gap: number; at: string }>(
        `select agent, schedule, gap, planned_at as at from (
           select agent, schedule, planned_at, extract(epoch from (planned_at::timestamptz
             - lag(planned_at::timestamptz) over (partition by agent, schedule order by planned_at))) as gap
           from herdctl_schedule_fires) g
         where gap is not null order by gap desc limit 1`,
      );
      const worst = gaps.rows[0]!;
      expect(Number(worst.gap), `${JSON.stringify(worst)}; kills at ${kills.join(", ")}`).toBeLessThan(60);
    } finally {
      await client.end();
    }
    // About 100 s at load 11 on 2 cores (~14 fires a second), most of it the fires themselves.
  }, 300_000);
});
