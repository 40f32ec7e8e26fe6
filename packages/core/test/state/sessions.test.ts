import { expect, it } from "vitest";
import { InvalidIdError } from "../../src/state/errors.js";
import { caught, describeBackends, openState } from "./helpers.js";

const S1 = "123e4567-e89b-12d3-a456-426614174000";
const S2 = "9b2f6c1e-0d4a-4f8e-9c3b-5a7d2e1f0a6b";

describeBackends("SessionRepository", () => {
  it("saves, gets, lists and clears an agent's session pointer", () => {
    const { state } = openState();
    expect(state.sessions.get("triager")).toBeUndefined();
    const saved = state.sessions.save({
      agent: "triager",
      sessionId: S1,
      workingDirectory: "/repos/api",
      runtime: "cli",
      docker: true,
    });
    expect(saved).toEqual({
      agent: "triager",
      sessionId: S1,
      workingDirectory: "/repos/api",
      runtime: "cli",
      docker: true,
      createdAt: "2025-01-02T03:04:05.000Z",
      lastUsedAt: "2025-01-02T03:04:05.000Z",
    });
    expect(state.sessions.get("triager")).toEqual(saved);
    state.sessions.save({
      agent: "team.coder",
      sessionId: S2,
      workingDirectory: "/w",
      runtime: "sdk",
      docker: false,
    });
    expect(state.sessions.list().map((s) => s.agent)).toEqual(["team.coder", "triager"]);

    expect(state.sessions.clear("triager")).toBe(true);
    expect(state.sessions.clear("triager")).toBe(false);
    expect(state.sessions.get("triager")).toBeUndefined();
  });

  it("keeps createdAt when the same session is used again, and restarts it for a new session", () => {
    const { state, clock } = openState();
    const base = { agent: "triager", workingDirectory: "/repos/api", runtime: "cli" as const, docker: false };
    state.sessions.save({ ...base, sessionId: S1 });
    clock.advance(60_000);
    expect(state.sessions.save({ ...base, sessionId: S1 })).toMatchObject({
      createdAt: "2025-01-02T03:04:05.000Z",
      lastUsedAt: "2025-01-02T03:05:05.000Z",
    });
    clock.advance(60_000);
    expect(state.sessions.save({ ...base, sessionId: S2, docker: true })).toMatchObject({
      sessionId: S2,
      docker: true,
      createdAt: "2025-01-02T03:06:05.000Z",
      lastUsedAt: "2025-01-02T03:06:05.000Z",
    });
  });

  it("validates the agent name and the session id", () => {
    const { state } = openState();
    const base = { workingDirectory: "/w", runtime: "cli" as const, docker: false };
    expect(caught(() => state.sessions.save({ ...base, agent: "../x", sessionId: S1 }))).toBeInstanceOf(
      InvalidIdError,
    );
    expect(caught(() => state.sessions.save({ ...base, agent: "a", sessionId: "../x" }))).toBeInstanceOf(
      InvalidIdError,
    );
    expect(caught(() => state.sessions.get("a/b"))).toBeInstanceOf(InvalidIdError);
    expect(state.sessions.list()).toEqual([]);
  });
});
