import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { StateManager } from "@herdctl/core/internal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, BIN, cleanEnv, herdctl, tempDir, writeFleet } from "../helpers/cli.js";

let dir: string;
let remove: () => Promise<void>;

const assistant = (text: string) => ({
  type: "assistant",
  message: { role: "assistant", content: [{ type: "text", text }] },
});

function withState<T>(fn: (state: StateManager) => T): T {
  const state = new StateManager(join(dir, ".herdctl"));
  state.open();
  try {
    return fn(state);
  } finally {
    state.close();
  }
}

/** A running job with one line of output already written. */
function runningJob(): string {
  return withState((state) => {
    const job = state.jobs.create({
      agent: "greeter",
      triggerType: "manual",
      prompt: "work",
      runtime: "cli",
    });
    state.jobs.start(job.id);
    state.appendJobOutput(job.id, assistant("written before following"));
    return job.id;
  });
}

function follower(args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: dir,
    env: cleanEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
  return { child, next: async () => (await lines.next()).value as string, closed };
}

beforeAll(async () => {
  assertBuilt();
  ({ dir, remove } = await tempDir("herdctl-logs-n0-"));
  await writeFleet(dir);
});
afterAll(() => remove());

describe("herdctl logs -f -n 0 (only new output)", () => {
  it("is refused without -f, saying what it is for", async () => {
    const r = await herdctl(["logs", "-n", "0"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'herdctl: -n 0 shows nothing without -f; use "herdctl logs -f -n 0" to print only new output\n',
    );
  });

  it("follows the running job from its current end", async () => {
    const id = runningJob();
    const f = follower(["logs", "greeter", "-f", "-n", "0"]);
    expect(await f.next()).toMatch(new RegExp(`^── ${id} greeter running`));
    withState((state) => state.appendJobOutput(id, assistant("written while following")));
    expect(await f.next()).toBe("written while following");
    withState((state) => state.jobs.finish(id, { status: "completed", exitReason: "success" }));
    expect(await f.next()).toMatch(new RegExp(`^job ${id} completed`));
    expect(await f.closed).toBe(0);
  });

  it("with --job skips what the job had written before", async () => {
    const id = runningJob();
    const f = follower(["--json", "logs", "--job", id, "-f", "-n", "0"]);
    // The follower says nothing until new output arrives, so keep writing until it shows some:
    // whatever it counted as already there must not be printed.
    let written = 0;
    const first = f.next();
    let event: string | undefined;
    while (event === undefined) {
      withState((state) => state.appendJobOutput(id, assistant(`new ${++written}`)));
      event = await Promise.race([first, new Promise<undefined>((r) => setTimeout(r, 250, undefined))]);
    }
    const parsed = JSON.parse(event);
    expect(parsed.type).toBe("job:output");
    expect(parsed.payload.line).toBeGreaterThanOrEqual(1);
    expect(parsed.payload.message.message.content[0].text).toBe(`new ${parsed.payload.line}`);
    withState((state) => state.jobs.finish(id, { status: "completed", exitReason: "success" }));
    let last = parsed;
    for (let line = await f.next(); line !== undefined; line = await f.next()) last = JSON.parse(line);
    expect(last).toMatchObject({ type: "job:completed", payload: { id } });
    expect(await f.closed).toBe(0);
  });
});
