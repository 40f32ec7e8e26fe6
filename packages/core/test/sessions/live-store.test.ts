import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LiveTranscript } from "../../src/sessions/live-store.js";
import type { StoreOptions, StoreResult } from "../../src/sessions/travel.js";

// The pacing of mid-job transcript uploads, on vitest's fake clock: which upload starts when is
// decided by the code, never by how fast this machine is. travel.ts's store itself, against real
// PostgreSQL, is stored-transcripts.test.ts; a whole kill -9 and resume is postgres-sessions-kill.
interface Call {
  sessionId: string;
  options: StoreOptions;
  settle: (result: StoreResult | Error) => void;
}

let calls: Call[];
let problems: string[];
let live: LiveTranscript;

function make(intervalMs = 2000): LiveTranscript {
  return new LiveTranscript({
    store: (sessionId, options) =>
      new Promise<StoreResult>((resolve, reject) =>
        calls.push({
          sessionId,
          options,
          settle: (r) => (r instanceof Error ? reject(r) : resolve(r)),
        }),
      ),
    problem: (text) => problems.push(text),
    intervalMs,
    now: () => Date.now(),
  });
}

beforeEach(() => {
  vi.useFakeTimers();
  calls = [];
  problems = [];
  live = make();
});
afterEach(async () => {
  await vi.advanceTimersByTimeAsync(0);
  for (const c of calls) c.settle({ kind: "unchanged", bytes: 0 });
  await live.finish();
  vi.useRealTimers();
});

const MiB = 1024 * 1024;

describe("LiveTranscript: a running job's transcript uploads", () => {
  it("starts at the first turn, runs one at a time, and gathers the turns of an upload into the next", async () => {
    live.grew("s1");
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.map((c) => c.sessionId)).toEqual(["s1"]);
    expect(calls[0]!.options).toEqual({ unlessBytes: undefined });
    for (let i = 0; i < 5; i++) live.grew("s1");
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toHaveLength(1);
    expect(live.busy).toBe(true);

    calls[0]!.settle({ kind: "stored", bytes: 100 });
    await vi.advanceTimersByTimeAsync(0);
    // The interval counts from the first upload's start, which was 10 s ago.
    expect(calls).toHaveLength(2);
    expect(calls[1]!.options).toEqual({ unlessBytes: 100 });
  });

  it("keeps the interval between two starts, a second longer per MiB stored", async () => {
    live.grew("s1");
    await vi.advanceTimersByTimeAsync(0);
    calls[0]!.settle({ kind: "stored", bytes: 3 * MiB });
    await vi.advanceTimersByTimeAsync(4_999);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(2);
  });

  it("after a store it looks once more for what claude appended late, then rests until the next turn", async () => {
    live.grew("s1");
    await vi.advanceTimersByTimeAsync(0);
    calls[0]!.settle({ kind: "stored", bytes: 10 });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(calls).toHaveLength(2);
    calls[1]!.settle({ kind: "unchanged", bytes: 10 });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(2);
    expect(live.busy).toBe(false);
    live.grew("s1");
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(3);
  });

  it("a failure is said once, the job goes on, and the next turn tries again", async () => {
    live.grew("s1");
    await vi.advanceTimersByTimeAsync(0);
    calls[0]!.settle(new Error("connection refused"));
    await vi.advanceTimersByTimeAsync(0);
    live.grew("s1");
    await vi.advanceTimersByTimeAsync(2_000);
    calls[1]!.settle(new Error("connection refused"));
    await vi.advanceTimersByTimeAsync(0);
    expect(problems).toEqual([
      "session s1: its transcript could not be stored mid-job (connection refused); the job goes on, and the next turn tries again",
    ]);
    live.grew("s1");
    await vi.advanceTimersByTimeAsync(2_000);
    expect(calls).toHaveLength(3);
  });

  it("stops for good once the transcript is over the limit (it only grows; the job's end says so)", async () => {
    live.grew("s1");
    await vi.advanceTimersByTimeAsync(0);
    calls[0]!.settle({ kind: "too-large", bytes: 40 * MiB, limit: 32 * MiB });
    live.grew("s1");
    await vi.advanceTimersByTimeAsync(600_000);
    expect(calls).toHaveLength(1);
    expect(problems).toEqual([]);
  });

  it("finish waits for the upload under way and none starts after it", async () => {
    live.grew("s1");
    await vi.advanceTimersByTimeAsync(0);
    live.grew("s1");
    let finished = false;
    const done = live.finish().then(() => {
      finished = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(finished).toBe(false);
    calls[0]!.settle({ kind: "stored", bytes: 10 });
    await done;
    live.grew("s1");
    await vi.advanceTimersByTimeAsync(600_000);
    expect(calls).toHaveLength(1);
  });

  it("a new session id (claude started over) is stored from scratch", async () => {
    live.grew("s1");
    await vi.advanceTimersByTimeAsync(0);
    calls[0]!.settle({ kind: "stored", bytes: 10 });
    live.grew("s2");
    await vi.advanceTimersByTimeAsync(2_000);
    expect(calls[1]).toMatchObject({ sessionId: "s2", options: { unlessBytes: undefined } });
  });
});
