import { expect, it } from "vitest";
import { describeBackends, openState } from "./helpers.js";

// The repositories the daemon reaches only through claude-driven tests elsewhere (approvals,
// wakes, usage pauses), checked here in-process on both backends: the state contract.
const SESSION = "123e4567-e89b-12d3-a456-426614174000";

describeBackends("ApprovalRepository", () => {
  it("records a request, decides it once, and finds it again for the same call", () => {
    const { state, clock } = openState();
    const job = state.jobs.create({ agent: "a", triggerType: "manual", prompt: "p", runtime: "cli" });
    const request = {
      jobId: job.id,
      agent: "a",
      tool: "Bash",
      input: '{"command":"rm -rf build"}',
      inputKey: "k1",
      rule: "Bash(rm *)",
      requestedAt: clock.now(),
      expiresAt: new Date(clock.now().getTime() + 60_000),
      onTimeout: "deny" as const,
    };
    const created = state.approvals.create(request);
    expect(created).toMatchObject({ state: "pending", tool: "Bash", decidedAt: null, onTimeout: "deny" });
    expect(state.approvals.list().map((a) => a.id)).toEqual([created.id]);
    const first = state.approvals.decide(created.id, {
      state: "approved",
      by: "me",
      via: "cli",
      reason: "ok",
    });
    expect(first.changed).toBe(true);
    expect(first.record).toMatchObject({
      state: "approved",
      decidedBy: "me",
      decidedVia: "cli",
      reason: "ok",
    });
    const second = state.approvals.decide(created.id, { state: "denied", by: "other", via: "dashboard" });
    expect(second).toMatchObject({ changed: false, record: { state: "approved" } });
    expect(state.approvals.list({ state: "pending" })).toEqual([]);
    expect(state.approvals.list({ state: "approved", jobId: job.id }).map((a) => a.id)).toEqual([created.id]);
    expect(state.approvals.findForCall([job.id, "job-20250101000000-zzzzzz"], "k1")?.id).toBe(created.id);
    expect(state.approvals.findForCall([job.id], "other")).toBeUndefined();
    expect(state.approvals.get("not-an-id")).toBeUndefined();
  });
});

describeBackends("WakeRepository", () => {
  it("keeps pending wakes soonest first, re-arms a cron on each fire and ends a one-off", () => {
    const { state, clock } = openState();
    const at = (minutes: number) => new Date(clock.now().getTime() + minutes * 60_000);
    const once = state.wakes.create({
      agent: "a",
      jobId: null,
      sessionId: SESSION,
      kind: "once",
      prompt: "check",
      nextFireAt: at(10),
    });
    const cron = state.wakes.create({
      agent: "a",
      jobId: null,
      sessionId: SESSION,
      kind: "cron",
      prompt: "poll",
      cron: "*/5 * * * *",
      timezone: "UTC",
      claudeId: "c-1",
      nextFireAt: at(5),
      expiresAt: at(600),
    });
    expect(state.wakes.pending().map((w) => w.id)).toEqual([cron.id, once.id]);
    expect(state.wakes.countPending("a")).toBe(2);
    expect(state.wakes.byClaudeId("a", "c-1")?.id).toBe(cron.id);

    const job = state.jobs.create({ agent: "a", triggerType: "manual", prompt: "p", runtime: "cli" });
    const rearmed = state.wakes.fired(cron.id, job.id, at(10));
    expect(rearmed).toMatchObject({
      status: "pending",
      fireCount: 1,
      lastJobId: job.id,
      nextFireAt: at(10).toISOString(),
    });
    const done = state.wakes.fired(once.id, job.id, undefined);
    expect(done).toMatchObject({ status: "done", fireCount: 1 });
    expect(state.wakes.end(cron.id, "cancelled")).toBe(true);
    expect(state.wakes.end(cron.id, "cancelled")).toBe(false);
    expect(state.wakes.pending()).toEqual([]);
  });
});

describeBackends("UsagePauseRepository", () => {
  it("keeps one pause per credential, replacing it and clearing its probe", () => {
    const { state } = openState();
    const pause = {
      credential: "cred-hash-1",
      label: "ANTHROPIC_API_KEY",
      pausedAt: "2025-01-02T03:04:05.000Z",
      until: "2025-01-02T08:00:00.000Z",
      source: "rate_limit",
      message: "limit reached",
      jobId: null,
    };
    state.usagePauses.put(pause);
    state.usagePauses.setProbe("cred-hash-1", "job-20250102030405-abc123");
    expect(state.usagePauses.get("cred-hash-1")?.probeJobId).toBe("job-20250102030405-abc123");
    state.usagePauses.put({ ...pause, until: "2025-01-02T09:00:00.000Z" });
    expect(state.usagePauses.list()).toEqual([
      { ...pause, until: "2025-01-02T09:00:00.000Z", probeJobId: null },
    ]);
    expect(state.usagePauses.remove("cred-hash-1")).toBe(true);
    expect(state.usagePauses.remove("cred-hash-1")).toBe(false);
  });
});

describeBackends("ChatRepository", () => {
  it("keeps chats and their messages, the newest chat of a platform key current, and deletes with messages", () => {
    const { state, clock } = openState();
    const first = state.chats.create(
      { agent: "a", title: "one", surface: "discord", externalKey: "chan-1" },
      clock.now(),
    );
    // Same millisecond: the later insert is the current one.
    const second = state.chats.create(
      { agent: "a", title: "two", surface: "discord", externalKey: "chan-1" },
      clock.now(),
    );
    expect(state.chats.linked("a", "chan-1")?.id).toBe(second.id);

    const job = state.jobs.create({ agent: "a", triggerType: "chat", prompt: "hi", runtime: "cli" });
    clock.advance(1_000);
    const asked = state.chats.addMessage(first.id, { jobId: job.id, role: "user", text: "hi" }, clock.now());
    const answered = state.chats.addMessage(
      first.id,
      {
        jobId: job.id,
        role: "assistant",
        text: "hello",
        toolCalls: [{ id: "t1", name: "Read", input: { path: "x" } }],
        usage: { inputTokens: 10, outputTokens: 5 },
        costUsd: 0.25,
      },
      clock.now(),
    );
    expect(answered.id).toBeGreaterThan(asked.id);
    expect(answered).toMatchObject({
      role: "assistant",
      usage: { inputTokens: 10, outputTokens: 5 },
      costUsd: 0.25,
    });
    expect(state.chats.messages(first.id).map((m) => m.text)).toEqual(["hi", "hello"]);
    expect(state.chats.chatOfJob(job.id)).toBe(first.id);
    expect(state.chats.get(first.id)).toMatchObject({ turns: 1, costUsd: 0.25, lastMessage: "hello" });
    expect(state.chats.list({ agent: "a" }).map((c) => c.id)).toEqual([first.id, second.id]);

    state.chats.rename(first.id, "renamed");
    state.chats.setSession(first.id, "123e4567-e89b-12d3-a456-426614174000");
    expect(state.chats.get(first.id)).toMatchObject({
      title: "renamed",
      sessionId: "123e4567-e89b-12d3-a456-426614174000",
    });
    expect(state.chats.delete(first.id)).toBe(true);
    expect(state.chats.messages(first.id)).toEqual([]);
    expect(state.chats.delete(first.id)).toBe(false);
  });
});

describeBackends("AuditRepository", () => {
  it("chains entries, verifies them, and prunes through a checkpoint the chain goes on from", () => {
    const { state, clock } = openState();
    for (let i = 1; i <= 5; i++) {
      state.audit.append({
        action: "agent.trigger",
        via: "cli",
        who: "me",
        target: `a${i}`,
        detail: { n: i },
      });
      clock.advance(86_400_000);
    }
    expect(state.audit.verify()).toEqual({ ok: true, checked: 5 });
    const pruned = state.audit.prune(new Date(Date.parse("2025-01-02T03:04:05.000Z") + 2.5 * 86_400_000), {
      via: "cli",
      who: "me",
    });
    expect(pruned).toEqual({ entries: 3, throughSeq: 3 });
    expect(state.audit.checkpoint()).toMatchObject({ seq: 3 });
    expect(state.audit.verify()).toEqual({ ok: true, checked: 3, from: 4 });
    const next = state.audit.append({ action: "agent.trigger", via: "cli", who: "me" });
    expect(next.seq).toBe(7);
  });
});
