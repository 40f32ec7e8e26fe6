import { afterEach, describe, expect, it } from "vitest";
import { JobNotices } from "../../packages/core/src/cluster/job-notices.js";
import { JOB_CHANNEL } from "../../packages/core/src/cluster/schema.js";
import { clusterDatabase } from "../../packages/core/test/cluster/cluster-database.js";
import { until } from "../../packages/core/test/helpers/until.js";

// `NOTIFY herdctl_job` needs no privilege beyond connecting to the database, so any session may
// send one, with any payload (docs/security.md, "Workers on PostgreSQL"). A forged notification
// can only make a subscriber look at a record early: the payload is passed on as a job id to
// compare with the ones it follows, never parsed or put in a path or a query, a flood is told
// once per job and turn of the event loop, and the connection stays up. Real PostgreSQL.
const cluster = clusterDatabase();
let notices: JobNotices | undefined;
afterEach(() => notices?.close());

describe("forged job notifications (anyone who can connect may NOTIFY)", () => {
  it("odd payloads are passed on verbatim, a flood is coalesced, and the listener stays connected", async () => {
    const told: string[] = [];
    let listening = 0;
    notices = new JobNotices({ url: cluster.db.url });
    notices.subscribe({ job: (id) => told.push(id), listening: () => listening++ });
    await until(() => listening === 1, "listening");
    const odd = ["../../etc/passwd", "job-x'; drop table jobs; --", "é\u0001", "j".repeat(7_900)];
    for (const payload of odd) await cluster.client.query("select pg_notify($1, $2)", [JOB_CHANNEL, payload]);
    await cluster.client.query("notify herdctl_job"); // no payload at all: nothing to tell
    // 2,000 notifications for one job, each in a transaction of its own (within one, Postgres
    // folds identical ones itself).
    await cluster.client.query("set synchronous_commit = off");
    await cluster.client.query(
      `do $$ begin for i in 1..2000 loop perform pg_notify('${JOB_CHANNEL}', 'job-flood'); commit; end loop; end $$`,
    );
    await cluster.client.query("select pg_notify($1, 'job-last')", [JOB_CHANNEL]);
    await until(() => told.includes("job-last"), "the last notification");
    expect(told.filter((id) => odd.includes(id))).toEqual(odd);
    expect(told).not.toContain("");
    const flood = told.filter((id) => id === "job-flood").length;
    expect(flood).toBeGreaterThan(0);
    expect(flood).toBeLessThan(2000);
    expect(listening).toBe(1);
  });
});
