import type { JobRecord, JobStatus, ResolvedAgent, StateManager } from "@herdctl/core/internal";
import { parseDuration } from "@herdctl/core/internal/config/duration";
import { isAgentName, isJobId } from "@herdctl/core/internal/state/ids";
import { JOB_STATUSES } from "@herdctl/core/internal/state/job-status";
import { nearestNames } from "@herdctl/core/internal/util/nearest";
import { ownValue } from "@herdctl/core/internal/util/own";
import type { CommandContext } from "./context.js";
import { CliError, UsageError } from "./errors.js";

/** How many recent job ids "did you mean" looks through; enough for typos, cheap to fetch. */
const NEAREST_POOL = 500;

/** The job, after checking the id's form (exit 2) and that it exists (exit 1, with nearest ids). */
export function requireJob(state: StateManager, id: string): JobRecord {
  if (!isJobId(id)) {
    throw new UsageError(
      `"${id}" is not a job id; job ids look like job-20250101120000-ab12cd (see "herdctl jobs")`,
    );
  }
  const job = state.jobs.get(id);
  if (job) return job;
  const ids = state.jobs.list({ limit: NEAREST_POOL }).jobs.map((j) => j.id);
  const hint = ids.length ? ` Nearest: ${nearestNames(id, ids).join(", ")}.` : " There are no jobs yet.";
  throw new CliError(`job ${id} not found.${hint} List jobs with "herdctl jobs".`);
}

type Schedule = NonNullable<ResolvedAgent["schedules"]>[string];

/** The agent's own schedule of that name ("toString" is not one), else a usage error naming the nearest. */
export function requireSchedule(agent: ResolvedAgent, name: string): Schedule {
  const schedule = ownValue(agent.schedules, name);
  if (schedule) return schedule;
  const names = Object.keys(agent.schedules ?? {});
  const near = nearestNames(name, names, { within: Math.max(2, Math.floor(name.length / 2)) });
  throw new UsageError(
    `agent ${agent.name} has no schedule "${name}".` +
      (near.length ? ` Did you mean: ${near.join(", ")}?` : "") +
      (names.length ? ` Its schedules: ${names.join(", ")}` : " It has no schedules."),
  );
}

/**
 * Accepts an agent filter that the fleet defines, or that has jobs on record (an agent removed
 * from the config keeps its history). Anything else is a typo: name the nearest agents.
 */
export async function checkAgentFilter(
  ctx: CommandContext,
  state: StateManager,
  name: string,
): Promise<void> {
  if (!isAgentName(name)) throw new UsageError(`"${name}" is not an agent name`);
  const configured = await configuredAgents(ctx);
  if (configured?.includes(name)) return;
  if (state.jobs.list({ agent: name, limit: 1 }).jobs.length > 0) return;
  if (state.sessions.get(name)) return;
  const known = [
    ...new Set([...(configured ?? []), ...state.jobs.list({ limit: NEAREST_POOL }).jobs.map((j) => j.agent)]),
  ];
  const hint = known.length
    ? ` Nearest: ${nearestNames(name, known).join(", ")}. Available: ${known.sort().join(", ")}.`
    : "";
  throw new CliError(`agent "${name}" not found.${hint}`);
}

/** Agent names from the fleet file; undefined when only -s was given and no fleet file is around. */
async function configuredAgents(ctx: CommandContext): Promise<string[] | undefined> {
  try {
    return (await ctx.fleet()).agents.map((a) => a.name);
  } catch (error) {
    if (ctx.options.state && error instanceof CliError) return undefined;
    throw error;
  }
}

export function parseStatus(text: string): JobStatus[] {
  const statuses = text.split(",").map((s) => s.trim());
  for (const s of statuses) {
    if (!(JOB_STATUSES as readonly string[]).includes(s)) {
      throw new UsageError(`unknown job status "${s}"; use one of: ${JOB_STATUSES.join(", ")}`);
    }
  }
  return statuses as JobStatus[];
}

/** An ISO time, or a duration back from now ("90m", "2h", "1d"). */
export function parseSince(text: string, now = Date.now()): string {
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const t = Date.parse(text);
    if (!Number.isNaN(t)) return new Date(t).toISOString();
  } else {
    try {
      return new Date(now - parseDuration(text)).toISOString();
    } catch {}
  }
  throw new UsageError(
    `--since "${text}" is neither a time (2025-01-31T09:00:00Z) nor a duration (30m, 2h, 1d)`,
  );
}

export function parseCount(text: string, what: string, max = 1000): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new UsageError(`${what} must be a whole number from 1 to ${max}, got "${text}"`);
  return n;
}
