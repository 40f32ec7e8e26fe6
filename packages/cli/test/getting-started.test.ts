import { type ChildProcess, spawn } from "node:child_process";
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IMAGE_GID, IMAGE_UID } from "../../core/src/docker/runtime-image.js";
import {
  ensureRuntimeImage,
  IMAGE_TIMEOUT_MS,
  removeFleetContainers,
} from "../../core/test/docker/runtime-image-fixture.js";
import { assertBuilt, BIN, type CliResult, cleanEnv, freePort, tempDir, until } from "./helpers/cli.js";

/**
 * docs/getting-started.md section 5, followed to the letter: its files are examples/getting-started
 * verbatim, and the commands it tells you to type are run here, offline, as written.
 */

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const DOC = join(ROOT, "docs", "getting-started.md");
const EXAMPLE = join(ROOT, "examples", "getting-started");

const SETUP = ["cp .env.example .env", "herdctl docker build --offline", "herdctl config validate"];
const START = "HERDCTL_EXAMPLE_NETWORK=host herdctl start --offline --web";
const SECOND_TERMINAL = {
  reporter: "herdctl trigger reporter --wait",
  builder: "herdctl trigger builder --wait",
  webhook: `herdctl webhook send deployer ci --data '{"build":"1234","status":"passed"}'`,
  jobs: "herdctl jobs",
  deploys: "cat deploys.log",
  dashboard: "herdctl dashboard --no-open",
  stop: "herdctl stop",
};

/** `<!-- file: path -->` followed by a fenced block: the doc's copies of the example's files. */
function includedFiles(doc: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const m of doc.matchAll(/<!-- file: (\S+) -->\n```\w*\n([\s\S]*?)```\n/g)) files.set(m[1]!, m[2]!);
  return files;
}

/** Every command line of the doc's ```sh blocks, without its trailing comment. */
function shellLines(doc: string): string[] {
  return [...doc.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) =>
    m[1]!
      .split("\n")
      .map((l) => l.replace(/\s+#.*$/, "").trim())
      .filter(Boolean),
  );
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => /\.ya?ml$/.test(f));
}

describe("docs/getting-started.md", () => {
  const doc = readFileSync(DOC, "utf8");

  it("shows every YAML file of examples/getting-started, verbatim", () => {
    const included = includedFiles(doc);
    const expected = filesUnder(EXAMPLE).map((f) => relative(ROOT, join(EXAMPLE, f)));
    expect([...included.keys()].sort()).toEqual(expected.sort());
    for (const [path, text] of included) expect(text, path).toBe(readFileSync(join(ROOT, path), "utf8"));
  });

  it("tells you to type exactly the commands this test runs", () => {
    const lines = shellLines(doc);
    for (const command of [...SETUP, START, ...Object.values(SECOND_TERMINAL)])
      expect(lines).toContain(command);
  });
});

describe("the getting-started fleet, run as the doc says (offline, real claude and Docker)", () => {
  let dir: string;
  let remove: () => Promise<void>;
  let binDir: string;
  let daemon: ChildProcess | undefined;
  let daemonOut = "";
  const env = () => cleanEnv({ PATH: `${binDir}:${process.env.PATH}` });

  /** One line of the doc, run by /bin/sh in the fleet's folder, with `herdctl` on PATH. */
  function sh(line: string): Promise<CliResult> {
    return new Promise((resolve, reject) => {
      const child = spawn("/bin/sh", ["-c", line], {
        cwd: dir,
        env: env(),
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
  }

  beforeAll(async () => {
    assertBuilt();
    await ensureRuntimeImage();
    const tmp = await tempDir("herdctl-getting-started-");
    remove = tmp.remove;
    dir = join(tmp.dir, "first-fleet");
    binDir = join(tmp.dir, "bin");
    // A run's state and logs never come from (or land in) the repository's copy.
    cpSync(EXAMPLE, dir, {
      recursive: true,
      filter: (src) =>
        !src.split("/").includes(".herdctl") && !src.endsWith(".log") && !src.endsWith("/.env"),
    });
    // herdctl as the doc's reader has it: a command on PATH.
    mkdirSync(binDir);
    writeFileSync(join(binDir, "herdctl"), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
    chmodSync(join(binDir, "herdctl"), 0o755);
    // Tests run side by side: the fleet's dashboard port is the only line changed.
    const fleetFile = join(dir, "herdctl.yaml");
    const fleetYaml = readFileSync(fleetFile, "utf8");
    expect(fleetYaml).toContain("\n  port: 3232\n");
    writeFileSync(fleetFile, fleetYaml.replace("\n  port: 3232\n", `\n  port: ${await freePort()}\n`));
    // The container runs as uid 1000, as on a machine where a user owns the checkout.
    if (process.getuid?.() === 0) chownSync(join(dir, "workspace"), IMAGE_UID, IMAGE_GID);
  }, IMAGE_TIMEOUT_MS);

  afterAll(async () => {
    if (daemon && daemon.exitCode === null) daemon.kill("SIGKILL");
    await removeFleetContainers("first-fleet");
    await remove?.();
  });

  // Three real claude jobs, one in a container: minutes on a busy two-core machine.
  it("sets up, starts, runs every agent, takes a signed webhook and stops", async () => {
    for (const line of SETUP) {
      const r = await sh(line);
      expect(r.code, `${line}\n${r.stdout}${r.stderr}`).toBe(0);
    }

    daemon = spawn("/bin/sh", ["-c", START], { cwd: dir, env: env(), stdio: ["ignore", "pipe", "pipe"] });
    daemon.stdout?.on("data", (d) => (daemonOut += d));
    daemon.stderr?.on("data", (d) => (daemonOut += d));
    await until(() => daemonOut.includes("Ctrl-C to stop") || daemon!.exitCode !== null, "the start summary");
    expect(daemonOut).toContain("fleet first-fleet running");
    expect(daemonOut).toMatch(/ {4}check: every 4h · first run \S+ \S+ UTC \(in (1m|\d+s)\)\n/);
    expect(daemonOut).toMatch(
      / {4}morning: cron 0 9 \* \* 1-5 \(UTC\) · first run \S+ 09:00:00 UTC \(in \d+[mhd]\)\n/,
    );
    expect(daemonOut).toContain("    ci: on webhook · runs on each signed request\n");
    expect(daemonOut).toMatch(/dashboard: http:\/\/127\.0\.0\.1:\d+\n/);

    for (const agent of ["reporter", "builder"] as const) {
      const r = await sh(SECOND_TERMINAL[agent]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/completed/);
    }

    const sent = await sh(SECOND_TERMINAL.webhook);
    expect(sent.code, sent.stderr).toBe(0);
    // The shell hook appends its line once the deployer's job has ended.
    const log = join(dir, "deploys.log");
    await until(() => existsSync(log) && /job-\S+ completed/.test(readFileSync(log, "utf8")), "deploys.log");
    const deploys = await sh(SECOND_TERMINAL.deploys);
    expect(deploys.stdout).toMatch(/^\S+ job-\S+ completed\n$/);

    const jobs = await sh(SECOND_TERMINAL.jobs);
    expect(jobs.code).toBe(0);
    for (const agent of ["reporter", "builder", "deployer"])
      expect(jobs.stdout).toMatch(new RegExp(`${agent}\\s.*completed`));

    // The link logs a browser in once: a session cookie and off to the dashboard; then it is spent.
    const dashboard = await sh(SECOND_TERMINAL.dashboard);
    expect(dashboard.code, dashboard.stderr).toBe(0);
    const link = dashboard.stdout.trim();
    expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/auth\/\S+$/);
    const login = await fetch(link, { redirect: "manual" });
    expect(login.status).toBe(303);
    expect(login.headers.get("set-cookie")).toBeTruthy();
    expect((await fetch(link, { redirect: "manual" })).status).toBe(401);

    const stopped = await sh(SECOND_TERMINAL.stop);
    expect(stopped.code, stopped.stderr).toBe(0);
    await until(() => daemon!.exitCode !== null, "the daemon's exit");
    expect(daemon.exitCode).toBe(0);
  }, 480_000);
});
