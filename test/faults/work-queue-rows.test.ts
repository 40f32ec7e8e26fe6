import { describe, expect, it } from "vitest";
import { type ClaimedJob, ClusterWorker } from "../../packages/core/src/cluster/index.js";
import { WORK_TABLE } from "../../packages/core/src/cluster/schema.js";
import { enqueue } from "../../packages/core/src/cluster/work-queue.js";
import { clusterDatabase } from "../../packages/core/test/cluster/cluster-database.js";
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
