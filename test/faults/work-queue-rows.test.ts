import { describe, expect, it } from "vitest";
import { type ClaimedJob, ClusterWorker } from "../../packages/core/src/cluster/index.js";
import { WORK_TABLE } from "../../packages/core/src/cluster/schema.js";
import { enqueue } from "../../packages/core/src/cluster/work-queue.js";
import { FleetManager } from "../../packages/core/src/fleet-manager/fleet-manager.js";
import { clusterDatabase } from "../../packages/core/test/cluster/cluster-database.js";
import { tempDir } from "../../packages/core/test/helpers/fleet.js";
import { until } from "../../packages/core/test/helpers/until.js";

// A worker trusts the database (docs/security.md), but a row written around enqueue() — by hand,
// by another tool, by a bug — must not wedge it: a malformed row is failed with what was wrong,
// once, and the worker goes on with the next job. Real PostgreSQL, the worker in-process.
const cluster = clusterDatabase();
const db = cluster.db;

describe("queue rows written around enqueue()", () => {
  it("a row whose payload is not an object is failed with the reason and never run; the next job runs", async () => {
    const ran: ClaimedJob[] = [];
    const worker = new ClusterWorker({
      connectionString: db.url,
      identity: { id: "fault-worker", labels: [], maxConcurrent: 2, version: "test" },
      leaseMs: 1_500,
      reapMs: 200,
      run: async (job) => {
        ran.push(job);
        return { status: "completed" };
      },
    });
    const { rows } = await cluster.client.query<{ id: string }>(
      `insert into ${WORK_TABLE} (agent, payload, on_interrupt) values ('triager', '["rm -rf /"]', 'resume'), ('triager', '"text"', 'none') returning id`,
    );
    const [good] = await enqueue(cluster.client, [{ agent: "triager", payload: { prompt: "hello" } }]);
    await worker.start();
    try {
      await until(() => ran.some((j) => j.id === good), "the well-formed job ran");
      const bad = rows.map((r) => Number(r.id));
      const { rows: after } = await cluster.client.query(
        `select id::int, status, error from ${WORK_TABLE} where id = any($1::bigint[]) order by id`,
        [bad],
      );
      for (const row of after) {
        expect(row.status).toBe("failed");
        expect(row.error).toMatch(
          new RegExp(
            `^queue row ${row.id} is malformed \\(payload: .+\\); it was not run. Queue jobs through herdctl`,
          ),
        );
      }
      expect(ran.map((j) => j.id)).toEqual([good]);
      // Failed, not left to lapse: nothing was resumed from the malformed `resume` row.
      const { rows: resumed } = await cluster.client.query(
        `select count(*)::int as n from ${WORK_TABLE} where resumed_from is not null`,
      );
      expect(resumed[0].n).toBe(0);
    } finally {
      await worker.stop();
    }
  });
});

// A queue row may name a job and a session choice, nothing more (docs/security.md, Workers): the
// agent, its runtime and every setting come from the worker's own fleet file. A real FleetManager
// as a worker, in-process, on the file's database; nothing here reaches claude.
describe("queue rows that reach outside the worker's fleet file", () => {
  it("a row naming an agent the fleet file lacks, or carrying settings of its own, ends its job failed unrun", async () => {
    const tmp = tempDir("herdctl-fault-rows-");
    const fleet = new FleetManager({
      config: {
        version: 1,
        fleet: { name: "rows" },
        agents: [{ name: "real", working_directory: tmp.dir, runtime: "cli" }],
        state: { backend: "postgres", url: db.url },
      },
      baseDir: tmp.dir,
      background: false,
      worker: { id: "rows-worker", version: "test", maxConcurrent: 2 },
    });
    await fleet.start();
    try {
      const job = (agent: string) =>
        fleet.state.jobs.create({ agent, triggerType: "manual", prompt: "hi", runtime: "cli" });
      const ghost = job("ghost");
      const extra = job("real");
      const mismatched = job("real");
      await cluster.client.query(
        `insert into ${WORK_TABLE} (agent, payload) values
           ('ghost', $1::jsonb), ('real', $2::jsonb), ('other', $3::jsonb)`,
        [
          JSON.stringify({ jobId: ghost.id, session: { mode: "fresh" } }),
          JSON.stringify({
            jobId: extra.id,
            session: { mode: "fresh" },
            working_directory: "/etc",
            model: "attacker",
          }),
          JSON.stringify({ jobId: mismatched.id, session: { mode: "fresh" } }),
        ],
      );
      const ended = (id: string) => fleet.state.jobs.get(id)?.status === "failed";
      await until(() => [ghost, extra, mismatched].every((j) => ended(j.id)), "the three jobs failed");
      expect(fleet.state.jobs.get(ghost.id)!.error).toMatch(
        /^agent ghost is not in this worker's fleet file \(.+\); give every worker the same fleet file$/,
      );
      expect(fleet.state.jobs.get(extra.id)!.error).toMatch(
        /^queue row \d+ does not name a job in a form this worker knows \(payload: Unrecognized keys: "model", "working_directory"\); it was not run$/,
      );
      expect(fleet.state.jobs.get(mismatched.id)!.error).toMatch(
        new RegExp(`^queue row \\d+ names agent other but job ${mismatched.id} is real$`),
      );
      // Unrun: no job started a session or a process.
      for (const j of [ghost, extra, mismatched]) {
        expect(fleet.state.jobs.get(j.id)).toMatchObject({ sessionId: null, pid: null, workerId: null });
      }
    } finally {
      await fleet.stop();
      tmp.cleanup();
    }
  });
});
