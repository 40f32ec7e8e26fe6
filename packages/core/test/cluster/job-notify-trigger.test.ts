import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { reapLapsed } from "../../src/cluster/reaper.js";
import { JOB_CHANNEL } from "../../src/cluster/schema.js";
import { claim } from "../../src/cluster/work-queue.js";
import { until } from "../helpers/until.js";
import { openState } from "../state/helpers.js";

// The jobs table's trigger (cluster/schema.ts) on real PostgreSQL: whoever changes a job's status
// or asks its cancel, `NOTIFY herdctl_job` carries the job id and nothing else; other updates of
// the record send nothing.
const opened: pg.Client[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.end()));
});

async function listening(url: string): Promise<{ heard: string[]; client: pg.Client }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  opened.push(client);
  const heard: string[] = [];
  client.on("notification", (n) => {
    if (n.channel === JOB_CHANNEL) heard.push(n.payload ?? "");
  });
  await client.query(`listen ${JOB_CHANNEL}`);
  return { heard, client };
}

describe("the jobs table's NOTIFY trigger", () => {
  it("tells each status change and a cancel request, by id only, and nothing else", async () => {
    const { state, url } = openState(undefined, "postgres");
    state.clusterJobs!.ensureTables();
    state.clusterJobs!.ensureTables(); // a second start finds it in place and adds none
    const { heard, client } = await listening(url!);
    const { rows } = await client.query(
      "select count(*)::int as n from pg_trigger where tgrelid = 'jobs'::regclass and tgname = $1",
      [`${JOB_CHANNEL}_notify`],
    );
    expect(rows).toEqual([{ n: 1 }]);
    const job = state.jobs.create({
      agent: "triager",
      triggerType: "manual",
      prompt: "Secret-ish.",
      runtime: "cli",
    });
    state.jobs.update(job.id, { workerId: "w1" }); // not a status: nothing
    state.jobs.start(job.id);
    state.jobs.requestCancel(job.id);
    state.jobs.finish(job.id, { status: "cancelled", exitReason: "cancelled" });
    const marker = state.jobs.create({
      agent: "triager",
      triggerType: "manual",
      prompt: "p",
      runtime: "cli",
    });
    state.jobs.start(marker.id);
    await until(() => heard.includes(marker.id), "the marker's notification");
    expect(heard).toEqual([job.id, job.id, job.id, marker.id]);
  });

  it("tells the job the reaper's one statement interrupts", async () => {
    const { state, url } = openState(undefined, "postgres");
    state.clusterJobs!.ensureTables();
    const job = state.jobs.create({ agent: "triager", triggerType: "manual", prompt: "p", runtime: "cli" });
    state.jobs.start(job.id);
    state.clusterJobs!.enqueue({
      agent: "triager",
      requiredLabels: [],
      jobId: job.id,
      session: { mode: "fresh" },
      onInterrupt: "none",
    });
    const { heard, client } = await listening(url!);
    await claim(client, { workerId: "gone", labels: [], free: 1, maxConcurrent: 1, leaseMs: 1 });
    await client.query("select pg_sleep(0.01)"); // the 1 ms lease has lapsed
    expect((await reapLapsed(client)).interrupted).toHaveLength(1);
    await until(() => heard.length > 0, "the interrupted job's notification");
    expect(heard).toEqual([job.id]);
    expect(state.jobs.require(job.id).status).toBe("interrupted");
  });
});
