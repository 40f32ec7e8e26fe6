import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, BIN, cleanEnv, freePort, herdctl, json, tempDir, until } from "../helpers/cli.js";

const run = promisify(execFile);
const SECRET = "hook-secret-kept-in-dot-env-0123456789";

let dir: string;
let remove: () => Promise<void>;
let daemon: ChildProcess;
let daemonLog = "";

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-webhook-"));
  const port = await freePort();
  await mkdir(join(dir, "agents"), { recursive: true });
  await mkdir(join(dir, "workspace"), { recursive: true });
  await writeFile(
    join(dir, "herdctl.yaml"),
    `version: 1\nfleet: { name: hooks }\ndefaults: { runtime: cli, permission_mode: acceptEdits }\n` +
      `webhooks: { enabled: true, port: ${port} }\nagents:\n  - path: ./agents/hooker.yaml\n`,
  );
  await writeFile(
    join(dir, "agents", "hooker.yaml"),
    "name: hooker\nworking_directory: ../workspace\nschedules:\n" +
      '  push: { type: webhook, secret_env: HOOK_SECRET, prompt: "Handle the push." }\n' +
      '  gh: { type: webhook, signature: github, secret_env: HOOK_SECRET, prompt: "Handle GitHub." }\n' +
      '  later: { type: webhook, secret_env: NOT_SET_ANYWHERE, prompt: "Never." }\n',
  );
  // The secret is only in .env beside the fleet file: the daemon and the CLI must both find it there.
  await writeFile(join(dir, ".env"), `HOOK_SECRET=${SECRET}\n`);
  daemon = spawn(process.execPath, [BIN, "start", "--offline", "--no-warm"], { cwd: dir, env: cleanEnv() });
  daemon.stderr!.on("data", (d) => (daemonLog += d));
  daemon.stdout!.on("data", (d) => (daemonLog += d));
  await until(() => daemonLog.includes("Ctrl-C to stop"), "the daemon's start summary");
});
afterAll(async () => {
  if (daemon.exitCode === null) {
    const exited = new Promise((resolve) => daemon.once("exit", resolve));
    daemon.kill("SIGTERM");
    await exited;
  }
  await remove();
});

describe("herdctl webhook send", () => {
  it("signs with the secret from .env and the daemon runs the job", async () => {
    const r = await herdctl(["webhook", "send", "hooker", "push", "--data", '{"ref":"main"}'], { cwd: dir });
    expect(r.stderr).not.toContain(SECRET);
    expect(r.code, r.stderr).toBe(0);
    const id = /accepted: job (\S+)/.exec(r.stdout)?.[1];
    expect(id).toBeDefined();
    const { job } = json<{ job: { schedule: string; triggerType: string } }>(
      await herdctl(["--json", "job", id!], { cwd: dir }),
    );
    expect(job).toMatchObject({ schedule: "push", triggerType: "webhook" });
  });

  it("signs GitHub's way for signature: github", async () => {
    const r = await herdctl(["webhook", "send", "hooker", "gh", "--data", "{}"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^accepted: job \S+/);
  });

  it("prints a curl line that works once and is refused as a replay after", async () => {
    await writeFile(join(dir, "payload.json"), '{"from":"curl"}');
    const r = await herdctl(
      ["webhook", "send", "hooker", "push", "--data", "@payload.json", "--print-curl"],
      {
        cwd: dir,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const line = r.stdout.trim();
    expect(line).toMatch(
      /^curl -sS -X POST http:\/\/127\.0\.0\.1:\d+\/hooks\/hooker\/push -H 'content-type: application\/json' -H 'x-herdctl-timestamp: \d+' -H 'x-herdctl-signature: sha256=[0-9a-f]{64}' --data-binary @payload.json$/,
    );
    expect(line).not.toContain(SECRET);
    // The line is for a shell, so a shell runs it, exactly as a user would paste it.
    const first = await run("sh", ["-c", line], { cwd: dir });
    expect(JSON.parse(first.stdout)).toHaveProperty("jobId");
    const again = await run("sh", ["-c", line], { cwd: dir });
    expect(JSON.parse(again.stdout)).toEqual({
      error: {
        code: "REPLAYED",
        message:
          "this signed request was already accepted; sign each new request with a fresh X-Herdctl-Timestamp",
      },
    });
  });

  it("shows refused calls in status <agent>, and names an unset secret without a value", async () => {
    const unset = await herdctl(["webhook", "send", "hooker", "later"], { cwd: dir });
    expect(unset.code).toBe(1);
    expect(unset.stderr).toContain(
      "herdctl: NOT_SET_ANYWHERE (the secret of hooker/later) is not set in the environment or in .env beside the fleet file",
    );
    const human = await herdctl(["status", "hooker"], { cwd: dir });
    expect(human.stdout).toContain("refused webhook calls, latest first:");
    expect(human.stdout).toMatch(/push: 409 REPLAYED this signed request was already accepted/);
    const status = json<{ rejectedWebhooks: Array<{ schedule: string; status: number; code: string }> }>(
      await herdctl(["--json", "status", "hooker"], { cwd: dir }),
    );
    expect(status.rejectedWebhooks[0]).toMatchObject({ schedule: "push", status: 409, code: "REPLAYED" });
  });

  it("refuses unknown or prototype schedule names and bad --data as usage errors", async () => {
    for (const name of ["__proto__", "toString", "constructor", "hasOwnProperty"]) {
      const r = await herdctl(["webhook", "send", "hooker", name], { cwd: dir });
      expect(r.code, name).toBe(2);
      expect(r.stderr).toContain(`agent hooker has no schedule "${name}".`);
    }
    // trigger --schedule goes through the daemon's API here, and through the config when offline.
    for (const args of [
      ["trigger", "hooker", "--schedule", "toString"],
      ["trigger", "hooker", "--offline", "--schedule", "constructor"],
    ]) {
      const r = await herdctl(args, { cwd: dir });
      expect(r.code, args.join(" ")).not.toBe(0);
      expect(r.stderr, args.join(" ")).toMatch(
        /[Aa]gent hooker has no schedule "(toString|constructor)"\. Its schedules: push, gh, later/,
      );
    }
    const typo = await herdctl(["webhook", "send", "hooker", "pus"], { cwd: dir });
    expect(typo.stderr.trim().split("\n").at(-1)).toBe(
      'herdctl: agent hooker has no schedule "pus". Did you mean: push? Its schedules: push, gh, later',
    );
    const bad = await herdctl(["webhook", "send", "hooker", "push", "--data", "{nope"], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^herdctl: --data: not valid JSON \(/m);
  });

  it("warns about the unset secret at start, naming file:line:col and key", () => {
    expect(daemonLog).toContain(
      "agents/hooker.yaml:6:39 schedules.later.secret_env: NOT_SET_ANYWHERE is not set in the environment or in .env beside the fleet file",
    );
  });
});

describe("unset *_env references", () => {
  it("warn at config validate and doctor, naming file:line:col and key", async () => {
    const expected =
      "agents/hooker.yaml:6:39 schedules.later.secret_env: NOT_SET_ANYWHERE is not set in the environment or in .env beside the fleet file";
    const validate = await herdctl(["config", "validate"], { cwd: dir });
    expect(validate.code).toBe(0);
    expect(validate.stderr).toContain(`warning: ${expected}`);
    const doctor = await herdctl(["--json", "doctor"], { cwd: dir });
    expect(doctor.stderr).toContain(`warning: ${expected}`);
    const config = json<{ checks: Array<{ name: string; status: string; detail: string }> }>(
      doctor,
    ).checks.find((c) => c.name === "config");
    expect(config?.status).toBe("warn");
    expect(config?.detail).toMatch(/; 1 warning above$/);
  });
});

describe("web.auth_token_env", () => {
  it("is read from .env beside the fleet file too", async () => {
    const other = await tempDir("herdctl-token-env-");
    const port = await freePort();
    const token = "dashboard-token-from-dot-env-0123456789";
    await writeFile(
      join(other.dir, "herdctl.yaml"),
      `version: 1\nfleet: { name: tokens }\nweb: { auth_token_env: DASH_TOKEN }\nagents: []\n`,
    );
    await writeFile(join(other.dir, ".env"), `DASH_TOKEN=${token}\n`);
    const web = spawn(
      process.execPath,
      [
        BIN,
        "start",
        "--offline",
        "--no-warm",
        "--web",
        "--web-host",
        "127.0.0.2",
        "--web-port",
        String(port),
      ],
      { cwd: other.dir, env: cleanEnv() },
    );
    let log = "";
    web.stderr!.on("data", (d) => (log += d));
    web.stdout!.on("data", (d) => (log += d));
    const exited = new Promise((resolve) => web.once("exit", resolve));
    try {
      await until(
        () => log.includes("Ctrl-C to stop") || web.exitCode !== null,
        "the daemon's start summary",
      );
      expect(log).not.toContain("DASH_TOKEN");
      const res = await fetch(`http://127.0.0.2:${port}/api/fleet`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(200);
    } finally {
      web.kill("SIGTERM");
      await exited;
      await other.remove();
    }
  });
});
