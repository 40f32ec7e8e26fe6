import { describe, expect, it } from "vitest";
import { ScheduleEditError } from "../../src/schedule-edit/errors.js";
import { editScheduleText } from "../../src/schedule-edit/yaml-splice.js";

// Odd spacing, comments everywhere, quoting styles and a flow entry: all must survive verbatim.
const AGENT = `# the triager agent — owned by the API team
name: triager   # do not rename: jobs reference it
working_directory: ../repos/api

schedules:
  # weekday mornings
  morning:
    type: cron
    cron: '0 9 * * 1-5'     # Berlin time
    timezone: Europe/Berlin
    prompt: >-
      Triage new issues.

  poll:    { type: interval, interval: 15m }   # cheap check

# limits
instances: {max_concurrent: 1}
`;

describe("editScheduleText", () => {
  it("adds a schedule after the last one, leaving every other byte alone", () => {
    const next = editScheduleText(AGENT, [], {
      kind: "put",
      name: "nightly",
      schedule: { type: "cron", cron: "0 2 * * *", prompt: "Clean up: stale branches" },
    });
    const inserted = `  nightly:\n    type: cron\n    cron: 0 2 * * *\n    prompt: "Clean up: stale branches"\n`;
    const at = AGENT.indexOf("\n# limits");
    expect(next).toBe(AGENT.slice(0, at) + inserted + AGENT.slice(at));
  });

  it("writes a schedule's session policy", () => {
    const text = "name: a\nschedules:\n  poll: { type: interval, interval: 5m }\n";
    const next = editScheduleText(text, [], {
      kind: "put",
      name: "tick",
      schedule: { type: "interval", interval: "1m", session: "continue" },
    });
    expect(next).toBe(
      "name: a\nschedules:\n  poll: { type: interval, interval: 5m }\n  tick: { type: interval, interval: 1m, session: continue }\n",
    );
  });

  it("writes a flow mapping when every sibling is one", () => {
    const text = "name: a\nschedules:\n  poll: { type: interval, interval: 5m }\nmodel: x # m\n";
    const next = editScheduleText(text, [], {
      kind: "put",
      name: "tick",
      schedule: { type: "interval", interval: "1s" },
    });
    expect(next).toBe(
      "name: a\nschedules:\n  poll: { type: interval, interval: 5m }\n  tick: { type: interval, interval: 1s }\nmodel: x # m\n",
    );
  });

  it("adds a schedules key when the file has none", () => {
    const text = "name: a # x\nmodel: m";
    const next = editScheduleText(text, [], {
      kind: "put",
      name: "tick",
      schedule: { type: "interval", interval: "1s" },
    });
    expect(next).toBe("name: a # x\nmodel: m\nschedules: { tick: { type: interval, interval: 1s } }\n");
  });

  it("fills an empty schedules: {}", () => {
    const next = editScheduleText("name: a\nschedules: {}  # none yet\n", [], {
      kind: "put",
      name: "tick",
      schedule: { type: "interval", interval: "1s" },
    });
    expect(next).toBe("name: a\nschedules: { tick: { type: interval, interval: 1s } }  # none yet\n");
  });

  it("replaces one schedule's value and nothing else", () => {
    const next = editScheduleText(AGENT, [], {
      kind: "put",
      name: "poll",
      schedule: { type: "interval", interval: "30m" },
    });
    expect(next).toBe(
      AGENT.replace("{ type: interval, interval: 15m }", "{ type: interval, interval: 30m }"),
    );
  });

  it("removes a schedule's lines only", () => {
    const next = editScheduleText(AGENT, [], { kind: "remove", name: "poll" });
    expect(next).toBe(AGENT.replace("  poll:    { type: interval, interval: 15m }   # cheap check\n", ""));
  });

  it("leaves schedules: {} when the last one goes", () => {
    const text = "name: a\nschedules:   # mine\n  poll: { type: interval, interval: 5m }\nmodel: x\n";
    expect(editScheduleText(text, [], { kind: "remove", name: "poll" })).toBe(
      "name: a\nschedules: {}   # mine\nmodel: x\n",
    );
  });

  it("disables a block schedule with one added line and re-enables it in place", () => {
    const off = editScheduleText(AGENT, [], { kind: "enabled", name: "morning", enabled: false });
    const at = AGENT.indexOf("\n  poll:");
    expect(off).toBe(`${AGENT.slice(0, at)}    enabled: false\n${AGENT.slice(at)}`);
    const on = editScheduleText(off, [], { kind: "enabled", name: "morning", enabled: true });
    expect(on).toBe(`${AGENT.slice(0, at)}    enabled: true\n${AGENT.slice(at)}`);
  });

  it("disables a flow schedule inside its braces", () => {
    const off = editScheduleText(AGENT, [], { kind: "enabled", name: "poll", enabled: false });
    expect(off).toBe(AGENT.replace("interval: 15m }", "interval: 15m, enabled: false }"));
  });

  it("enabling a schedule that never said otherwise changes nothing", () => {
    expect(editScheduleText(AGENT, [], { kind: "enabled", name: "poll", enabled: true })).toBe(AGENT);
  });

  it("refuses a schedule written as an alias", () => {
    const text = "name: a\nx: &base { type: interval, interval: 5m }\nschedules:\n  poll: *base\n";
    expect(() =>
      editScheduleText(text, [], {
        kind: "put",
        name: "poll",
        schedule: { type: "interval", interval: "1m" },
      }),
    ).toThrow(ScheduleEditError);
  });
});
