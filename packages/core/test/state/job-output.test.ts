import { appendFileSync, existsSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CorruptOutputError, DiskFullError, InvalidIdError } from "../../src/state/errors.js";
import { JobOutputStore } from "../../src/state/job-output.js";
import { caught, describeBackends, openState, tempDir } from "./helpers.js";

const ID = "job-20250102030405-abc123";

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

describe("JobOutputStore", () => {
  it("appends one JSON line per message and reads them back", () => {
    const dir = tempDir();
    const store = new JobOutputStore(dir);
    store.append(ID, { type: "system", subtype: "init" });
    store.append(ID, { type: "assistant", text: "line one\nline two" });
    store.append(ID, "ünïcödé");
    expect(readFileSync(join(dir, `${ID}.jsonl`), "utf8")).toBe(
      '{"type":"system","subtype":"init"}\n{"type":"assistant","text":"line one\\nline two"}\n"ünïcödé"\n',
    );
    expect(store.read(ID)).toEqual([
      { line: 0, message: { type: "system", subtype: "init" } },
      { line: 1, message: { type: "assistant", text: "line one\nline two" } },
      { line: 2, message: "ünïcödé" },
    ]);
    expect(store.read(ID, { fromLine: 2 })).toEqual([{ line: 2, message: "ünïcödé" }]);
    expect(store.read(ID, { fromLine: 9 })).toEqual([]);
  });

  it("reads a job with no output yet as empty", () => {
    expect(new JobOutputStore(tempDir()).read(ID)).toEqual([]);
  });

  it("does not return a line still being written", () => {
    const dir = tempDir();
    const store = new JobOutputStore(dir);
    store.append(ID, { n: 1 });
    appendFileSync(join(dir, `${ID}.jsonl`), '{"n":');
    expect(store.read(ID)).toEqual([{ line: 0, message: { n: 1 } }]);
  });

  it("reports a line that is not JSON, naming the file and line", () => {
    const dir = tempDir();
    const path = join(dir, `${ID}.jsonl`);
    writeFileSync(path, '{"ok":1}\nnot json\n');
    const error = caught(() => new JobOutputStore(dir).read(ID));
    expect(error).toBeInstanceOf(CorruptOutputError);
    expect(error.code).toBe("STATE_CORRUPT_OUTPUT");
    expect(error.message).toBe(
      `Job output ${path} line 2 is not valid JSON. herdctl has left the file untouched: ` +
        "inspect it, or move it aside to drop this job's output.",
    );
  });

  it("rejects an invalid id before touching any path", () => {
    const dir = tempDir();
    const store = new JobOutputStore(dir);
    for (const id of ["../etc", "../../etc/passwd", `${ID}/../x`, ""]) {
      expect(caught(() => store.append(id, { x: 1 }))).toBeInstanceOf(InvalidIdError);
      expect(caught(() => store.read(id))).toBeInstanceOf(InvalidIdError);
      expect(caught(() => store.pathFor(id))).toBeInstanceOf(InvalidIdError);
    }
    expect(existsSync(join(dir, "..", "etc.jsonl"))).toBe(false);
  });

  it("raises STATE_DISK_FULL when the device is full", () => {
    const dir = tempDir();
    // /dev/full answers every write with ENOSPC, a real full disk for one file.
    symlinkSync("/dev/full", join(dir, `${ID}.jsonl`));
    const error = caught(() => new JobOutputStore(dir).append(ID, { type: "assistant" }));
    expect(error).toBeInstanceOf(DiskFullError);
    expect(error.code).toBe("STATE_DISK_FULL");
    expect(error.message).toBe(
      `No space left on the device while writing ${join(dir, `${ID}.jsonl`)}; nothing partial was kept. ` +
        "Free some disk space and try again.",
    );
  });

  it("refuses a message that has no JSON form", () => {
    const store = new JobOutputStore(tempDir());
    expect(caught(() => store.append(ID, undefined)).message).toBe(
      "job output message must be JSON-serialisable, got undefined",
    );
    expect(store.read(ID)).toEqual([]);
  });

  it("follows lines as they are written until aborted", async () => {
    const store = new JobOutputStore(tempDir());
    store.append(ID, { n: 0 });
    const controller = new AbortController();
    const seen: number[] = [];
    for await (const entry of store.follow(ID, { signal: controller.signal, intervalMs: 5 })) {
      seen.push((entry.message as { n: number }).n);
      if (seen.length < 5) store.append(ID, { n: seen.length });
      else controller.abort();
    }
    expect(seen).toEqual([0, 1, 2, 3, 4]);
  });

  it("reads a line far longer than what the file held when the read began, appended during it", async () => {
    const store = new JobOutputStore(tempDir());
    store.append(ID, { n: 0 });
    const long = "x".repeat(100_000);
    const controller = new AbortController();
    const seen: unknown[] = [];
    for await (const entry of store.follow(ID, { signal: controller.signal, intervalMs: 5 })) {
      seen.push(entry.message);
      if (seen.length === 1) {
        store.append(ID, { long });
        store.append(ID, { n: 2 });
      }
      if (seen.length === 3) controller.abort();
    }
    expect(seen).toEqual([{ n: 0 }, { long }, { n: 2 }]);
    expect(store.read(ID, { fromLine: 1 }).map((l) => l.message)).toEqual([{ long }, { n: 2 }]);
  });

  it("follows from a line, across a line written in two parts", async () => {
    const dir = tempDir();
    const store = new JobOutputStore(dir);
    for (let n = 0; n < 3; n++) store.append(ID, { n });
    let done = false;
    const follower = collect(store.follow(ID, { fromLine: 2, intervalMs: 5, isDone: () => done }));
    appendFileSync(join(dir, `${ID}.jsonl`), '{"n":');
    await new Promise((resolve) => setTimeout(resolve, 30));
    appendFileSync(join(dir, `${ID}.jsonl`), "3}\n");
    store.append(ID, { n: 4 });
    done = true;
    expect(await follower).toEqual([
      { line: 2, message: { n: 2 } },
      { line: 3, message: { n: 3 } },
      { line: 4, message: { n: 4 } },
    ]);
  });

  it("ends a follow whose job has no output file yet when aborted", async () => {
    const controller = new AbortController();
    const follower = collect(
      new JobOutputStore(tempDir()).follow(ID, { signal: controller.signal, intervalMs: 5 }),
    );
    setTimeout(() => controller.abort(), 20);
    expect(await follower).toEqual([]);
  });
});

describeBackends("StateManager job output", () => {
  it("follows a job until it finishes and its last lines are read", async () => {
    const { state } = openState();
    const { id } = state.jobs.create({ agent: "a", triggerType: "manual", prompt: "hi", runtime: "cli" });
    state.jobs.start(id);
    state.appendJobOutput(id, { type: "system" });
    const follower = collect(state.followJobOutput(id, { intervalMs: 5 }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    state.appendJobOutput(id, { type: "result" });
    state.jobs.finish(id, { status: "completed", exitReason: "success" });
    expect((await follower).map((entry) => entry.message)).toEqual([{ type: "system" }, { type: "result" }]);
    expect(state.readJobOutput(id, { fromLine: 1 })).toEqual([{ line: 1, message: { type: "result" } }]);
    expect(readFileSync(state.jobOutputPath(id), "utf8")).toBe('{"type":"system"}\n{"type":"result"}\n');
  });

  it("ends a follow when the job finishes, without waiting out the poll interval", async () => {
    const { state } = openState();
    const { id } = state.jobs.create({ agent: "a", triggerType: "manual", prompt: "hi", runtime: "cli" });
    state.jobs.start(id);
    state.appendJobOutput(id, { type: "result" });
    // A poll interval far beyond the test's timeout: only the job's end can end the wait.
    const follower = state.followJobOutput(id, { intervalMs: 3_600_000 });
    expect((await follower.next()).value?.message).toEqual({ type: "result" });
    const rest = follower.next();
    state.jobs.finish(id, { status: "completed", exitReason: "success" });
    expect(await rest).toEqual({ done: true, value: undefined });
  });

  it("ends a follow when the state store is closed", async () => {
    const { state } = openState();
    const { id } = state.jobs.create({ agent: "a", triggerType: "manual", prompt: "hi", runtime: "cli" });
    state.appendJobOutput(id, { n: 1 });
    const follower = collect(state.followJobOutput(id, { intervalMs: 5 }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    state.close();
    expect(await follower).toEqual([{ line: 0, message: { n: 1 } }]);
  });

  it("refuses to follow a job that does not exist", () => {
    const { state } = openState();
    expect(caught(() => state.followJobOutput("job-20250101000000-aaaaaa")).code).toBe("STATE_JOB_NOT_FOUND");
  });
});
