// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the fleet file under test holds a literal ${VAR}
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Standin, startStandin, textReply } from "@herdctl/standin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresDatabase } from "../../../test/setup/postgres.js";
import { assertBuilt, BIN, cleanEnv, freePort, herdctl, json, tempDir, until } from "./helpers/cli.js";
import { stopDaemon } from "./helpers/daemon.js";

/**
 * docs/deploy's systemd recipe, run on this machine as far as one machine can: systemd's own
 * verifier reads both units, then the units' ExecStart lines run as written (with %H and %i
 * expanded as systemd does) in the environment herdctl.env.example gives them, the database URL
 * pointed at this file's PostgreSQL database and claude at the stand-in. Three folders stand for
 * the three machines' /srv/fleet: one runs herdctl.service, two run herdctl-worker@<n>.service.
 * KillSignal (SIGTERM) must stop each one cleanly. test/docs/deploy.test.ts checks the compose
 * file offline; running it needs a registry's postgres image and a bridge network, neither here.
 */
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const DEPLOY = join(ROOT, "docs/deploy");
const SERVICE = "herdctl.service";
const WORKER = "herdctl-worker@.service";
const db = postgresDatabase();
let standin: Standin;
let dir: string;
let remove: () => Promise<void>;
let webPort: number;
const procs = new Map<string, ChildProcess>();
const logs = new Map<string, string>();

function unit(name: string): string {
  return readFileSync(join(DEPLOY, name), "utf8");
}

/** A unit's `Key=value` lines of one key, in order. */
function values(text: string, key: string): string[] {
  return text
    .split("\n")
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1).trim());
}

/** ExecStart after the binary, with systemd's %H (host name) and %i (instance) expanded. */
function execArgs(text: string, instance?: string): string[] {
  const [line] = values(text, "ExecStart");
  const [bin, ...args] = line!.split(/\s+/);
  expect(bin).toBe("/usr/local/bin/herdctl");
  return args.map((arg) => arg.replaceAll("%H", hostname()).replaceAll("%i", instance ?? ""));
}

/** herdctl.env.example as systemd's EnvironmentFile reads it: KEY=VALUE lines, # comments. */
function environmentFile(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(join(DEPLOY, "herdctl.env.example"), "utf8").split("\n")) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}

function machineEnv(machine: string): NodeJS.ProcessEnv {
  return cleanEnv({
    ...environmentFile(),
    // What differs from the example: this file's database, and claude's API at the stand-in.
    DATABASE_URL: db.url,
    ANTHROPIC_BASE_URL: standin.url,
    HOME: join(dir, machine, "home"),
    CLAUDE_CONFIG_DIR: join(dir, machine, "claude"),
  });
}

/** Starts a unit's ExecStart in its machine's /srv/fleet, as systemd would (WorkingDirectory). */
function startUnit(machine: string, args: string[]): ChildProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: join(dir, machine, "fleet"),
    env: machineEnv(machine),
    stdio: ["ignore", "pipe", "pipe"],
  });
  logs.set(machine, "");
  const keep = (d: Buffer) => logs.set(machine, (logs.get(machine) ?? "") + d.toString());
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  procs.set(machine, child);
  return child;
}

/** What a stop by the unit's KillSignal gives: the exit code, or a message with the logs. */
async function stopBy(machine: string, signal: string): Promise<number | null> {
  const child = procs.get(machine)!;
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.kill(signal as NodeJS.Signals);
  const timer = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 60_000).unref());
  const result = await Promise.race([exited, timer]);
  if (result === "timeout")
    throw new Error(`${machine} did not stop within 60 s of ${signal}:\n${logs.get(machine)}`);
  return result;
}

beforeAll(async () => {
  assertBuilt();
  standin = await startStandin({ responder: () => textReply("Deployed and answering.") });
  ({ dir, remove } = await tempDir("herdctl-deploy-recipe-"));
  webPort = await freePort();
  for (const machine of ["sched", "w1", "w2"]) {
    for (const sub of ["fleet/agents", "fleet/workspace", "home", "claude"])
      await mkdir(join(dir, machine, sub), { recursive: true });
    // The fleet file docs/scaling.md's recipe has every machine share (its state section as written).
    await writeFile(
      join(dir, machine, "fleet", "herdctl.yaml"),
      [
        "version: 1",
        "fleet: { name: deployed }",
        "defaults: { permission_mode: acceptEdits, runtime: cli }",
        `web: { port: ${webPort} }`,
        "agents:",
        "  - path: ./agents/greeter.yaml",
        "state: { backend: postgres, url: ${DATABASE_URL} }",
        "",
      ].join("\n"),
    );
    // Host runtime, placed by a label both workers' unit gives them.
    await writeFile(
      join(dir, machine, "fleet", "agents", "greeter.yaml"),
      "name: greeter\nworking_directory: ../workspace\nplacement: { labels: [region=eu] }\n",
    );
  }
});

afterAll(async () => {
  for (const child of procs.values()) await stopDaemon(child);
  await standin?.close();
  await remove?.();
});

describe("docs/deploy: the systemd recipe, run on one machine", () => {
  it("both units pass systemd-analyze verify with nothing to say", async () => {
    const copies = join(dir, "units");
    await mkdir(copies, { recursive: true });
    // The verifier wants ExecStart's binary to exist: the built CLI's bin stands in for
    // /usr/local/bin/herdctl. An instance name makes the template a unit it can load.
    const bin = join(ROOT, "packages/cli/bin/herdctl.cjs");
    await writeFile(join(copies, SERVICE), unit(SERVICE).replaceAll("/usr/local/bin/herdctl", bin));
    await writeFile(
      join(copies, "herdctl-worker@1.service"),
      unit(WORKER).replaceAll("/usr/local/bin/herdctl", bin),
    );
    // It reports unknown keys and bad values, and still exits 0: what it says is the check.
    expect(verify(join(copies, SERVICE)), SERVICE).toBe("");
    expect(verify(join(copies, "herdctl-worker@1.service")), WORKER).toBe("");
    // The verifier can fail this test: a misspelt key is reported.
    await writeFile(join(copies, "bad.service"), `${unit(SERVICE).replace("KillSignal=", "KillSignl=")}`);
    expect(verify(join(copies, "bad.service"))).toMatch(/Unknown key 'KillSignl'/);
  });

  it("the scheduler and two workers run their ExecStart lines: a job lands on a worker, status lists both, SIGTERM stops each", async () => {
    const service = unit(SERVICE);
    const worker = unit(WORKER);
    const stopSignal = values(service, "KillSignal")[0]!;
    expect(values(worker, "KillSignal")[0]).toBe(stopSignal);

    startUnit("sched", execArgs(service));
    await until(
      () =>
        existsSync(join(dir, "sched", "fleet", ".herdctl", "herdctl.sock")) ||
        procs.get("sched")!.exitCode !== null,
      "the scheduler's control socket",
    );
    expect(procs.get("sched")!.exitCode, logs.get("sched")).toBeNull();
    startUnit("w1", execArgs(worker, "1"));
    startUnit("w2", execArgs(worker, "2"));
    const ids = [`${hostname()}-1`, `${hostname()}-2`];
    for (const [i, id] of ids.entries())
      await until(
        () => (logs.get(`w${i + 1}`) ?? "").includes(`worker ${id} of fleet`),
        `worker ${id} started`,
      );

    // The dashboard the unit's --web turns on answers on the fleet file's port.
    const page = await fetch(`http://127.0.0.1:${webPort}/`);
    expect(page.status, logs.get("sched")).toBeLessThan(500);

    // A trigger on the scheduler's machine: queued, run by a worker, answered by claude.
    const fleet = join(dir, "sched", "fleet");
    const run = await herdctl(["--json", "trigger", "greeter", "-p", "Hello.", "--wait"], {
      cwd: fleet,
      env: machineEnv("sched") as Record<string, string>,
    });
    expect(run.code, `${run.stderr}\n${[...logs].join("\n")}`).toBe(0);
    const id = json<{ id: string }>(run).id;
    const record = await herdctl(["--json", "job", id], {
      cwd: fleet,
      env: machineEnv("sched") as Record<string, string>,
    });
    const { job } = json<{ job: { status: string; workerId?: string } }>(record);
    expect(job.status).toBe("completed");
    expect(ids).toContain(job.workerId);
    const output = await herdctl(["logs", "--job", id], {
      cwd: fleet,
      env: machineEnv("sched") as Record<string, string>,
    });
    expect(output.stdout).toContain("Deployed and answering.");

    const status = await herdctl(["status"], {
      cwd: fleet,
      env: machineEnv("sched") as Record<string, string>,
    });
    for (const w of ids) expect(status.stdout).toMatch(new RegExp(`${w}\\s+\\S+\\s+\\d/4`));
    expect(status.stdout).toContain("docker,region=eu");
    // The unit files keep the password out of every log line.
    for (const log of logs.values()) expect(log).not.toContain("herdctl_test@");

    for (const machine of ["w1", "w2", "sched"])
      expect(await stopBy(machine, stopSignal), logs.get(machine)).toBe(0);
  });
});

/** What `systemd-analyze verify` says about a unit file (nothing when it finds no fault). */
function verify(file: string): string {
  const r = spawnSync("systemd-analyze", ["verify", file], { encoding: "utf8" });
  if (r.error)
    throw new Error(`systemd-analyze could not run (${r.error.message}): run scripts/setup-machine.sh`);
  return `${r.stdout}${r.stderr}`.trim();
}
