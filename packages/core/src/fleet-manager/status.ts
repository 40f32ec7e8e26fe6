import type { ConnectorStatus } from "../chat/connectors/types.js";
import type { ResolvedAgent } from "../config/index.js";
import { type ConfigTamper, recentConfigTampers } from "../runner/config-tamper.js";
import type { ScheduleSnapshot } from "../scheduler/index.js";
import { type BudgetStatus, measureBudgets } from "../spend/budget.js";
import type { ClusterWorkerStatus } from "../state/cluster-jobs.js";
import type { JobRecord, StateManager, WakeRecord } from "../state/index.js";
import type { UsageLimitStatus } from "../usage-limits/status.js";
import type { RetryRef } from "./retries.js";
import { recentWebhookRejections, type WebhookRejection } from "./webhook-rejections.js";

export type FleetState = "starting" | "running" | "stopping" | "stopped";

export interface JobRef {
  id: string;
  agent: string;
  status: string;
  schedule: string | null;
  triggerType: string;
  createdAt: string;
  startedAt: string | null;
  /** 1 for a first run; more for an automatic retry. */
  attempt: number;
}

/** One schedule in AgentStatus: when it runs next and how its last run went. */
export interface ScheduleStatus {
  agent: string;
  name: string;
  type: "interval" | "cron" | "webhook";
  /** "every 15m" or the cron expression, for people. */
  when: string;
  enabled: boolean;
  nextRunAt: string | null;
  lastRunAt: string | null;
  lastStatus: string | null;
  lastError: string | null;
  running: boolean;
  pending: boolean;
}

/** One agent in FleetStatus: its jobs in flight, last job, schedules. */
export interface AgentStatus {
  name: string;
  description: string | null;
  runtime: string;
  docker: boolean;
  model: string | null;
  maxConcurrent: number;
  workingDirectory: string;
  running: JobRef[];
  queued: JobRef[];
  /** Failed jobs whose next attempt waits for its backoff. */
  retrying: RetryRef[];
  schedules: ScheduleStatus[];
  lastJob: Pick<JobRecord, "id" | "status" | "finishedAt" | "summary" | "error"> | null;
  /** The latest refused calls to this agent's webhook schedules, newest first. */
  rejectedWebhooks: WebhookRejection[];
  /** The latest refused attempts of this agent's jobs on the fleet's configuration or state. */
  configTampers: ConfigTamper[];
  /** Wakes the agent scheduled for itself that have yet to fire, soonest first. */
  wakes: WakeRef[];
  /** The agent's own budgets (`budget:`), measured now; the fleet's are in FleetStatus. */
  budgets: BudgetStatus[];
  /** The usage-limit pause holding this agent's credential, or null. */
  usageLimit: AgentUsageLimit | null;
}

/** An agent's side of a usage-limit pause. */
export interface AgentUsageLimit {
  until: string;
  state: "paused" | "probing";
  /** The credential's label (kind and hash prefix). */
  credential: string;
  /** As status prints it: "paused until 15:04 (usage limit)". */
  text: string;
}

export interface WakeRef {
  id: string;
  kind: "once" | "cron";
  nextFireAt: string | null;
  cron: string | null;
  timezone: string | null;
  expiresAt: string | null;
  sessionId: string;
  /** The agent-written prompt, cut to one short line. */
  prompt: string;
}

const WAKE_PROMPT_PREVIEW = 80;

export function wakeRef(wake: WakeRecord): WakeRef {
  const line = wake.prompt.replace(/\s+/g, " ").trim();
  return {
    id: wake.id,
    kind: wake.kind,
    nextFireAt: wake.nextFireAt,
    cron: wake.cron,
    timezone: wake.timezone,
    expiresAt: wake.expiresAt,
    sessionId: wake.sessionId,
    prompt: line.length > WAKE_PROMPT_PREVIEW ? `${line.slice(0, WAKE_PROMPT_PREVIEW - 1)}…` : line,
  };
}

/** The fleet as `herdctl status` shows it: state, counts, every agent. */
export interface FleetStatus {
  fleet: string;
  description: string | null;
  state: FleetState;
  pid: number;
  startedAt: string | null;
  uptimeMs: number;
  offline: boolean;
  /** The root fleet file; "fleet object" for a fleet given as an object. */
  configPath: string;
  stateDir: string;
  counts: { agents: number; running: number; queued: number };
  lastReloadError: { message: string; at: string } | null;
  /** How much the state directory's database holds: its size on disk and its job records. */
  stateSize: { databaseBytes: number; jobs: number };
  /** The fleet-wide budgets (`budget:` in the fleet file), measured now. */
  budgets: BudgetStatus[];
  /** The chat platform connections (Discord, Slack) and where each stands. */
  connectors: ConnectorStatus[];
  /** Credentials paused at their usage limit. */
  usageLimits: UsageLimitStatus[];
  /** PostgreSQL fleets: the workers that have not stopped (absent on SQLite, one daemon runs all). */
  workers?: ClusterWorkerStatus[];
  agents: AgentStatus[];
}

export function jobRef(job: JobRecord): JobRef {
  return {
    id: job.id,
    agent: job.agent,
    status: job.status,
    schedule: job.schedule,
    triggerType: job.triggerType,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    attempt: job.attempt,
  };
}

function describeScheduleTiming(s: {
  type: string;
  interval?: number;
  cron?: string;
  timezone?: string;
}): string {
  if (s.type === "interval" && s.interval !== undefined) {
    const ms = s.interval;
    const [n, unit] =
      ms % 86_400_000 === 0
        ? [ms / 86_400_000, "d"]
        : ms % 3_600_000 === 0
          ? [ms / 3_600_000, "h"]
          : ms % 60_000 === 0
            ? [ms / 60_000, "m"]
            : ms % 1000 === 0
              ? [ms / 1000, "s"]
              : [ms, "ms"];
    return `every ${n}${unit}`;
  }
  if (s.type === "cron") return `cron ${s.cron}${s.timezone ? ` (${s.timezone})` : ""}`;
  return "on webhook";
}

/**
 * What status reads of an agent's configuration: a ResolvedAgent, or the part of one the CLI keeps
 * in the state directory for status without a daemon (packages/cli/src/status-facts.ts).
 */
export type StatusAgentFacts = Pick<
  ResolvedAgent,
  "name" | "description" | "runtime" | "model" | "working_directory" | "budget"
> & {
  docker?: { enabled?: boolean };
  instances?: { max_concurrent?: number };
  schedules?: Record<
    string,
    { type: ScheduleStatus["type"]; interval?: number; cron?: string; timezone?: string; enabled?: boolean }
  >;
};

export function scheduleStatuses(
  agent: StatusAgentFacts,
  snapshots: ScheduleSnapshot[],
  state: StateManager,
): ScheduleStatus[] {
  const persisted = new Map(state.schedules.list({ agent: agent.name }).map((s) => [s.schedule, s]));
  return Object.entries(agent.schedules ?? {}).map(([name, config]) => {
    const snap = snapshots.find((s) => s.agent === agent.name && s.schedule === name);
    const saved = persisted.get(name);
    return {
      agent: agent.name,
      name,
      type: config.type,
      when: describeScheduleTiming(config),
      enabled: snap?.enabled ?? (saved?.enabledOverride ?? config.enabled) !== false,
      nextRunAt: snap?.nextRunAt?.toISOString() ?? null,
      lastRunAt: snap?.lastRunAt?.toISOString() ?? saved?.lastRunAt ?? null,
      lastStatus: saved?.lastStatus ?? null,
      lastError: saved?.lastError ?? null,
      running: snap?.running ?? false,
      pending: snap?.pending ?? false,
    };
  });
}

/** An agent as `status` shows it: config, live jobs (none when no daemon runs) and history. */
export function buildAgentStatus(
  agent: StatusAgentFacts,
  state: StateManager,
  live: {
    running: JobRecord[];
    queued: JobRecord[];
    snapshots: ScheduleSnapshot[];
    retrying?: RetryRef[];
    usageLimit?: AgentUsageLimit;
  } = {
    running: [],
    queued: [],
    snapshots: [],
  },
  /** The calendar budgets follow (the fleet's budget.timezone) and the time they are measured at. */
  clock: { budgetTimezone?: string; now?: Date } = {},
): AgentStatus {
  const last = state.jobs.list({ agent: agent.name, limit: 1 }).jobs[0];
  return {
    name: agent.name,
    description: agent.description ?? null,
    runtime: agent.runtime ?? "sdk",
    docker: agent.docker?.enabled === true,
    model: agent.model ?? null,
    maxConcurrent: agent.instances?.max_concurrent ?? 1,
    workingDirectory: agent.working_directory,
    running: live.running.map(jobRef),
    queued: live.queued.map(jobRef),
    retrying: live.retrying ?? [],
    schedules: scheduleStatuses(agent, live.snapshots, state),
    lastJob: last
      ? {
          id: last.id,
          status: last.status,
          finishedAt: last.finishedAt,
          summary: last.summary,
          error: last.error,
        }
      : null,
    rejectedWebhooks: recentWebhookRejections(state, agent.name),
    configTampers: recentConfigTampers(state, agent.name),
    wakes: state.wakes.pending({ agent: agent.name }).map(wakeRef),
    budgets: measureBudgets(agent.budget, {
      state,
      timezone: clock.budgetTimezone,
      now: clock.now ?? new Date(),
      agent: agent.name,
    }),
    usageLimit: live.usageLimit ?? null,
  };
}
