// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the fleet file under test holds a literal ${VAR}
import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectAsTestRole, postgresDatabase } from "../../../test/setup/postgres.js";
import { assertBuilt, herdctl, json, tempDir, until } from "./helpers/cli.js";
import { stopDaemon } from "./helpers/daemon.js";
import { LoggedProcesses } from "./helpers/logged-processes.js";

// One fleet on PostgreSQL run by four processes standing for four machines (each its own state
// directory and HOME): `herdctl start` as leader with no slots of its own, and three `herdctl
// worker`s with one slot each, w3 alone offering the made-up label `gpu-x`. Jobs triggered through
// the CLI are queued and claimed by the workers, which run them with real claude against their own
// stand-in (`@standin delay` holds a reply so a job can be caught mid-run).
const db = postgresDatabase();
let dir: string;
let remove: () => Promise<void>;
const herd = new LoggedProcesses(
  () => dir,
  (name) => env(name),
);
const { procs, logs } = herd;
const LEADER = "leader";
/** The workers earlier tests ended, so later tests know who is still alive. */
const ended = new Set<string>();

function env(name: string): Record<string, string> {
  return { HERDCTL_STATE_URL: db.url, HOME: join(dir, `home-${name}`) };
}

async function spawnHerdctl(name: string, args: string[]): Promise<ChildProcess> {
  await mkdir(join(dir, `home-${name}`), { recursive: true });
  return herd.spawn(name, args);
}

async function startWorker(id: string, labels?: string): Promise<ChildProcess> {
  const child = await spawnHerdctl(id, [
    "worker",
    "--offline",
    "--id",
    id,
    "--max-concurrent",
    "1",
    ...(labels ? ["--labels", labels] : []),
  ]);
  await until(() => (logs.get(id) ?? "").includes(`worker ${id} of fleet`), `worker ${id} started`);
  return child;
}

/** The CLI as the leader's machine runs it (its state directory, so it talks to its daemon). */
function cli(args: string[]) {
  return herdctl(["-s", join(dir, `.herdctl-${LEADER}`), ...args], { cwd: dir, env: env(LEADER) });
}

async function trigger(agent: string, prompt: string): Promise<string> {
  const r = await cli(["--json", "trigger", agent, "-p", prompt]);
  if (r.code !== 0) throw new Error(`trigger ${agent} failed (exit ${r.code}): ${r.stderr}`);
  return json<{ id: string }>(r).id;
}

interface Row {
  id: string;
  agent: string;
  status: string;
  worker_id: string | null;
  resumed_from: string | null;
  finished_at: string | null;
}

async function rows(): Promise<Row[]> {
  const client = await connectAsTestRole(db.url);
  try {
    return (
      await client.query<Row>(
        "select id, agent, status, worker_id, resumed_from, finished_at from jobs order by created_at, id",
      )
    ).rows;
  } finally {
    await client.end();
  }
}

/** Polls the jobs table until `check` holds; the deadline (120 s) turns a hang into a message. */
async function waitRows(check: (r: Row[]) => boolean, what: string, deadlineMs = 120_000): Promise<Row[]> {
  const t0 = Date.now();
  for (;;) {
    const last = await rows();
    if (check(last)) return last;
    if (Date.now() - t0 > deadlineMs)
      throw new Error(
        `${what}: not seen within ${deadlineMs / 1000} s\n${JSON.stringify(last, null, 1)}\n${[...logs].join("\n")}`,
      );
    await new Promise((r) => setTimeout(r, 150));
  }
}

const done = (r: Row | undefined) => r !== undefined && r.finished_at !== null;

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-pg-workers-"));
  await mkdir(join(dir, "agents"), { recursive: true });
  await mkdir(join(dir, "workspace"), { recursive: true });
  await writeFile(
    join(dir, "herdctl.yaml"),
    [
      "version: 1",
      "fleet: { name: workers }",
      "defaults: { permission_mode: acceptEdits, runtime: cli }",
      "agents:",
      "  - path: ./agents/greeter.yaml",
      "  - path: ./agents/gpu.yaml",
      "  - path: ./agents/drainer.yaml",
      "state:",
      "  backend: postgres",
      "  url: ${HERDCTL_STATE_URL}",
      "",
    ].join("\n"),
  );
  await writeFile(
    join(dir, "agents", "greeter.yaml"),
    "name: greeter\nworking_directory: ../workspace\non_interrupt: resume\ninstances: { max_concurrent: 3 }\n",
  );
  await writeFile(
    join(dir, "agents", "gpu.yaml"),
    "name: gpu\nworking_directory: ../workspace\nplacement: { labels: [gpu-x] }\ninstances: { max_concurrent: 2 }\n",
  );
  await writeFile(
    join(dir, "agents", "drainer.yaml"),
    "name: drainer\nworking_directory: ../workspace\nplacement: { labels: [drain-x] }\n",
  );
  await spawnHerdctl(LEADER, ["start", "--offline", "--max-concurrent", "0"]);
  await until(
    () => existsSync(join(dir, `.herdctl-${LEADER}`, "herdctl.sock")),
    "the leader's control socket",
  );
  await Promise.all([startWorker("w1"), startWorker("w2"), startWorker("w3", "gpu-x,region=eu")]);
});

afterAll(async () => {
  for (const p of procs.values()) await stopDaemon(p);
  await remove();
});

describe("herdctl worker: three workers and a leader on one PostgreSQL database", () => {
  it("spreads jobs over the workers, honours placement labels, and shows the workers in jobs and status", async () => {
    // Three held jobs at once and one slot per worker: each worker must take one.
    const spread = [];
    for (let i = 0; i < 3; i++) spread.push(await trigger("greeter", `Hello ${i}.\n@standin delay 2500`));
    let all = await waitRows(
      (r) => spread.every((id) => r.find((x) => x.id === id)?.worker_id),
      "the three greeter jobs claimed",
    );
    expect(new Set(spread.map((id) => all.find((x) => x.id === id)!.worker_id))).toEqual(
      new Set(["w1", "w2", "w3"]),
    );
    // While they run, status lists the live workers with what each runs.
    const status = await cli(["status"]);
    expect(status.code).toBe(0);
    for (const w of ["w1", "w2", "w3"]) expect(status.stdout).toMatch(new RegExp(`${w}\\s+\\S+\\s+\\d/1`));
    expect(status.stdout).toContain("gpu-x,region=eu");

    // The gpu agent needs gpu-x: only w3 may run it, though w1 and w2 are free.
    const gpu = [await trigger("gpu", "One."), await trigger("gpu", "Two.")];
    all = await waitRows(
      (r) => [...spread, ...gpu].every((id) => done(r.find((x) => x.id === id))),
      "all five jobs ended",
    );
    for (const id of [...spread, ...gpu]) expect(all.find((x) => x.id === id)!.status).toBe("completed");
    for (const id of gpu) expect(all.find((x) => x.id === id)!.worker_id).toBe("w3");

    // The leader wrote the claim's limits from the fleet file: each agent's instances.max_concurrent.
    const client = await connectAsTestRole(db.url);
    try {
      const limits = await client.query("select scope, max_running from herdctl_work_limits order by scope");
      expect(limits.rows).toEqual([
        { scope: "agent:drainer", max_running: 1 },
        { scope: "agent:gpu", max_running: 2 },
        { scope: "agent:greeter", max_running: 3 },
      ]);
    } finally {
      await client.end();
    }

    const listed = await cli(["jobs"]);
    expect(listed.stdout).toContain("WORKER");
    const job = await cli(["job", gpu[0]!]);
    expect(job.stdout).toMatch(/Worker:\s+w3\n/);
  });

  it("a cancel from the leader's machine, or from one with no daemon, stops a job running on a worker", async () => {
    const id = await trigger("greeter", "Take your time.\n@standin delay 60000");
    const running = await waitRows(
      (r) => r.find((x) => x.id === id)?.status === "running",
      "the job running",
    );
    const worker = running.find((x) => x.id === id)!.worker_id;
    expect(["w1", "w2", "w3"]).toContain(worker);
    const t0 = Date.now();
    const r = await cli(["--json", "cancel", id]);
    expect(r.code, r.stderr).toBe(0);
    expect(json<{ job: { status: string } }>(r).job.status).toBe("cancelled");
    // Far sooner than the reply's 60 s: the worker heard the request, not the end of the reply.
    expect(Date.now() - t0).toBeLessThan(30_000);
    const after = await rows();
    expect(after.find((x) => x.id === id)).toMatchObject({ status: "cancelled", worker_id: worker });

    // From a machine with no daemon at all: the CLI flags the job for its worker itself.
    const other = await trigger("greeter", "Take your time too.\n@standin delay 60000");
    await waitRows((r) => r.find((x) => x.id === other)?.status === "running", "the second job running");
    const elsewhere = await herdctl(["-s", join(dir, ".herdctl-elsewhere"), "cancel", other], {
      cwd: dir,
      env: env("elsewhere"),
    });
    expect(elsewhere.code, elsewhere.stderr).toBe(0);
    expect(elsewhere.stdout).toContain(`job ${other} cancelled`);
  });

  it("kill -9 of a worker mid-job: the job is interrupted within the bound and resumed on another worker", async () => {
    const id = await trigger("greeter", "A long task.\n@standin delay 60000");
    const running = await waitRows(
      (r) => r.find((x) => x.id === id)?.status === "running",
      "the job running",
    );
    const victim = running.find((x) => x.id === id)!.worker_id!;
    procs.get(victim)!.kill("SIGKILL");
    ended.add(victim);
    const killedAt = Date.now();
    const after = await waitRows(
      (r) => r.find((x) => x.id === id)?.status === "interrupted",
      "the killed worker's job interrupted",
    );
    // The lease (10 s) plus a reaper's period (1 s), well inside the 30 s.
    expect(Date.now() - killedAt).toBeLessThan(30_000);
    expect(after.find((x) => x.id === id)!.worker_id).toBe(victim);
    const resumed = await waitRows(
      (r) => done(r.find((x) => x.resumed_from === id)),
      "the resumed job ended",
    );
    const next = resumed.find((x) => x.resumed_from === id)!;
    expect(next.status).toBe("completed");
    expect(next.worker_id).not.toBe(victim);
    expect(["w1", "w2", "w3"]).toContain(next.worker_id);
  });
});

describe("herdctl worker: stopping", () => {
  it("SIGTERM stops claiming and lets the running job go on; a second SIGTERM cancels it and the worker exits", async () => {
    const id = await trigger("greeter", "Keep going.\n@standin delay 60000");
    const running = await waitRows(
      (r) => r.find((x) => x.id === id)?.status === "running",
      "the job running",
    );
    const name = running.find((x) => x.id === id)!.worker_id!;
    const worker = procs.get(name)!;
    const exited = new Promise<number | null>((resolve) => worker.once("exit", (code) => resolve(code)));
    worker.kill("SIGTERM");
    await until(() => (logs.get(name) ?? "").includes("SIGTERM: stopping"), "the first SIGTERM heard");
    // Draining: the job still runs on it, and the process is still there.
    expect((await rows()).find((x) => x.id === id)).toMatchObject({ status: "running", worker_id: name });
    expect(worker.exitCode).toBeNull();
    worker.kill("SIGTERM");
    await until(
      () => (logs.get(name) ?? "").includes("cancelling running jobs now"),
      "the second SIGTERM heard",
    );
    expect(await exited).toBe(0);
    ended.add(name);
    expect((await rows()).find((x) => x.id === id)).toMatchObject({ status: "cancelled", worker_id: name });
    // Stopped, not silent: status no longer lists it.
    const status = await cli(["status"]);
    expect(status.stdout).not.toMatch(new RegExp(`^${name}\\s`, "m"));
  });
});

describe("herdctl worker: draining across a silent model turn", () => {
  it("a first SIGTERM waits out a minute-long silent turn: the job completes and the worker exits 0", async () => {
    const worker = await startWorker("w4", "drain-x");
    const id = await trigger("drainer", "Think it over.\n@standin delay 60000");
    await waitRows((r) => r.find((x) => x.id === id)?.status === "running", "the job running on w4");
    const exited = new Promise<number | null>((resolve) => worker.once("exit", (code) => resolve(code)));
    worker.kill("SIGTERM");
    await until(() => (logs.get("w4") ?? "").includes("SIGTERM: stopping"), "the SIGTERM heard");
    // The model says nothing for 60 s: the worker neither gives up on the job nor exits meanwhile.
    const ended = await waitRows((r) => done(r.find((x) => x.id === id)), "the job's end", 150_000);
    expect(ended.find((x) => x.id === id)).toMatchObject({ status: "completed", worker_id: "w4" });
    expect(await exited).toBe(0);
  }, 200_000);
});

describe("herdctl worker: what it refuses", () => {
  it("names the flag and what to write, and refuses a SQLite fleet and a live worker's id", async () => {
    const bad = async (args: string[]) => {
      const r = await herdctl(["worker", ...args], { cwd: dir, env: env("bad") });
      return { code: r.code, err: r.stderr };
    };
    expect(await bad(["--max-concurrent", "0"])).toMatchObject({
      code: 2,
      err: expect.stringContaining('--max-concurrent "0" is not valid: give a whole number of 1 or more'),
    });
    expect(await bad(["--labels", "docker,bad label"])).toMatchObject({
      code: 2,
      err: expect.stringContaining('--labels: "bad label" is not a valid label'),
    });
    expect(await bad(["--lease", "1"])).toMatchObject({
      code: 2,
      err: expect.stringContaining('--lease "1" is not valid: give seconds from 3 to 300'),
    });
    expect(await bad(["--id", "-x"])).toMatchObject({
      code: 2,
      err: expect.stringContaining('--id "-x" is not a valid worker id'),
    });
    const live = ["w1", "w2", "w3"].find((w) => !ended.has(w))!;
    const taken = await herdctl(["-s", join(dir, ".herdctl-dup"), "worker", "--id", live], {
      cwd: dir,
      env: env("dup"),
    });
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain(`worker id "${live}" is in use by a running worker`);
    expect(taken.stderr).toContain("start this one with another --id");

    const sqlite = join(dir, "sqlite");
    await mkdir(sqlite, { recursive: true });
    await writeFile(
      join(sqlite, "herdctl.yaml"),
      "version: 1\nfleet: { name: solo }\nagents:\n  - name: solo\n    working_directory: .\n",
    );
    const r = await herdctl(["worker"], { cwd: sqlite, env: env("sqlite") });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("keeps its state in SQLite");
    expect(r.stderr).toContain("set state: { backend: postgres, url: ${DATABASE_URL} }");
  });
});
