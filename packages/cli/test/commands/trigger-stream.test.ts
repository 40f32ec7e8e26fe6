import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { createServer, request, type Server } from "node:http";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, BIN, cleanEnv, herdctl, json, tempDir, until, writeFleet } from "../helpers/cli.js";
import { stopDaemon } from "../helpers/daemon.js";

/**
 * `trigger --wait` through the daemon is one control request: the trigger streams the job to its
 * end. Between the CLI and a real `herdctl start --offline --no-warm` sits a recording proxy on the
 * control socket's path (the daemon's socket moved aside), which sees every request the CLI makes.
 * With `dropFollow` it plays a daemon from before the streamed trigger: such a daemon ignores the
 * `follow` query and answers `{ job }` alone, so the proxy drops the query and the real daemon
 * answers as the old one did; the CLI must then follow and wait as it used to.
 */
let dir: string;
let remove: () => Promise<void>;
let daemon: ChildProcess | undefined;
let proxy: Server | undefined;
let requests: string[] = [];
/** The bodies of the requests, parsed. */
let bodies: unknown[] = [];
let dropFollow = false;

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-trigger-stream-"));
  await writeFleet(dir);
  const socket = join(dir, ".herdctl", "herdctl.sock");
  daemon = spawn(process.execPath, [BIN, "start", "--offline", "--no-warm"], {
    cwd: dir,
    env: cleanEnv(),
    stdio: "ignore",
  });
  await until(() => existsSync(socket), "the daemon's control socket");
  const daemonSocket = join(dir, ".herdctl", "daemon.sock");
  renameSync(socket, daemonSocket);
  proxy = createServer(async (req, res) => {
    const path = dropFollow ? req.url!.replace(/(\/trigger)\?follow=1$/, "$1") : req.url!;
    requests.push(`${req.method} ${path}`);
    // The body goes on in one write with its end, as the CLI sends it. Piped, the end could come
    // after a daemon that had the whole body had answered and closed, and that late write's EPIPE
    // threw the answer away: the CLI then waited out its 10 s for an answer that never came.
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (chunks.length > 0) bodies.push(JSON.parse(Buffer.concat(chunks).toString("utf8")));
    const upstream = request(
      { socketPath: daemonSocket, method: req.method, path, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    // A proxy that fails says so at once (the CLI reports a closed connection), never by silence.
    upstream.on("error", () => res.destroy());
    upstream.end(Buffer.concat(chunks));
  });
  await new Promise<void>((resolve) => proxy!.listen(socket, resolve));
});
afterAll(async () => {
  proxy?.closeAllConnections();
  proxy?.close();
  if (daemon) await stopDaemon(daemon);
  await remove();
});

const trigger = (...args: string[]) => herdctl(["trigger", "greeter", "--wait", ...args], { cwd: dir });

describe("trigger --wait through the daemon", () => {
  it("makes one request that streams the job's output and its end", async () => {
    requests = [];
    const r = await trigger("-p", "@standin text streamed in one request");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("streamed in one request");
    expect(r.stderr).toMatch(/job job-\S+ (queued|running) for greeter \(through the daemon\)/);
    expect(requests).toEqual(["POST /api/agents/greeter/trigger?follow=1"]);
  });

  it("with a daemon that does not stream its trigger, follows and waits as before", async () => {
    requests = [];
    dropFollow = true;
    try {
      const r = await herdctl(
        ["--json", "trigger", "greeter", "--wait", "-p", "@standin text answered the old way"],
        { cwd: dir },
      );
      expect(r.code, r.stderr).toBe(0);
      const job = json<{ id: string; status: string; summary: string | null }>(r);
      expect(job).toMatchObject({ status: "completed" });
      expect(job.summary).toContain("answered the old way");
      expect(requests).toEqual([
        "POST /api/agents/greeter/trigger",
        `GET /api/jobs/${job.id}/output?follow=1`,
        `POST /api/jobs/${job.id}/wait`,
      ]);
    } finally {
      dropFollow = false;
    }
  });

  it("an unknown agent is refused in that one request, with the daemon's suggestion", async () => {
    requests = [];
    const r = await herdctl(["trigger", "greter", "--wait"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Agent "greter" not found. Did you mean: greeter?');
    expect(requests).toEqual(["POST /api/agents/greter/trigger?follow=1"]);
  });
});

describe("a trigger a running daemon takes, from the CLI's first file", () => {
  // The CLI's first files without commander's programs (frequent.cjs, index.js and its chunks),
  // beside the real build so that its packages resolve: what runs here needs none of the program.
  let bin: string;
  let firstFiles: string;
  beforeAll(() => {
    firstFiles = mkdtempSync(join(dirname(dirname(BIN)), "dist-first-files-"));
    for (const file of ["herdctl.cjs", "early.cjs", "query.cjs", "query.cjs.v8cache", "pg.cjs"])
      copyFileSync(join(dirname(BIN), file), join(firstFiles, file));
    bin = join(firstFiles, "herdctl.cjs");
  });
  afterAll(() => rmSync(firstFiles, { recursive: true, force: true }));

  it("sends the trigger and streams the job without loading the program", async () => {
    requests = [];
    const r = await herdctl(["trigger", "greeter", "-w", "-p", "@standin text from the first file"], {
      cwd: dir,
      bin,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("from the first file");
    expect(r.stderr).toMatch(/job job-\S+ (queued|running) for greeter \(through the daemon\)/);
    expect(requests).toEqual(["POST /api/agents/greeter/trigger?follow=1"]);
  });

  it("sends every option the trigger reads: -q prints only the result, --no-queue and -S reach the daemon", async () => {
    requests = [];
    bodies = [];
    const quiet = await herdctl(["--json", "trigger", "greeter", "-q", "-p", "@standin text only this"], {
      cwd: dir,
      bin,
    });
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(json(quiet)).toMatchObject({ agent: "greeter", status: "completed", summary: "only this" });
    expect(quiet.stderr).toBe("");
    // The daemon's own answers show the options arrived: an unknown schedule is refused by name.
    const schedule = await herdctl(["trigger", "greeter", "-S", "nightly", "--no-queue"], { cwd: dir, bin });
    expect(schedule.code).toBe(1);
    expect(schedule.stderr).toMatch(/schedule "nightly"/);
    expect(requests).toEqual([
      "POST /api/agents/greeter/trigger?follow=1",
      "POST /api/agents/greeter/trigger",
    ]);
    expect(bodies).toEqual([
      { prompt: "@standin text only this", noQueue: false },
      { schedule: "nightly", noQueue: true },
    ]);
  });

  it("Ctrl-C while it waits cancels the job on the daemon, and exits 1", async () => {
    const child = spawn(
      process.execPath,
      [bin, "trigger", "greeter", "-w", "-p", "@standin delay 60000\n@standin text too late"],
      { cwd: dir, env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr?.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    await until(() => stderr.includes("(through the daemon)"), "the job's first line");
    child.kill("SIGINT");
    expect(await exited).toBe(1);
    expect(stderr).toContain("cancelling the job");
    const id = /job (job-\S+) /.exec(stderr)?.[1] as string;
    const shown = json<{ job: { status: string } }>(await herdctl(["job", id, "--json"], { cwd: dir }));
    expect(shown.job.status).toBe("cancelled");
  });

  it("leaves to the program a line commander reads itself, and two session flags, sending nothing", async () => {
    requests = [];
    for (const args of [
      ["trigger", "greeter", "-wq"],
      ["trigger", "greeter", "--fresh", "--resume", "0b5a3c9e-1111-4222-8333-944455556666"],
    ]) {
      const r = await herdctl(args, { cwd: dir, bin });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain("frequent.cjs"); // The program, missing from this copy, was loaded.
    }
    expect(requests).toEqual([]);
    // The whole CLI reports the second as it always has.
    const both = await herdctl(["trigger", "greeter", "--fresh", "--fork", "job-20250101120000-ab12cd"], {
      cwd: dir,
    });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("use only one of --fresh, --fork");
    expect(requests).toEqual([]);
  });
});

describe("trigger with a control socket no daemon listens on", () => {
  it("runs the job in this process (here: the fleet's own check of the agent's name)", async () => {
    const stale = await tempDir("herdctl-trigger-stale-");
    try {
      await writeFleet(stale.dir);
      await mkdir(join(stale.dir, ".herdctl"), { recursive: true, mode: 0o700 });
      // A daemon killed with SIGKILL leaves its socket file; connecting to it is refused.
      await writeFile(join(stale.dir, ".herdctl", "herdctl.sock"), "");
      const r = await herdctl(["trigger", "greter", "--wait"], { cwd: stale.dir });
      expect(r.code).toBe(1);
      // The in-process check names the fleet file it read (the daemon's does not).
      expect(r.stderr).toContain(`agent "greter" not found in ${join(stale.dir, "herdctl.yaml")}`);
    } finally {
      await stale.remove();
    }
  });
});
