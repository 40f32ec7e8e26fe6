import type { HookContext } from "../../src/hooks/context.js";
import { buildHookContext } from "../../src/hooks/context.js";
import type { JobRecord } from "../../src/state/job-record.js";

export function finishedJob(overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    id: "job-2024-01-01-abc123",
    agent: "triager",
    schedule: "nightly",
    triggerType: "schedule",
    status: "completed",
    exitReason: "success",
    error: null,
    prompt: "triage the issues (prompt text never reaches hooks)",
    summary: "Triaged 3 issues",
    sessionId: "0d6c2a52-5f7e-4d0c-9d3a-2b0c9f7f1e11",
    resumedFrom: null,
    runtime: "cli",
    docker: false,
    pid: 4242,
    processGroup: null,
    containerId: null,
    createdAt: "2024-01-01T00:00:00.000Z",
    startedAt: "2024-01-01T00:00:01.000Z",
    finishedAt: "2024-01-01T00:01:01.000Z",
    durationMs: 60_000,
    numTurns: 4,
    inputTokens: 1200,
    outputTokens: 340,
    cacheReadTokens: 0,
    cacheCreationTokens: 10,
    costUsd: 0.75,
    usage: null,
    hookErrors: null,
    attempt: 1,
    retryOf: null,
    nextRetryAt: null,
    apiErrorKind: null,
    toolFailures: null,
    metadata: null,
    egress: null,
    workerId: null,
    cancelRequested: false,
    ...overrides,
  };
}

export function hookContext(overrides: Partial<JobRecord> = {}, workingDirectory = "/tmp"): HookContext {
  return buildHookContext(finishedJob(overrides), {
    name: "triager",
    fleetName: "acme",
    working_directory: workingDirectory,
  });
}
