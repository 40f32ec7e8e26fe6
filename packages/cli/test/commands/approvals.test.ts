import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, herdctl, json, tempDir } from "../helpers/cli.js";
import { startDaemon, stopDaemon } from "../helpers/daemon.js";

interface Approval {
  id: string;
  jobId: string;
  tool: string;
  input: string;
  state: string;
  decidedBy: string | null;
  decidedVia: string | null;
  reason: string | null;
}

let dir: string;
let remove: () => Promise<void>;
let daemon: ChildProcess | undefined;

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-approvals-"));
  await mkdir(join(dir, "agents"), { recursive: true });
  await mkdir(join(dir, "workspace"), { recursive: true });
  await writeFile(
    join(dir, "herdctl.yaml"),
    "version: 1\nfleet: { name: careful }\nagents:\n  - path: ./agents/deployer.yaml\n",
  );
  await writeFile(
    join(dir, "agents", "deployer.yaml"),
    [
      "name: deployer",
      "working_directory: ../workspace",
      "runtime: cli",
      "allowed_tools: [Bash]",
      'approvals: { tools: ["Bash(touch:*)"], timeout: 2h }',
      "",
    ].join("\n"),
  );
});
afterAll(async () => {
  if (daemon) await stopDaemon(daemon);
  await remove();
});

/** Polls an async check (a CLI call) until it holds; the deadline only turns a hang into a message. */
async function until(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not seen within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const pending = async () =>
  json<{ approvals: Approval[] }>(await herdctl(["--json", "approvals"], { cwd: dir })).approvals;

describe("herdctl approvals, approve, deny (real claude, offline stand-in)", () => {
  it("lists a paused call, approves it through the daemon, and says who decided first", async () => {
    daemon = await startDaemon(dir);
    const user = `${(await import("node:os")).userInfo().username} (uid ${process.getuid!()})`;
    const triggered = await herdctl(
      ["trigger", "deployer", "-p", "@standin bash touch deployed.txt\n@standin text shipped"],
      { cwd: dir },
    );
    expect(triggered.code, triggered.stderr).toBe(0);
    const jobId = triggered.stdout.split(" ")[0]!;
    let list: Approval[] = [];
    await until(
      async () => {
        list = await pending();
        return list.length === 1;
      },
      "a pending approval",
      120_000,
    );
    const [request] = list;
    expect(request).toMatchObject({ jobId, tool: "Bash", state: "pending" });
    expect(request!.input).toContain("touch deployed.txt");
    const waiting = json<{ jobs: { id: string }[] }>(
      await herdctl(["--json", "jobs", "--status", "waiting_approval"], { cwd: dir }),
    );
    expect(waiting.jobs.map((j) => j.id)).toEqual([jobId]);
    const table = await herdctl(["approvals"], { cwd: dir });
    expect(table.stdout).toMatch(
      new RegExp(
        `^ID\\s+AGENT\\s+JOB\\s+TOOL\\s+INPUT\\s+STATE\\s+EXPIRES\\n${request!.id}\\s+deployer\\s+${jobId}\\s+Bash`,
      ),
    );

    const approved = await herdctl(["approve", request!.id, "--reason", "release window"], { cwd: dir });
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toBe(`${request!.id} approved (Bash of deployer, job ${jobId})\n`);
    let status = "";
    await until(
      async () => {
        status = json<{ job: { status: string } }>(await herdctl(["--json", "job", jobId], { cwd: dir })).job
          .status;
        return !["running", "waiting_approval"].includes(status);
      },
      "the job to end",
      120_000,
    );
    expect(status, (await herdctl(["job", jobId], { cwd: dir })).stdout).toBe("completed");
    expect(existsSync(join(dir, "workspace", "deployed.txt"))).toBe(true);

    const again = await herdctl(["deny", request!.id], { cwd: dir });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(
      `Approval ${request!.id} was already decided: Bash ${request!.id} approved by ${user} via cli (release window).`,
    );
    const unknown = await herdctl(["approve", "apr-00000000"], { cwd: dir });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(
      'No approval request "apr-00000000". List the pending ones with: herdctl approvals',
    );
    const all = json<{ approvals: Approval[] }>(
      await herdctl(["--json", "approvals", "--all"], { cwd: dir }),
    );
    expect(all.approvals.map((a) => [a.state, a.decidedBy, a.decidedVia, a.reason])).toEqual([
      ["approved", user, "cli", "release window"],
    ]);
    expect((await pending()).length).toBe(0);
  }, 400_000);
});
