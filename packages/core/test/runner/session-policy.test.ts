import { describe, expect, it } from "vitest";
import { chooseSession, scheduleSessionRequest } from "../../src/runner/session-policy.js";
import type { SessionPointer } from "../../src/state/index.js";

const now = new Date("2026-11-29T12:00:00Z");
const saved: SessionPointer = {
  agent: "a",
  sessionId: "11111111-1111-4111-8111-111111111111",
  workingDirectory: "/w",
  runtime: "sdk",
  docker: false,
  createdAt: "2026-11-29T10:00:00Z",
  lastUsedAt: "2026-11-29T11:00:00Z",
};
const here = { workingDirectory: "/w", runtime: "sdk", docker: false, now };

describe("which session a job runs in", () => {
  it("continues a fresh, matching session", () => {
    expect(chooseSession({ mode: "continue" }, saved, here)).toEqual({ resume: saved.sessionId });
  });

  it("starts fresh when asked, or with nothing saved", () => {
    expect(chooseSession({ mode: "fresh" }, saved, here)).toEqual({});
    expect(chooseSession({ mode: "continue" }, undefined, here)).toEqual({});
  });

  it("resumes exactly the session given, and forks it when asked", () => {
    expect(chooseSession({ mode: "resume", sessionId: "x", fork: true }, saved, here)).toEqual({
      resume: "x",
      fork: true,
    });
  });

  it("starts fresh with a notice when the session expired", () => {
    expect(chooseSession({ mode: "continue" }, saved, { ...here, timeoutMs: 30 * 60_000 })).toEqual({
      notice: `session ${saved.sessionId} expired (unused for longer than the session timeout); starting a new session`,
    });
  });

  it("starts fresh with a notice when switching between Docker and the host", () => {
    expect(chooseSession({ mode: "continue" }, saved, { ...here, docker: true })).toEqual({
      notice: `session ${saved.sessionId} was made on the host and this job runs in Docker; starting a new session`,
    });
    expect(chooseSession({ mode: "continue" }, { ...saved, docker: true }, here).notice).toBe(
      `session ${saved.sessionId} was made in Docker and this job runs on the host; starting a new session`,
    );
  });

  it("starts fresh when the runtime or working directory changed", () => {
    expect(chooseSession({ mode: "continue" }, saved, { ...here, runtime: "cli" }).resume).toBeUndefined();
    expect(
      chooseSession({ mode: "continue" }, saved, { ...here, workingDirectory: "/other" }).resume,
    ).toBeUndefined();
  });
});

describe("a schedule's session policy", () => {
  it("reads session and the older resume_session alike; max_context_tokens only with continue", () => {
    expect(scheduleSessionRequest({})).toEqual({ mode: "fresh" });
    expect(scheduleSessionRequest({ resume_session: true })).toEqual({ mode: "continue" });
    expect(scheduleSessionRequest({ session: { mode: "continue" } })).toEqual({ mode: "continue" });
    expect(scheduleSessionRequest({ resume_session: true, session: { max_context_tokens: 9000 } })).toEqual({
      mode: "continue",
      maxContextTokens: 9000,
    });
    expect(scheduleSessionRequest({ session: { mode: "fresh" } })).toEqual({ mode: "fresh" });
  });

  it("starts anew once the saved session's last job is over the limit, and continues at it", () => {
    const saved = {
      agent: "a",
      sessionId: "3f1c3a4e-0000-4000-8000-000000000001",
      workingDirectory: "/w",
      runtime: "cli" as const,
      docker: false,
      createdAt: "2026-01-01T00:00:00.000Z",
      lastUsedAt: "2026-01-01T00:00:00.000Z",
    };
    const current = {
      workingDirectory: "/w",
      runtime: "cli",
      docker: false,
      now: new Date("2026-01-01T01:00:00.000Z"),
      contextTokens: () => 1000,
    };
    expect(chooseSession({ mode: "continue", maxContextTokens: 1000 }, saved, current)).toEqual({
      resume: saved.sessionId,
    });
    expect(chooseSession({ mode: "continue", maxContextTokens: 999 }, saved, current)).toEqual({
      notice: `session ${saved.sessionId} had 1000 tokens of context, over max_context_tokens 999; starting a new session`,
    });
    expect(
      chooseSession({ mode: "continue", maxContextTokens: 999 }, saved, { ...current, memory: true }).notice,
    ).toMatch(/starting a new session, handing over through memory$/);
  });
});
