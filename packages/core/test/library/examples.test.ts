import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, realpathSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { always, hang, startStandin, textReply } from "@herdctl/standin";
import { beforeAll, describe, expect, it } from "vitest";
import { StateManager } from "../../src/state/index.js";
import { claudeEnv } from "../helpers/claude-env.js";
import { tempDir } from "../helpers/fleet.js";

const EXAMPLES = resolve(import.meta.dirname, "../../../../examples/library");

/** Runs one example as a user would (node on the built package), in `cwd`, with `env` added. */
function runExample(
  name: string,
  options: { cwd: string; env: Record<string, string>; args?: string[] },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(EXAMPLES, name), ...(options.args ?? [])], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", fail);
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

/** The value after `label` on the line that starts with it. */
function field(stdout: string, label: string): string {
  const line = stdout.split("\n").find((l) => l.startsWith(label));
  if (!line) throw new Error(`no "${label}" line in the example's output:\n${stdout}`);
  return line.slice(label.length).trim();
}

/** A port nothing listens on, on 127.0.0.1. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as { port: number };
  await new Promise((ok) => server.close(ok));
  return port;
}

/**
 * What each example runs against: a stand-in of its own and a scratch folder, so the examples
 * run at once and from-file.mjs's twelve silent seconds overlap the others' work.
 */
async function scratch(onTestFinished: (fn: () => unknown) => void) {
  const standin = await startStandin();
  const tmp = tempDir("herdctl-library-");
  const states: StateManager[] = [];
  onTestFinished(async () => {
    for (const state of states) state.close();
    tmp.cleanup();
    await standin.close();
  });
  return {
    standin,
    tmp,
    openState(dir: string): StateManager {
      const state = new StateManager(dir);
      state.open();
      states.push(state);
      return state;
    },
  };
}

describe.concurrent("the library examples in docs/library.md (real claude and Agent SDK, stand-in API)", () => {
  const answer = () => `answer-${randomBytes(4).toString("hex")}`;

  beforeAll(() => {
    expect(existsSync(resolve(import.meta.dirname, "../../dist/index.js")), "run npm run build first").toBe(
      true,
    );
  });

  it("from-file.mjs streams the reply through onMessage across a long silent turn, and queries jobs and sessions", async ({
    expect,
    onTestFinished,
  }) => {
    const { standin, tmp, openState } = await scratch(onTestFinished);
    const reply = answer();
    const prompt = `What is the token? ${randomBytes(4).toString("hex")}`;
    // Twelve silent seconds before the model answers: wait() and onMessage must ride them out.
    standin.setResponder(always(textReply(reply, { delayMs: 12_000 })));
    const stateDir = join(tmp.dir, "state");
    const run = await runExample("from-file.mjs", {
      cwd: tmp.dir,
      env: { ...claudeEnv(standin, tmp.dir), HERDCTL_STATE_DIR: stateDir },
      args: [prompt],
    });
    expect(run.code, run.stderr).toBe(0);
    expect(standin.mainRequests.map((r) => r.lastUserText)).toContain(prompt);
    expect(field(run.stdout, "streamed:")).toBe(reply);
    const jobId = field(run.stdout, "started");
    expect(field(run.stdout, "finished")).toBe(`${jobId} completed: ${reply}`);
    expect(field(run.stdout, "recent jobs:")).toBe(`${jobId}=completed`);

    const db = openState(stateDir);
    expect(db.jobs.require(jobId)).toMatchObject({
      agent: "helper",
      status: "completed",
      prompt,
      summary: reply,
    });
    const session = db.sessions.get("helper");
    expect(session?.sessionId).toBe(db.jobs.require(jobId).sessionId);
    expect(field(run.stdout, "next job continues session")).toBe(session?.sessionId);
  }, 180_000);

  it("from-object.mjs names a bad key by path, applies model, working directory and MCP overrides, and reloads", async ({
    expect,
    onTestFinished,
  }) => {
    const { standin, tmp, openState } = await scratch(onTestFinished);
    const reply = answer();
    standin.setResponder(always(textReply(reply)));
    const model = "claude-opus-4-5";
    const run = await runExample("from-object.mjs", {
      cwd: tmp.dir,
      env: {
        ...claudeEnv(standin, tmp.dir),
        EXAMPLE_MODEL: model,
        NOTES_MCP_URL: `http://127.0.0.1:${await closedPort()}/mcp`,
      },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(field(run.stdout, "refused:")).toBe('agents[0].modle: unknown key "modle"');

    const init = field(run.stdout, "init:");
    const cwd = /cwd=(\S+)/.exec(init)?.[1];
    expect(init).toMatch(new RegExp(`^model=${model} `));
    expect(init).toMatch(/ mcp=notes$/);
    expect(cwd && realpathSync(cwd)).not.toBe(realpathSync(tmp.dir));
    const main = standin.mainRequests;
    expect(main.length).toBeGreaterThan(0);
    expect(new Set(main.map((r) => r.model))).toEqual(new Set([model]));

    const [jobId, status] = field(run.stdout, "finished").split(/[ :]+/);
    expect(status).toBe("completed");
    expect(field(run.stdout, "finished")).toBe(`${jobId} completed: ${reply}`);
    expect(field(run.stdout, "reloaded:")).toBe("added tester");

    // The fleet object's state lives in .herdctl of the folder it ran in.
    const db = openState(join(tmp.dir, ".herdctl"));
    expect(db.jobs.require(jobId!)).toMatchObject({ agent: "reviewer", status: "completed", summary: reply });
    expect(db.sessions.get("reviewer")?.workingDirectory).toBe(cwd);
  }, 180_000);

  it("runtime-changes.mjs reports typed events for a schedule added at runtime, then removes it", async ({
    expect,
    onTestFinished,
  }) => {
    const { standin, tmp, openState } = await scratch(onTestFinished);
    const reply = answer();
    standin.setResponder(always(textReply(reply)));
    const run = await runExample("runtime-changes.mjs", { cwd: tmp.dir, env: claudeEnv(standin, tmp.dir) });
    expect(run.code, run.stderr).toBe(0);

    const jobId = field(run.stdout, "event fired pinger/ping");
    expect(field(run.stdout, "event started")).toBe(`${jobId} pinger/ping`);
    expect(field(run.stdout, "event output")).toBe(`${jobId} result: success`);
    expect(field(run.stdout, "event completed")).toBe(`${jobId}: ${reply}`);
    expect(field(run.stdout, "scheduled job")).toBe(`${jobId} completed`);
    expect(field(run.stdout, "removed")).toBe("pinger; agents left: 0");
    expect(standin.mainRequests.map((r) => r.lastUserText)).toContain("Ping.");

    const db = openState(join(tmp.dir, ".herdctl"));
    expect(db.jobs.require(jobId)).toMatchObject({
      agent: "pinger",
      triggerType: "schedule",
      schedule: "ping",
      status: "completed",
    });
    expect(db.schedules.list({ agent: "pinger" })).toEqual([]);
  }, 180_000);

  it("cancel.mjs cancels a job whose model never answers", async ({ expect, onTestFinished }) => {
    const { standin, tmp, openState } = await scratch(onTestFinished);
    standin.setResponder(() => hang());
    const run = await runExample("cancel.mjs", { cwd: tmp.dir, env: claudeEnv(standin, tmp.dir) });
    expect(run.code, run.stderr).toBe(0);
    const [jobId, rest] = field(run.stdout, "cancelled").split(": ");
    expect(rest).toBe("cancelled (cancelled)");
    const db = openState(join(tmp.dir, ".herdctl"));
    expect(db.jobs.require(jobId!)).toMatchObject({
      agent: "slow",
      status: "cancelled",
      exitReason: "cancelled",
    });
  }, 180_000);
});
