import { type Context, Hono } from "hono";
import { z } from "zod";
import { type AuditActor, LIBRARY_ACTOR } from "../audit/actor.js";
import { parseDuration } from "../config/duration.js";
import { MEMORY_MAX_BYTES_LIMIT } from "../config/schema.js";
import type { FleetEventName } from "../fleet-manager/events.js";
import type { FleetManager } from "../fleet-manager/fleet-manager.js";
import type { ScheduleEditResult, ScheduleInput } from "../schedule-edit/index.js";
import { APPROVAL_CHANNELS, APPROVAL_STATES, type ApprovalChannel, JOB_STATUSES } from "../state/index.js";
import { apiError, apiErrorOf, toApiError } from "./api-errors.js";
import { API_BODY_LIMIT, limitBody } from "./body-limit.js";
import { mountChatRoutes } from "./chat-routes.js";
import { ndjsonStream } from "./keepalive.js";
import { issueText, jsonBody, parsedBody } from "./request-body.js";

export const API_VERSION = "1";

const EVENT_NAMES: FleetEventName[] = [
  "job:queued",
  "job:started",
  "job:output",
  "job:completed",
  "job:failed",
  "job:cancelled",
  "job:interrupted",
  "chat:updated",
  "chat:deleted",
  "schedule:fired",
  "schedule:skipped",
  "config:reloaded",
  "config:rejected",
  "budget:exceeded",
  "approval:requested",
  "approval:decided",
  "fleet:stopping",
  "fleet:stopped",
];

const TriggerBody = z
  .object({
    prompt: z.string().max(1_000_000).optional(),
    schedule: z.string().min(1).max(200).optional(),
    fresh: z.boolean().optional(),
    resume: z.string().uuid().optional(),
    fork: z.string().min(1).max(200).optional(),
    noQueue: z.boolean().optional(),
    force: z.boolean().optional(),
  })
  .strict();

const ForkBody = z
  .object({
    prompt: z.string().max(1_000_000).optional(),
    noQueue: z.boolean().optional(),
  })
  .strict();

/** A person's notes; the agent's own memory.max_bytes is checked by the fleet. */
const MemoryBody = z.object({ content: z.string().max(MEMORY_MAX_BYTES_LIMIT) }).strict();
const MemoryQuery = z.object({ version: z.coerce.number().int().min(1).optional() }).strict();

const ApprovalQuery = z.object({ state: z.enum(APPROVAL_STATES).optional() }).strict();
const DecisionBody = z.object({ reason: z.string().max(2000).optional() }).strict();

const AdoptBody = z.object({ sessionId: z.string().uuid() }).strict();

const JobsQuery = z.object({
  agent: z.string().min(1).max(200).optional(),
  status: z
    .string()
    .transform((s) => s.split(","))
    .pipe(z.array(z.enum(JOB_STATUSES)))
    .optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  before: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

/** One page of job output holds at most this many lines (by default) and bytes. */
const OUTPUT_PAGE_LINES = 1000;
const OUTPUT_PAGE_MAX_LINES = 10_000;
const OUTPUT_PAGE_BYTES = 2 * 1024 * 1024;

const LineNumber = z.coerce.number().int().min(0);
const OutputQuery = z.object({
  offset: LineNumber.optional(),
  /** The older name of `offset`. */
  from: LineNumber.optional(),
  limit: z.coerce.number().int().min(1).max(OUTPUT_PAGE_MAX_LINES).optional(),
  follow: z.string().optional(),
});

const isFollow = (value: string | undefined) => value === "1" || value === "true";

// The schedule's own keys are checked by editSchedule, which names the key at fault.
const PutScheduleBody = z
  .object({ schedule: z.record(z.string(), z.unknown()), replace: z.boolean().optional() })
  .strict();

const StopBody = z.object({ timeoutMs: z.number().int().min(0).max(86_400_000).optional() }).strict();

export interface ApiOptions {
  /** Routes that control the daemon itself (stop, reload, raw event stream): the control socket only. */
  daemonControl?: boolean;
  /**
   * Mints a one-time dashboard login link (`POST /api/dashboard/link`, control socket only);
   * undefined while the daemon serves no dashboard.
   */
  dashboardLink?: () => DashboardLink | undefined;
  /**
   * Who the requests come from, for the audit trail, when the caller does not say per request
   * (`app.fetch(request, { actor })`, as the web server does for each dashboard session).
   */
  actor?: AuditActor;
}

const durationText = z
  .string()
  .max(40)
  .transform((text, ctx) => {
    try {
      return parseDuration(text);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
      return z.NEVER;
    }
  });

const PruneBody = z
  .object({
    dryRun: z.boolean().optional(),
    limits: z
      .object({
        jobs: durationText.optional(),
        max_jobs_per_agent: z.number().int().positive().optional(),
        output: durationText.optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const AuditQueryParams = z.object({
  since: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
});

const UsageReportQuery = z
  .strictObject({
    since: z.iso.datetime({ offset: true }).optional(),
    until: z.iso.datetime({ offset: true }).optional(),
    agent: z.string().min(1).max(200).optional(),
  })
  .refine(
    (q) => q.since === undefined || q.until === undefined || Date.parse(q.since) < Date.parse(q.until),
    {
      message: "since must be before until",
      path: ["since"],
    },
  );

export interface DashboardLink {
  url: string;
  expiresAt: string;
}

/**
 * The fleet's HTTP API. The daemon serves it on its control socket, and the web server mounts it
 * behind its own security layer, so CLI and dashboard see the same thing.
 */
export function createApi(fleet: FleetManager, options: ApiOptions = {}): Hono {
  const app = new Hono();
  app.onError((error, c) => toApiError(c, error));
  app.notFound((c) => apiError(c, 404, "NOT_FOUND", `no such endpoint: ${c.req.method} ${c.req.path}`));
  app.use(limitBody(API_BODY_LIMIT));
  const actorOf = (c: Context): AuditActor =>
    (c.env as { actor?: AuditActor } | undefined)?.actor ?? options.actor ?? LIBRARY_ACTOR;

  app.get("/api/health", (c) => c.json({ ok: true, version: API_VERSION, state: fleet.status().state }));

  app.get("/api/fleet", (c) => {
    const { agents: _agents, ...fleetStatus } = fleet.status();
    return c.json({ ...fleetStatus, chat: fleet.chatSettings() });
  });

  app.get("/api/agents", (c) => c.json({ agents: fleet.status().agents }));

  app.get("/api/agents/:name", (c) => {
    const name = c.req.param("name");
    fleet.agent(name);
    const status = fleet.status().agents.find((a) => a.name === name)!;
    const recent = fleet.state.jobs.list({ agent: name, limit: 20 }).jobs;
    return c.json({ agent: status, recentJobs: recent });
  });

  app.post("/api/agents/:name/trigger", async (c) => {
    let raw: unknown;
    try {
      raw = await jsonBody(c.req.raw);
    } catch {
      return apiError(c, 400, "BAD_REQUEST", "the request body is not valid JSON");
    }
    const body = TriggerBody.safeParse(raw);
    if (!body.success) return apiError(c, 400, "BAD_REQUEST", issueText(body.error));
    const job = fleet.trigger(c.req.param("name"), {
      ...body.data,
      triggerType: options.daemonControl ? "manual" : "web",
      actor: actorOf(c),
    });
    if (!isFollow(c.req.query("follow"))) return c.json({ job }, 202);
    // `trigger --wait` in one request: the job, its output as it comes, its final record. A daemon
    // from before this answered the same request with `{ job }` alone, which the CLI still reads.
    c.status(202);
    return ndjsonStream(c, async (write, signal) => {
      await write(`${JSON.stringify({ job })}\n`);
      try {
        for await (const line of fleet.state.followJobOutput(job.id, { signal }))
          await write(`${JSON.stringify(line)}\n`);
        if (signal.aborted) return;
        await write(`${JSON.stringify({ end: await fleet.wait(job.id) })}\n`);
      } catch (error) {
        // The status line is sent; what went wrong goes as the stream's last line.
        const { code, message } = apiErrorOf(error);
        await write(`${JSON.stringify({ error: { code, message } })}\n`);
      }
    });
  });

  app.get("/api/jobs", (c) => {
    const query = JobsQuery.safeParse(c.req.query());
    if (!query.success) return apiError(c, 400, "BAD_REQUEST", issueText(query.error));
    return c.json(fleet.state.jobs.list(query.data));
  });

  app.get("/api/jobs/:id", (c) => c.json({ job: fleet.state.jobs.require(c.req.param("id")) }));

  app.post("/api/jobs/:id/wait", async (c) => c.json({ job: await fleet.wait(c.req.param("id")) }));

  app.post("/api/jobs/:id/fork", async (c) => {
    const body = await parsedBody(c.req.raw, ForkBody);
    if (!body.ok) return apiError(c, 400, "BAD_REQUEST", body.message);
    const job = fleet.fork(c.req.param("id"), {
      ...body.data,
      triggerType: options.daemonControl ? "manual" : "web",
      actor: actorOf(c),
    });
    return c.json({ job }, 202);
  });

  app.post("/api/jobs/:id/cancel", async (c) =>
    c.json({
      job: await fleet.cancel(c.req.param("id"), { force: c.req.query("force") === "1", actor: actorOf(c) }),
    }),
  );

  // NDJSON: one {line, message} per output line. Without follow, one page from ?offset= (lines),
  // at most ?limit= lines and OUTPUT_PAGE_BYTES; X-Next-Offset says where the next page starts.
  // With follow=1 the stream stays open until the job ends.
  app.get("/api/jobs/:id/output", (c) => {
    const id = c.req.param("id");
    fleet.state.jobs.require(id);
    const query = OutputQuery.safeParse(c.req.query());
    if (!query.success) return apiError(c, 400, "BAD_REQUEST", issueText(query.error));
    const { offset = query.data.from ?? 0, limit = OUTPUT_PAGE_LINES, follow } = query.data;
    if (!isFollow(follow)) {
      c.header("content-type", "application/x-ndjson; charset=utf-8");
      c.header("cache-control", "no-store");
      const page = fleet.state.readJobOutputPage(id, {
        fromLine: offset,
        limit,
        maxBytes: OUTPUT_PAGE_BYTES,
      });
      if (page.nextLine !== null) c.header("x-next-offset", String(page.nextLine));
      return c.body(page.lines.map((l) => `{"line":${l.line},"message":${l.json}}\n`).join(""));
    }
    return ndjsonStream(c, async (write, signal) => {
      for await (const line of fleet.state.followJobOutput(id, { fromLine: offset, signal }))
        await write(`${JSON.stringify(line)}\n`);
    });
  });

  app.get("/api/schedules", (c) => {
    const agent = c.req.query("agent");
    if (agent !== undefined) fleet.agent(agent);
    const agents = fleet.status().agents.filter((a) => agent === undefined || a.name === agent);
    return c.json({ schedules: agents.flatMap((a) => a.schedules) });
  });

  // Schedule edits are written to the agent's YAML file and applied at once (see docs/operating.md).
  const scheduleOf = (agent: string, name: string) =>
    fleet
      .status()
      .agents.find((a) => a.name === agent)
      ?.schedules.find((s) => s.name === name) ?? null;
  const edited = (result: ScheduleEditResult, agent: string, name: string) => ({
    action: result.action,
    file: result.display,
    written: result.written,
    schedule: scheduleOf(agent, name),
  });

  app.put("/api/schedules/:agent/:schedule", async (c) => {
    let raw: unknown;
    try {
      raw = await jsonBody(c.req.raw);
    } catch {
      return apiError(c, 400, "BAD_REQUEST", "the request body is not valid JSON");
    }
    const body = PutScheduleBody.safeParse(raw);
    if (!body.success) return apiError(c, 400, "BAD_REQUEST", issueText(body.error));
    const { agent, schedule } = c.req.param();
    const result = await fleet.editSchedule(
      {
        kind: "add",
        agent,
        name: schedule,
        schedule: body.data.schedule as ScheduleInput,
        replace: body.data.replace,
      },
      actorOf(c),
    );
    return c.json(edited(result, agent, schedule), result.action === "added" ? 201 : 200);
  });

  app.delete("/api/schedules/:agent/:schedule", async (c) => {
    const { agent, schedule } = c.req.param();
    const result = await fleet.editSchedule({ kind: "remove", agent, name: schedule }, actorOf(c));
    return c.json(edited(result, agent, schedule));
  });

  app.post("/api/schedules/:agent/:schedule/:action{enable|disable}", async (c) => {
    const { agent, schedule, action } = c.req.param();
    const result = await fleet.editSchedule(
      { kind: "enabled", agent, name: schedule, enabled: action === "enable" },
      actorOf(c),
    );
    return c.json(edited(result, agent, schedule));
  });

  mountChatRoutes(app, fleet, actorOf);

  // An agent's notes (docs/agents.md#memory). They become part of its system prompt: every edit is audited.
  app.get("/api/agents/:name/memory", (c) => {
    const query = MemoryQuery.safeParse(c.req.query());
    if (!query.success) return apiError(c, 400, "BAD_REQUEST", issueText(query.error));
    const name = c.req.param("name");
    if (query.data.version !== undefined)
      return c.json({ version: fleet.memoryVersion(name, query.data.version) });
    return c.json(fleet.memory(name));
  });

  app.put("/api/agents/:name/memory", async (c) => {
    const body = await parsedBody(c.req.raw, MemoryBody);
    if (!body.ok) return apiError(c, 400, "BAD_REQUEST", body.message);
    return c.json({ version: fleet.setMemory(c.req.param("name"), body.data.content, actorOf(c)) });
  });

  // Tool calls waiting for a person (docs/agents.md#approvals); the caller's actor decides.
  app.get("/api/approvals", (c) => {
    const query = ApprovalQuery.safeParse(c.req.query());
    if (!query.success) return apiError(c, 400, "BAD_REQUEST", issueText(query.error));
    return c.json({ approvals: fleet.listApprovals(query.data) });
  });

  app.get("/api/approvals/:id", (c) => {
    const approval = fleet.getApproval(c.req.param("id"));
    if (!approval)
      return apiError(c, 404, "FLEET_APPROVAL_NOT_FOUND", "no such approval request; see herdctl approvals");
    return c.json({ approval });
  });

  for (const decision of ["approve", "deny"] as const) {
    app.post(`/api/approvals/:id/${decision}`, async (c) => {
      const body = await parsedBody(c.req.raw, DecisionBody);
      if (!body.ok) return apiError(c, 400, "BAD_REQUEST", body.message);
      const actor = actorOf(c);
      const via = (APPROVAL_CHANNELS as readonly string[]).includes(actor.via)
        ? (actor.via as ApprovalChannel)
        : "api";
      const approval = fleet.decideApproval(c.req.param("id"), {
        decision,
        by: actor.who,
        via,
        reason: body.data.reason,
      });
      return c.json({ approval });
    });
  }

  // Wakes agents scheduled for themselves (docs/wakes.md); their prompts are agent-written text.
  app.get("/api/wakes", (c) => {
    const agent = c.req.query("agent");
    return c.json({ wakes: fleet.listWakes(agent === undefined ? {} : { agent }) });
  });

  app.delete("/api/wakes/:id", (c) => c.json({ wake: fleet.cancelWake(c.req.param("id"), actorOf(c)) }));

  // The audit trail (docs/operating.md#audit-trail): newest first; verify walks the whole chain.
  app.get("/api/audit", (c) => {
    const query = AuditQueryParams.safeParse(c.req.query());
    if (!query.success) return apiError(c, 400, "BAD_REQUEST", issueText(query.error));
    const { since, limit } = query.data;
    return c.json({ entries: fleet.audit({ since: since ? new Date(since) : undefined, limit }) });
  });

  app.get("/api/audit/verify", (c) => c.json(fleet.verifyAudit()));

  // Chat platform connections (docs/chat.md): connected, reconnecting, or failed and why.
  app.get("/api/connectors", (c) => c.json({ connectors: fleet.connectorStatuses() }));

  // Spend against every budget of the fleet and its agents (docs/operating.md#budgets), and the
  // credentials paused at their usage limit (docs/operating.md#usage-limits).
  app.get("/api/usage", (c) => {
    const status = fleet.status();
    return c.json({
      budgets: [...status.budgets, ...status.agents.flatMap((a) => a.budgets)],
      usageLimits: status.usageLimits,
    });
  });

  // Where spend and work went, aggregated by SQLite (docs/operating.md#usage); since and until
  // are ISO times, the last 30 days by default.
  app.get("/api/usage/report", (c) => {
    const query = UsageReportQuery.safeParse(c.req.query());
    if (!query.success) return apiError(c, 400, "BAD_REQUEST", issueText(query.error));
    const { since, until, agent } = query.data;
    try {
      return c.json(
        fleet.usageReport({
          since: since === undefined ? undefined : new Date(since),
          until: until === undefined ? undefined : new Date(until),
          agent,
        }),
      );
    } catch (error) {
      // A since later than now, with until left to default.
      if (error instanceof RangeError) return apiError(c, 400, "BAD_REQUEST", error.message);
      throw error;
    }
  });

  if (options.daemonControl) {
    app.get("/api/status", (c) => c.json(fleet.status()));
    // Socket only: hand-started conversations are the operator's own, not the dashboard's to read.
    app.get("/api/agents/:name/sessions/candidates", (c) =>
      c.json(fleet.sessionCandidates(c.req.param("name"))),
    );

    app.post("/api/agents/:name/sessions/adopt", async (c) => {
      const body = await parsedBody(c.req.raw, AdoptBody);
      if (!body.ok) return apiError(c, 400, "BAD_REQUEST", body.message);
      return c.json(fleet.adoptSession(c.req.param("name"), body.data.sessionId, actorOf(c)));
    });

    // NDJSON of every fleet event as it happens: `herdctl logs -f` follows this.
    app.get("/api/events", (c) =>
      ndjsonStream(c, async (write, signal) => {
        const queue: string[] = [];
        let wake: (() => void) | undefined;
        const listeners = EVENT_NAMES.map((type) => {
          const listener = (payload: unknown) => {
            queue.push(`${JSON.stringify({ type, at: new Date().toISOString(), payload })}\n`);
            wake?.();
          };
          fleet.events.on(type, listener as never);
          return () => fleet.events.off(type, listener as never);
        });
        signal.addEventListener("abort", () => wake?.(), { once: true });
        try {
          while (!signal.aborted) {
            while (queue.length) await write(queue.shift()!);
            await new Promise<void>((resolve) => {
              wake = resolve;
              // The client may have gone while the last line was being written.
              if (signal.aborted) resolve();
            });
            wake = undefined;
          }
        } finally {
          for (const off of listeners) off();
        }
      }),
    );
    app.post("/api/dashboard/link", (c) => {
      const link = options.dashboardLink?.();
      if (!link)
        return apiError(
          c,
          409,
          "DASHBOARD_NOT_RUNNING",
          "this daemon serves no dashboard; restart it with herdctl start --web (or set web.enabled: true)",
        );
      return c.json(link);
    });
    app.post("/api/state/prune", async (c) => {
      const body = await parsedBody(c.req.raw, PruneBody);
      if (!body.ok) return apiError(c, 400, "BAD_REQUEST", body.message);
      return c.json(await fleet.prune({ ...body.data, actor: actorOf(c) }));
    });
    app.post("/api/fleet/reload", async (c) => c.json(await fleet.reload(undefined, actorOf(c))));
    app.post("/api/fleet/stop", async (c) => {
      let raw: unknown;
      try {
        raw = await jsonBody(c.req.raw);
      } catch {
        return apiError(c, 400, "BAD_REQUEST", "the request body is not valid JSON");
      }
      const body = StopBody.safeParse(raw);
      if (!body.success) return apiError(c, 400, "BAD_REQUEST", issueText(body.error));
      // Answer first: the socket this request came in on closes during the stop.
      setImmediate(() => void fleet.stop({ timeoutMs: body.data.timeoutMs, reason: "herdctl stop" }));
      return c.json({ stopping: true, pid: process.pid }, 202);
    });
  }
  return app;
}
