import { expect, it } from "vitest";
import { InvalidIdError } from "../../src/state/errors.js";
import { caught, describeBackends, openState } from "./helpers.js";

const JOB = "job-20250102030405-abc123";

describeBackends("EventRepository", () => {
  it("appends events and lists the most recent first", () => {
    const { state, clock } = openState();
    const first = state.events.append({ type: "fleet:started" });
    clock.advance(1000);
    state.events.append({ type: "job:created", agent: "triager", jobId: JOB, data: { trigger: "manual" } });
    clock.advance(1000);
    const third = state.events.append({
      type: "job:finished",
      agent: "triager",
      jobId: JOB,
      data: { status: "completed" },
    });
    expect(first).toEqual({
      id: 1,
      at: "2025-01-02T03:04:05.000Z",
      type: "fleet:started",
      agent: null,
      jobId: null,
      data: null,
    });
    expect(third).toEqual({
      id: 3,
      at: "2025-01-02T03:04:07.000Z",
      type: "job:finished",
      agent: "triager",
      jobId: JOB,
      data: { status: "completed" },
    });
    expect(state.events.list().map((e) => e.type)).toEqual(["job:finished", "job:created", "fleet:started"]);
    expect(state.events.list({ limit: 1 })).toEqual([third]);
    expect(state.events.list()[1]?.data).toEqual({ trigger: "manual" });
  });

  it("filters by agent, job and type, pages backwards and tails forwards", () => {
    const { state } = openState();
    for (let i = 0; i < 10; i++)
      state.events.append({ type: i % 2 === 0 ? "even" : "odd", agent: i < 5 ? "a" : "b" });
    expect(state.events.list({ agent: "a" }).map((e) => e.id)).toEqual([5, 4, 3, 2, 1]);
    expect(state.events.list({ type: "odd", agent: "b" }).map((e) => e.id)).toEqual([10, 8, 6]);
    expect(state.events.list({ beforeId: 4 }).map((e) => e.id)).toEqual([3, 2, 1]);
    expect(state.events.list({ afterId: 7 }).map((e) => e.id)).toEqual([8, 9, 10]);
    expect(state.events.list({ jobId: JOB })).toEqual([]);
  });

  it("prunes events older than a time", () => {
    const { state, clock } = openState();
    state.events.append({ type: "old" });
    clock.advance(86_400_000);
    state.events.append({ type: "new" });
    expect(state.events.prune("2025-01-03T00:00:00Z")).toBe(1);
    expect(state.events.list().map((e) => e.type)).toEqual(["new"]);
  });

  it("validates its inputs", () => {
    const { state } = openState();
    expect(caught(() => state.events.append({ type: "x", agent: "../a" }))).toBeInstanceOf(InvalidIdError);
    expect(caught(() => state.events.append({ type: "x", jobId: "nope" }))).toBeInstanceOf(InvalidIdError);
    expect(caught(() => state.events.append({ type: "" })).message).toBe(
      'event type must be a non-empty string, got ""',
    );
    expect(caught(() => state.events.list({ limit: 5000 })).message).toBe(
      "limit must be an integer from 1 to 1000, got 5000",
    );
    expect(state.events.list()).toEqual([]);
  });
});
