import { createConnection, createServer, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { JobNotices } from "../../src/cluster/job-notices.js";
import { JOB_CHANNEL } from "../../src/cluster/schema.js";
import { until } from "../helpers/until.js";
import { clusterDatabase } from "./cluster-database.js";

// The job notices' LISTEN connection against real PostgreSQL, through a relay on 127.0.0.1 that
// can freeze its connections: bytes stop in both directions and nothing is closed, as when a
// network cut drops packets (no FIN, no RST reaches either end).
const cluster = clusterDatabase();
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function freezingRelay(url: string): Promise<{ url: string; freeze: () => void }> {
  const target = new URL(url);
  const pairs: Array<[Socket, Socket]> = [];
  const all = new Set<Socket>();
  const server = createServer((downstream) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port || 5432) });
    for (const s of [downstream, upstream]) {
      all.add(s);
      s.on("error", () => {});
      s.on("close", () => all.delete(s));
    }
    downstream.pipe(upstream).pipe(downstream);
    downstream.on("close", () => upstream.destroy());
    upstream.on("close", () => downstream.destroy());
    pairs.push([downstream, upstream]);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => {
    for (const s of all) s.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  const relayed = new URL(url);
  relayed.hostname = "127.0.0.1";
  relayed.port = String((server.address() as { port: number }).port);
  return {
    url: relayed.toString(),
    freeze() {
      for (const [downstream, upstream] of pairs.splice(0)) {
        downstream.unpipe(upstream);
        upstream.unpipe(downstream);
        downstream.pause();
        upstream.pause();
      }
    },
  };
}

describe("job notices' connection", () => {
  it("a connection that went silent fails its ping and is replaced; the subscribers re-read and hear again", async () => {
    const relay = await freezingRelay(cluster.db.url);
    const told: string[] = [];
    const warnings: string[] = [];
    let listening = 0;
    const notices = new JobNotices({
      url: relay.url,
      pingMs: 300,
      relistenMs: 100,
      warn: (line) => warnings.push(line),
    });
    cleanups.push(() => notices.close());
    notices.subscribe({ job: (id) => told.push(id), listening: () => listening++ });
    await until(() => listening === 1, "listening");
    relay.freeze();
    await until(() => listening === 2, "listening again on a new connection");
    await cluster.client.query("select pg_notify($1, 'job-after-freeze')", [JOB_CHANNEL]);
    await until(() => told.includes("job-after-freeze"), "a notification on the new connection");
    expect(warnings[0]).toMatch(
      /^job notices: listening to the database failed \(.+\); trying again every 100 ms/,
    );
    expect(warnings.at(-1)).toBe("job notices: listening to the database again");
    expect(warnings.join("\n")).not.toContain(new URL(cluster.db.url).password);
  });

  it("stops at once, even while a connect is in progress", async () => {
    // A server that accepts, reads and never answers: the connect would wait out its 10 s timeout.
    const mute = createServer((socket) => socket.resume());
    await new Promise<void>((resolve) => mute.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise((resolve) => mute.close(resolve)));
    const notices = new JobNotices({
      url: `postgres://u:p@127.0.0.1:${(mute.address() as { port: number }).port}/db`,
    });
    notices.subscribe({ job: () => {}, listening: () => {} });
    await until(() => true);
    const t0 = performance.now();
    await notices.close();
    expect(performance.now() - t0).toBeLessThan(5_000);
  });
});
