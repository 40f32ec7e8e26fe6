import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { chmodSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { send } from "../../../web/test/helpers/http.js";
import { assertBuilt, BIN, cleanEnv, herdctl, json, tempDir, writeFleet } from "../helpers/cli.js";

// The dashboard of a real `herdctl start --offline --web` on loopback, seen by its owner and by others.
let dir: string;
let remove: () => Promise<void>;
let daemon: ChildProcess;
let origin: string;
let startLink: string;

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-dashboard-"));
  // Other users may enter the fleet's folder, as in a home directory: only the file modes guard.
  chmodSync(dir, 0o755);
  await writeFleet(dir);
  daemon = spawn(process.execPath, [BIN, "start", "--offline", "--no-warm", "--web", "--web-port", "0"], {
    cwd: dir,
    env: cleanEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  daemon.stderr!.on("data", (d) => (err += d));
  await new Promise<void>((resolve, reject) => {
    daemon.stdout!.on("data", (d) => {
      out += d;
      const link = /log in once with (http:\/\/127\.0\.0\.1:\d+\/auth\/\S+)/.exec(out)?.[1];
      if (link) {
        startLink = link;
        origin = new URL(link).origin;
        resolve();
      }
    });
    daemon.once("exit", (code) =>
      reject(new Error(`the daemon exited (${code}) before serving:\n${out}\n${err}`)),
    );
  });
});
afterAll(async () => {
  if (daemon?.exitCode === null) {
    const exited = once(daemon, "exit");
    daemon.kill("SIGTERM");
    await exited;
  }
  await remove?.();
});

/** Runs a program as the unprivileged user `nobody`; arguments go straight to it, no shell. */
function asNobody(
  command: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("runuser", ["-u", "nobody", "--", command, ...args], (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function vmRssBytes(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kb) * 1024;
}

describe("the loopback dashboard", () => {
  it("refuses another local user: 401 for a trigger, and the token file is unreadable", async () => {
    const trigger = await asNobody("curl", [
      "-s",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      "-X",
      "POST",
      "-H",
      "content-type: application/json",
      "--data",
      '{"prompt":"run this as the operator"}',
      `${origin}/api/agents/greeter/trigger`,
    ]);
    expect(trigger.stdout).toBe("401");
    const token = await asNobody("cat", [join(dir, ".herdctl", "web-token")]);
    expect(token.code).not.toBe(0);
    expect(token.stderr).toContain("Permission denied");
    // Nor can they ask the daemon for a login link.
    const link = await asNobody(process.execPath, [BIN, "-c", dir, "dashboard", "--no-open"]);
    expect(link.code).toBe(1);
    expect(link.stdout).toBe("");
    expect(link.stderr).toBe(
      `herdctl: the daemon's control socket ${join(dir, ".herdctl", "herdctl.sock")} belongs to another user; only that user may open the dashboard, so run herdctl dashboard as them\n`,
    );
    const jobs = await herdctl(["--json", "jobs"], { cwd: dir });
    expect(json<{ jobs: unknown[] }>(jobs).jobs).toEqual([]);
  });

  it("herdctl dashboard prints a fresh one-time link that logs a browser in once", async () => {
    const printed = await herdctl(["dashboard", "--no-open"], { cwd: dir });
    expect(printed.code).toBe(0);
    expect(printed.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/auth\/[A-Za-z0-9_-]{43}\n$/);
    const asJson = await herdctl(["--json", "dashboard", "--no-open"], { cwd: dir });
    const link = json<{ url: string; expiresAt: string }>(asJson);
    expect(new Date(link.expiresAt).getTime()).toBeGreaterThan(Date.now());

    for (const url of [startLink, printed.stdout.trim(), link.url]) {
      const path = new URL(url).pathname;
      const exchanged = await send(origin, path);
      expect(exchanged.status).toBe(303);
      expect(exchanged.headers.location).toBe("/");
      const session = String(exchanged.headers["set-cookie"]).split(";")[0]!;
      expect((await send(origin, "/api/agents", { headers: { cookie: session } })).status).toBe(200);
      expect((await send(origin, path)).status).toBe(401);
    }
  });

  it("answers oversized bodies with 413 without holding them: the daemon's RSS stays put", async () => {
    const token = readFileSync(join(dir, ".herdctl", "web-token"), "utf8").trim();
    const size = 300 * 1024 * 1024;
    const before = vmRssBytes(daemon.pid!);
    const login = await send(origin, "/api/login", { size });
    expect(login.status).toBe(413);
    expect(JSON.parse(login.body).error.code).toBe("PAYLOAD_TOO_LARGE");
    expect((await send(origin, "/api/login", { size, chunked: true })).status).toBe(413);
    const trigger = await send(origin, "/api/agents/greeter/trigger", {
      headers: { authorization: `Bearer ${token}` },
      size,
      chunked: true,
    });
    expect(trigger.status).toBe(413);
    const socketPath = join(dir, ".herdctl", "herdctl.sock");
    const control = await send(origin, "/api/agents/greeter/trigger", { socketPath, size, chunked: true });
    expect(control.status).toBe(413);
    expect(JSON.parse(control.body).error.message).toBe(
      "the request body is over the 2097152-byte limit for POST /api/agents/greeter/trigger; send a smaller one",
    );
    // A client that ignores the answer and sends all of it anyway.
    const relentless = await send(origin, "/api/login", { size, chunked: true, relentless: true });
    expect([0, 413]).toContain(relentless.status);
    const grown = vmRssBytes(daemon.pid!) - before;
    expect(grown).toBeLessThan(100 * 1024 * 1024);
    // Still serving, and nothing was triggered.
    expect((await send(origin, "/api/health")).status).toBe(200);
    const jobs = await herdctl(["--json", "jobs"], { cwd: dir });
    expect(json<{ jobs: unknown[] }>(jobs).jobs).toEqual([]);
  });

  it("herdctl dashboard says what to do when no daemon serves the dashboard", async () => {
    const other = await tempDir("herdctl-dashboard-none-");
    await writeFleet(other.dir);
    const none = await herdctl(["dashboard", "--no-open"], { cwd: other.dir });
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(
      `herdctl: no herdctl daemon is running for ${join(other.dir, ".herdctl")}; start one with herdctl start --web\n`,
    );
    await other.remove();
  });
});
