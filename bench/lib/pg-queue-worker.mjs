// One worker process of bench/pg-queue.ts: takes jobs from one queue implementation and prints a
// JSON line when it has a job (`claimed`, with the time) and when it is done with it. A job whose
// payload says `hold` is kept until a line `release` arrives on stdin (the dead-worker case).
//
//   node bench/lib/pg-queue-worker.mjs <skip-locked|pg-boss|graphile-worker> <postgres-url> <concurrency> <name>
import pg from "pg";

const [kind, url, concurrencyArg, name] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
const now = () => performance.timeOrigin + performance.now();
const say = (line) => process.stdout.write(`${JSON.stringify(line)}\n`);

let releaseHeld;
const released = new Promise((resolve) => {
  releaseHeld = resolve;
});
process.stdin.on("data", (d) => {
  if (String(d).includes("release")) releaseHeld();
});

/** What every implementation runs for a job. */
async function handle(payload) {
  say({ claimed: payload.n, at: now(), worker: name });
  if (payload.hold) await released;
  say({ done: payload.n, worker: name });
}

// The plain claim: one table, `for update skip locked`, LISTEN/NOTIFY to wake, a lease renewed by
// a heartbeat, and a reaper any worker runs that puts jobs with a lapsed lease back.
const LEASE_SECONDS = 6;
async function skipLocked() {
  const pool = new pg.Pool({ connectionString: url, max: concurrency + 2 });
  const listener = new pg.Client({ connectionString: url });
  await listener.connect();
  let running = 0;
  let draining = false;
  async function drain() {
    if (draining) return;
    draining = true;
    try {
      while (running < concurrency) {
        // As many jobs as there are free slots, in one statement.
        const { rows } = await pool.query(
          `update bench_jobs set state = 'running', worker = $1, runs = runs + 1,
             lease_until = now() + make_interval(secs => $2)
           where id in (select id from bench_jobs where state = 'queued' order by id
                        for update skip locked limit $3)
           returning id, payload`,
          [name, LEASE_SECONDS, concurrency - running],
        );
        if (rows.length === 0) break;
        running += rows.length;
        for (const { id, payload } of rows) {
          handle(payload)
            .then(() =>
              pool.query("update bench_jobs set state = 'done' where id = $1 and worker = $2", [id, name]),
            )
            .finally(() => {
              running--;
              drain();
            });
        }
      }
    } finally {
      draining = false;
    }
  }
  listener.on("notification", () => drain());
  await listener.query("listen bench_jobs");
  setInterval(drain, 1_000);
  setInterval(() => {
    pool.query(
      `update bench_jobs set lease_until = now() + make_interval(secs => $2) where worker = $1 and state = 'running'`,
      [name, LEASE_SECONDS],
    );
  }, 2_000);
  setInterval(async () => {
    const { rowCount } = await pool.query(
      "update bench_jobs set state = 'queued', worker = null where state = 'running' and lease_until < now()",
    );
    if (rowCount > 0) await pool.query("notify bench_jobs");
  }, 1_000);
  await drain();
}

async function pgBoss() {
  const { default: PgBoss } = await import("pg-boss");
  // The shortest intervals pg-boss allows: polling every 0.5 s, maintenance (which fails expired
  // jobs so they are retried) every second.
  const boss = new PgBoss({
    connectionString: url,
    max: concurrency + 2,
    migrate: false,
    schedule: false,
    maintenanceIntervalSeconds: 1,
  });
  boss.on("error", (err) => process.stderr.write(`pg-boss: ${err.message}\n`));
  await boss.start();
  // pg-boss 10 runs one job at a time per work() loop: one loop per slot.
  for (let i = 0; i < concurrency; i++) {
    await boss.work("bench", { pollingIntervalSeconds: 0.5, batchSize: 1 }, async ([job]) =>
      handle(job.data),
    );
  }
}

async function graphileWorker() {
  const { run } = await import("graphile-worker");
  await run({
    connectionString: url,
    concurrency,
    noHandleSignals: true,
    pollInterval: 1_000,
    logger: new (await import("graphile-worker")).Logger(() => () => {}),
    taskList: { bench: async (payload) => handle(payload) },
  });
}

const start = { "skip-locked": skipLocked, "pg-boss": pgBoss, "graphile-worker": graphileWorker }[kind];
if (!start) {
  process.stderr.write(
    `pg-queue-worker: unknown queue ${kind}; use skip-locked, pg-boss or graphile-worker\n`,
  );
  process.exit(2);
}
await start();
say({ ready: name });
