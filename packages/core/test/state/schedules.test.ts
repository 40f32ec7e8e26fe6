import { expect, it } from "vitest";
import { InvalidIdError } from "../../src/state/errors.js";
import { caught, describeBackends, openState } from "./helpers.js";

describeBackends("ScheduleRepository", () => {
  it("creates state on first upsert with unset fields null", () => {
    const { state } = openState();
    expect(state.schedules.get("triager", "morning")).toBeUndefined();
    expect(
      state.schedules.upsert("triager", "morning", { nextRunAt: new Date("2025-01-03T09:00:00Z") }),
    ).toEqual({
      agent: "triager",
      schedule: "morning",
      lastRunAt: null,
      nextRunAt: "2025-01-03T09:00:00.000Z",
      lastStatus: null,
      lastError: null,
      enabledOverride: null,
    });
  });

  it("changes only the fields a patch sets, and clears those set to null", () => {
    const { state } = openState();
    state.schedules.upsert("triager", "poll", {
      lastRunAt: "2025-01-02T03:00:00Z",
      lastStatus: "failed",
      lastError: "claude exited 1",
      enabledOverride: false,
    });
    const after = state.schedules.upsert("triager", "poll", { lastStatus: "completed", lastError: null });
    expect(after).toEqual({
      agent: "triager",
      schedule: "poll",
      lastRunAt: "2025-01-02T03:00:00.000Z",
      nextRunAt: null,
      lastStatus: "completed",
      lastError: null,
      enabledOverride: false,
    });
    expect(state.schedules.upsert("triager", "poll", {})).toEqual(after);
    expect(state.schedules.upsert("triager", "poll", { enabledOverride: null }).enabledOverride).toBeNull();
  });

  it("lists all schedules or one agent's, in name order", () => {
    const { state } = openState();
    state.schedules.upsert("b", "z", { lastStatus: "skipped" });
    state.schedules.upsert("a", "y", {});
    state.schedules.upsert("b", "x", {});
    expect(state.schedules.list().map((s) => `${s.agent}/${s.schedule}`)).toEqual(["a/y", "b/x", "b/z"]);
    expect(state.schedules.list({ agent: "b" }).map((s) => s.schedule)).toEqual(["x", "z"]);
    expect(state.schedules.delete("b", "x")).toBe(true);
    expect(state.schedules.delete("b", "x")).toBe(false);
    expect(state.schedules.list({ agent: "b" }).map((s) => s.schedule)).toEqual(["z"]);
  });

  it("validates names and times", () => {
    const { state } = openState();
    expect(caught(() => state.schedules.upsert("../a", "x", {}))).toBeInstanceOf(InvalidIdError);
    expect(caught(() => state.schedules.upsert("a", "", {})).message).toBe(
      'schedule name must be a non-empty string, got ""',
    );
    expect(caught(() => state.schedules.upsert("a", "x", { nextRunAt: "soon" })).message).toBe(
      'nextRunAt "soon" is not a valid time',
    );
    expect(state.schedules.list()).toEqual([]);
  });
});
