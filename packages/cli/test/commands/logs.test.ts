import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { StateManager } from "@herdctl/core/internal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertBuilt,
  BIN,
  cleanEnv,
  herdctl,
  json,
  type TriggeredJob,
  tempDir,
  triggerOffline,
  writeFleet,
} from "../helpers/cli.js";

let dir: string;
let remove: () => Promise<void>;
let greet: TriggeredJob;
let note: TriggeredJob;

const assistant = (text: string) => ({
  type: "assistant",
  message: { role: "assistant", content: [{ type: "text", text }] },
});

/** A job marked running with no process behind it, as a crashed or foreign runner leaves one. */
function runningJob(agent: string): string {
  const state = new StateManager(join(dir, ".herdctl"));
  state.open();
  try {
    const job = state.jobs.create({ agent, triggerType: "manual", prompt: "work", runtime: "cli" });
    state.jobs.start(job.id);
    state.appendJobOutput(job.id, assistant("first line"));
    return job.id;
  } finally {
    state.close();
  }
}

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir());
  await writeFleet(dir);
  greet = await triggerOffline(dir, "greeter");
  note = await triggerOffline(dir, "scribe");
});
afterAll(() => remove());

describe("herdctl logs", () => {
  it("renders the latest jobs' output, oldest first, each under a header", async () => {
    const r = await herdctl(["logs"], { cwd: dir });
    expect(r.code).toBe(0);
    const g = r.stdout.indexOf(`── ${greet.id} greeter completed`);
    const s = r.stdout.indexOf(`── ${note.id} scribe completed`);
    expect(g).toBeGreaterThanOrEqual(0);
    expect(s).toBeGreaterThan(g);
    expect(r.stdout).toContain('You asked: "Say hello to the team."');
    expect(r.stdout).toMatch(new RegExp(`job ${greet.id} completed .* turns`));
  });

  it("limits to one agent, to -n jobs, or to one job; --json is one document", async () => {
    const agent = await herdctl(["logs", "scribe"], { cwd: dir });
    expect(agent.stdout).toContain(note.id);
    expect(agent.stdout).not.toContain(greet.id);
    const one = await herdctl(["logs", "-n", "1"], { cwd: dir });
    expect(one.stdout).toContain(note.id);
    expect(one.stdout).not.toContain(greet.id);
    const doc = json<{
      jobs: Array<{ job: { id: string }; output: Array<{ line: number; message: { type: string } }> }>;
    }>(await herdctl(["--json", "logs", "--job", greet.id], { cwd: dir }));
    expect(doc.jobs).toHaveLength(1);
    expect(doc.jobs[0]!.job.id).toBe(greet.id);
    expect(doc.jobs[0]!.output.map((l) => l.line)).toEqual(doc.jobs[0]!.output.map((_, i) => i));
    expect(doc.jobs[0]!.output.some((l) => l.message.type === "assistant")).toBe(true);
  });

  it("rejects a bad job id, an unknown agent, and a job of another agent", async () => {
    const bad = await herdctl(["logs", "--job", "x"], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"x" is not a job id');
    const agent = await herdctl(["logs", "scrib"], { cwd: dir });
    expect(agent.code).toBe(1);
    expect(agent.stderr).toBe(
      'herdctl: agent "scrib" not found. Nearest: scribe, greeter. Available: greeter, scribe.\n',
    );
    const other = await herdctl(["logs", "scribe", "--job", greet.id], { cwd: dir });
    expect(other.code).toBe(2);
    expect(other.stderr).toBe(`herdctl: job ${greet.id} belongs to agent greeter, not scribe\n`);
  });

  it("-f without a daemon or a running job says there is nothing to follow", async () => {
    const r = await herdctl(["logs", "greeter", "-f"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'nothing to follow: no daemon is running and no job of greeter is running. Start the fleet with "herdctl start", or follow one job with --job ID.\n',
    );
  });

  it("-f --json on a finished job prints its lines then its end as NDJSON", async () => {
    const r = await herdctl(["--json", "logs", "--job", greet.id, "-f"], { cwd: dir });
    expect(r.code).toBe(0);
    const events = r.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(events.at(-1)).toMatchObject({
      type: "job:completed",
      payload: { id: greet.id, status: "completed" },
    });
    expect(events.slice(0, -1).every((e) => e.type === "job:output" && e.payload.jobId === greet.id)).toBe(
      true,
    );
  });

  it("-f tails a running job's file without a daemon, live, until it ends", async () => {
    const id = runningJob("greeter");
    const child = spawn(process.execPath, [BIN, "--json", "logs", "greeter", "-f", "-n", "1"], {
      cwd: dir,
      env: cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const next = async () => {
      const { value, done } = await lines.next();
      // A follower that stops early says why on stderr; show it rather than a JSON parse error.
      if (done)
        throw new Error(`logs -f ended early (exit ${child.exitCode}); stderr: ${stderr || "(none)"}`);
      return JSON.parse(value as string);
    };
    expect(await next()).toMatchObject({ type: "job:output", payload: { jobId: id, line: 0 } });
    const state = new StateManager(join(dir, ".herdctl"));
    state.open();
    try {
      state.appendJobOutput(id, assistant("written while following"));
      const live = await next();
      expect(live).toMatchObject({ type: "job:output", payload: { jobId: id, line: 1 } });
      expect(live.payload.message.message.content[0].text).toBe("written while following");
      state.jobs.finish(id, { status: "completed", exitReason: "success" });
    } finally {
      state.close();
    }
    expect(await next()).toMatchObject({ type: "job:completed", payload: { id } });
    const code = await new Promise((resolve) => child.on("close", resolve));
    expect(code).toBe(0);
  });
});

describe("herdctl cancel", () => {
  it("refuses a job that already ended", async () => {
    const r = await herdctl(["cancel", greet.id], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`herdctl: job ${greet.id} already ended (completed); nothing to cancel\n`);
  });

  it("says clearly that a running job belongs to nobody when no daemon runs", async () => {
    const id = runningJob("scribe");
    const r = await herdctl(["cancel", id], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `herdctl: job ${id} is marked running, but no herdctl daemon is running, so nothing here can cancel it. ` +
        `If "herdctl trigger" is running it in another terminal, press Ctrl-C there; if that process is gone, ` +
        `the next "herdctl start" marks the job interrupted.\n`,
    );
  });

  it("validates the id first", async () => {
    const r = await herdctl(["cancel", "job-1"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"job-1" is not a job id');
  });
});
