import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertBuilt,
  herdctl,
  json,
  type TriggeredJob,
  tempDir,
  triggerOffline,
  writeFleet,
} from "../helpers/cli.js";

interface JobsDoc {
  jobs: Array<Record<string, unknown>>;
  nextCursor: string | null;
}

let dir: string;
let remove: () => Promise<void>;
let first: TriggeredJob;
let second: TriggeredJob;
let scribe: TriggeredJob;

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir());
  await writeFleet(dir);
  first = await triggerOffline(dir, "greeter");
  second = await triggerOffline(dir, "greeter", "Say goodbye.");
  scribe = await triggerOffline(dir, "scribe");
});
afterAll(() => remove());

describe("herdctl jobs", () => {
  it("prints an aligned table, newest first", async () => {
    const r = await herdctl(["jobs"], { cwd: dir });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(
      /^ID\s+AGENT\s+STATUS\s+TRIGGER\s+SCHEDULE\s+STARTED\s+DURATION\s+COST\s+SUMMARY$/,
    );
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual([scribe.id, second.id, first.id]);
    // Aligned: the AGENT column starts at the same offset on every line.
    const col = lines[0]!.indexOf("AGENT");
    for (const l of lines.slice(1))
      expect(l.slice(col).startsWith("greeter") || l.slice(col).startsWith("scribe")).toBe(true);
    expect(lines[1]).toContain("completed");
    expect(lines[1]).toContain("manual");
    expect(r.stdout).not.toContain("\u001b[");
  });

  it("--json prints one document with the records and the cursor", async () => {
    const r = await herdctl(["--json", "jobs"], { cwd: dir });
    expect(r.code).toBe(0);
    const doc = json<JobsDoc>(r);
    expect(doc.nextCursor).toBeNull();
    expect(doc.jobs.map((j) => j.id)).toEqual([scribe.id, second.id, first.id]);
    const j = doc.jobs[1]!;
    expect(j.agent).toBe("greeter");
    expect(j.status).toBe("completed");
    expect(j.triggerType).toBe("manual");
    expect(j.prompt).toBe("Say goodbye.");
    expect(j.exitReason).toBe("success");
    expect(typeof j.durationMs).toBe("number");
    expect(j.numTurns).toBe(1);
    expect(j.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    // Offline: the stand-in's tokens are counted, but nothing was billed.
    expect(typeof j.outputTokens).toBe("number");
    expect(j.costUsd).toBeNull();
  });

  it("filters by agent and status, pages with --limit and --before", async () => {
    const byAgent = json<JobsDoc>(await herdctl(["--json", "jobs", "-a", "greeter"], { cwd: dir }));
    expect(byAgent.jobs.map((j) => j.id)).toEqual([second.id, first.id]);
    const failed = json<JobsDoc>(await herdctl(["--json", "jobs", "-S", "failed"], { cwd: dir }));
    expect(failed.jobs).toEqual([]);
    const several = json<JobsDoc>(await herdctl(["--json", "jobs", "-S", "failed,completed"], { cwd: dir }));
    expect(several.jobs).toHaveLength(3);
    const page1 = json<JobsDoc>(await herdctl(["--json", "jobs", "-l", "2"], { cwd: dir }));
    expect(page1.jobs.map((j) => j.id)).toEqual([scribe.id, second.id]);
    expect(page1.nextCursor).toBe(second.id);
    const page2 = json<JobsDoc>(
      await herdctl(["--json", "jobs", "-l", "2", "--before", second.id], { cwd: dir }),
    );
    expect(page2.jobs.map((j) => j.id)).toEqual([first.id]);
    expect(page2.nextCursor).toBeNull();
    const human = await herdctl(["jobs", "-l", "1"], { cwd: dir });
    expect(human.stdout).toContain(`more: herdctl jobs --before ${scribe.id}`);
  });

  it("--since takes a relative duration or an ISO time", async () => {
    const recent = json<JobsDoc>(await herdctl(["--json", "jobs", "--since", "1h"], { cwd: dir }));
    expect(recent.jobs).toHaveLength(3);
    const future = json<JobsDoc>(
      await herdctl(["--json", "jobs", "--since", "2999-01-01T00:00:00Z"], { cwd: dir }),
    );
    expect(future.jobs).toEqual([]);
    const human = await herdctl(["jobs", "--since", "2999-01-01T00:00:00Z"], { cwd: dir });
    expect(human.stdout).toBe("no jobs match\n");
  });

  it("rejects a bad status, time or limit with exit 2 and an unknown agent with exit 1", async () => {
    const status = await herdctl(["jobs", "-S", "done"], { cwd: dir });
    expect(status.code).toBe(2);
    expect(status.stderr).toBe(
      'herdctl: unknown job status "done"; use one of: queued, running, completed, failed, cancelled, timed_out, interrupted, skipped, waiting_approval\n',
    );
    const since = await herdctl(["jobs", "--since", "yesterday"], { cwd: dir });
    expect(since.code).toBe(2);
    expect(since.stderr).toBe(
      'herdctl: --since "yesterday" is neither a time (2025-01-31T09:00:00Z) nor a duration (30m, 2h, 1d)\n',
    );
    const limit = await herdctl(["jobs", "-l", "0"], { cwd: dir });
    expect(limit.code).toBe(2);
    expect(limit.stderr).toBe('herdctl: --limit must be a whole number from 1 to 1000, got "0"\n');
    const agent = await herdctl(["jobs", "-a", "greter"], { cwd: dir });
    expect(agent.code).toBe(1);
    expect(agent.stderr).toBe(
      'herdctl: agent "greter" not found. Nearest: greeter, scribe. Available: greeter, scribe.\n',
    );
  });
});

describe("herdctl job", () => {
  it("shows every field with a human label", async () => {
    const r = await herdctl(["job", second.id], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Job:\\s+${second.id}$`, "m"));
    expect(r.stdout).toMatch(/^Agent:\s+greeter$/m);
    expect(r.stdout).toMatch(/^Status:\s+completed \(success\)$/m);
    expect(r.stdout).toMatch(/^Trigger:\s+manual$/m);
    expect(r.stdout).toMatch(/^Runtime:\s+cli$/m);
    expect(r.stdout).toMatch(new RegExp(`^Session:\\s+${second.sessionId}$`, "m"));
    // The second job continued the first one's session: the view names that job, not "-".
    expect(r.stdout).toMatch(
      new RegExp(`^Resumed from:\\s+${first.id} \\(continued its session ${second.sessionId}\\)$`, "m"),
    );
    const fresh = await herdctl(["job", first.id], { cwd: dir });
    expect(fresh.stdout).toMatch(/^Resumed from:\s+-$/m);
    expect(r.stdout).toMatch(/^Turns:\s+1$/m);
    expect(r.stdout).toMatch(/^Tokens:\s+\d+ in \/ \d+ out/m);
    // Run offline against the stand-in: nothing was billed.
    expect(r.stdout).toMatch(/^Cost:\s+offline, not billed$/m);
    expect(r.stdout).toContain("Prompt:\n  Say goodbye.\n");
    expect(r.stdout).toContain("Summary:\n  Hi! This is herdctl's offline stand-in");
    expect(r.stdout).not.toContain("Output (");
  });

  it("--logs appends the rendered output; --json gives the record and the raw lines", async () => {
    const human = await herdctl(["job", second.id, "--logs"], { cwd: dir });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(
      /Output \(\d+ messages\):\n· offline: claude talks to herdctl's stand-in, not Anthropic; nothing is billed and no cost is recorded\n· resuming session [0-9a-f-]{36}\nHi! This is herdctl's offline stand-in/,
    );
    const doc = json<{
      job: Record<string, unknown>;
      output: Array<{ line: number; message: { type: string } }>;
    }>(await herdctl(["--json", "job", second.id, "--logs"], { cwd: dir }));
    expect(doc.job.id).toBe(second.id);
    expect(doc.job.status).toBe("completed");
    expect(doc.output[0]!.line).toBe(0);
    expect(doc.output.map((l) => l.message.type)).toContain("assistant");
    const plain = json<Record<string, unknown>>(await herdctl(["--json", "job", first.id], { cwd: dir }));
    expect(plain).toMatchObject({ origin: null });
    const resumed = json<Record<string, unknown>>(await herdctl(["--json", "job", second.id], { cwd: dir }));
    expect(resumed.origin).toEqual({ jobId: first.id, reason: "session" });
  });

  it("validates the id before looking it up, and names the nearest ids", async () => {
    const bad = await herdctl(["job", "../etc/passwd"], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'herdctl: "../etc/passwd" is not a job id; job ids look like job-20250101120000-ab12cd (see "herdctl jobs")\n',
    );
    const typo = `${first.id.slice(0, -1)}${first.id.endsWith("z") ? "y" : "z"}`;
    const missing = await herdctl(["job", typo], { cwd: dir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(new RegExp(`^herdctl: job ${typo} not found\\. Nearest: ${first.id}, `));
    expect(missing.stderr).toContain('List jobs with "herdctl jobs".');
  });
});
