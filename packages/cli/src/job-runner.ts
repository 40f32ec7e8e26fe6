import type { LoadedFleet } from "@herdctl/core";
import type { JobRecord, ResolvedAgent, SessionRequest, StateManager } from "@herdctl/core/internal";
import { localUserActor } from "@herdctl/core/internal/audit/actor";
import type { InProcessMember } from "@herdctl/core/internal/cluster/in-process-member";
import { JobExecutor } from "@herdctl/core/internal/runner/job-executor";
import { resolveClaudeBinary } from "@herdctl/core/internal/runner/runtime/claude-binary";
import { scheduleSessionRequest } from "@herdctl/core/internal/runner/session-policy";
import { planFork } from "@herdctl/core/internal/sessions/fork";
import { transcriptPlace } from "@herdctl/core/internal/sessions/place";
import { admitWithinBudget } from "@herdctl/core/internal/spend/admission";
import { BudgetLedger } from "@herdctl/core/internal/spend/budget";
import { credentialOf } from "@herdctl/core/internal/usage-limits/credential";
import { limited } from "@herdctl/core/internal/usage-limits/pauses";
import type { CommandContext } from "./context.js";
import { UsageError } from "./errors.js";
import type { InProcessContainers } from "./in-process-containers.js";
import { launchCacheOff, launchKey } from "./launch-cache.js";
import { requireSchedule } from "./lookup.js";
import { startOffline } from "./offline.js";
import { OFFLINE_LABEL } from "./offline-label.js";
import { printQuietly, renderJobEnd, renderMessage } from "./output/job-render.js";
import { Spinner } from "./output/spinner.js";
import { visible } from "./output/terminal-text.js";
import { setupWarnings } from "./setup-warnings.js";
import type { SpeculativeClaude } from "./speculative-claude.js";
import { VERSION } from "./version.js";

export interface TriggerRequest {
  agent: ResolvedAgent;
  /** The claude the trigger started before reading the fleet, and the pool its job starts claude through. */
  ahead?: SpeculativeClaude;
  /** A Docker agent's containers, with the one the trigger started before reading the fleet. */
  containers?: InProcessContainers;
  /** When the fleet was parsed (ms since the epoch): the launch cache is kept only for files older than that. */
  parsedAt?: number;
  prompt?: string;
  schedule?: string;
  fresh?: boolean;
  resume?: string;
  /** A finished job whose session the new job branches. */
  fork?: string;
  offline?: boolean;
  /** Run even when a budget is spent. */
  force?: boolean;
  stream: boolean;
  /** Print only the final result. */
  quiet?: boolean;
}

/** The prompt a trigger runs: -p, else the schedule's prompt, else the agent's default_prompt. */
export function resolvePrompt(agent: ResolvedAgent, prompt?: string, schedule?: string): string {
  if (prompt !== undefined && prompt !== "") return prompt;
  if (schedule) {
    const s = requireSchedule(agent, schedule);
    if (s.prompt) return s.prompt;
  }
  if (agent.default_prompt) return agent.default_prompt;
  throw new UsageError(
    `agent ${agent.name} has no default_prompt${schedule ? ` and schedule ${schedule} has no prompt` : ""}; pass one with -p "..."`,
  );
}

export function sessionRequestFor(
  agent: ResolvedAgent,
  t: Pick<TriggerRequest, "fresh" | "resume" | "schedule">,
): SessionRequest {
  if (t.resume) return { mode: "resume", sessionId: t.resume };
  if (t.fresh) return { mode: "fresh" };
  if (t.schedule) return scheduleSessionRequest(requireSchedule(agent, t.schedule));
  return { mode: "continue" };
}

/** Runs one job in this process (no daemon): streams it when asked and returns its final record. */
export async function runJobInProcess(ctx: CommandContext, t: TriggerRequest): Promise<JobRecord> {
  const fleet = await ctx.fleet();
  const prompt = resolvePrompt(t.agent, t.prompt, t.schedule);
  const claudePath = resolveClaudeBinary(fleet.fleet.claude_path);
  // The state first: if it cannot open, no stand-in is left running to keep the process alive.
  const state = await ctx.openState();
  const offline = t.offline ? await startOffline() : undefined;
  if (offline && !t.quiet) ctx.stderr.write(`${ctx.err.magenta(OFFLINE_LABEL)}\n`);
  for (const warning of setupWarnings([t.agent], { offline: Boolean(offline), web: true })) ctx.warn(warning);
  const controller = new AbortController();
  const onSigint = () => {
    ctx.stderr.write(`\n${ctx.err.yellow("cancelling the job…")}\n`);
    controller.abort();
  };
  process.once("SIGINT", onSigint);
  process.once("SIGTERM", onSigint);
  const spinner = new Spinner(ctx.stderr, t.stream && !ctx.json && ctx.err.enabled);
  let member: InProcessMember | undefined;
  try {
    const env = { ...fleet.dotEnv, ...offline?.env };
    const fork = t.fork
      ? planFork(state, t.agent, t.fork, transcriptPlace(t.agent, { stateDir: state.stateDir, env }))
      : undefined;
    const containers = await containersFor(ctx, t);
    const executor = new JobExecutor({
      state,
      claudePath,
      env,
      containers: containers && { manager: containers.manager },
      secrets: () => fleet.secretValues,
      offline: Boolean(offline),
      protectedPaths: () => fleet.protectedPaths,
      warn: (m) => ctx.warn(m),
      // Offline jobs' stand-in has a new address each run: nothing to start ahead or to keep.
      warm: offline ? undefined : t.ahead?.pool,
    });
    const budgets = new BudgetLedger({
      state: () => state,
      fleet: () => fleet.fleet.budget,
      agent: () => t.agent.budget,
      now: () => new Date(),
    });
    // The daemon's usage-limit pause holds a one-off run too (it lives in the state), unless it
    // names no reset (a bare 429), which holds only scheduled work.
    const pause = state.usagePauses.get(credentialOf([() => env, () => t.agent.env, () => process.env]).id);
    if (pause && pause.source !== "unknown" && !t.force && new Date() < new Date(pause.until))
      throw limited(t.agent.name, pause, fleet.fleet.budget?.timezone);
    const request = {
      agent: admitWithinBudget(t.agent, budgets, { force: t.force, timezone: fleet.fleet.budget?.timezone }),
      prompt,
      triggerType: "manual" as const,
      schedule: t.schedule,
      session: fork?.session ?? sessionRequestFor(t.agent, t),
      forkedFrom: fork?.forkedFrom,
    };
    member = await joinFleet(ctx, state);
    const queued = executor.enqueue(request, member?.id);
    recordInProcessTrigger(
      state,
      queued,
      ctx,
      t.force === true && budgets.blocking(t.agent.name) !== undefined,
    );
    if (t.stream && !ctx.json)
      ctx.stderr.write(ctx.err.dim(`job ${queued.id} started for ${t.agent.name}\n`));
    spinner.start("waiting for the model");
    let cached: Promise<void> | undefined;
    let kept: Promise<void> | undefined;
    const job = await executor.run(queued.id, request, {
      signal: controller.signal,
      onMessage: (message) => {
        // claude has started: keep the parsed fleet and how claude started, for the next trigger,
        // while it works.
        if (kept === undefined && ctx.fleetWasKept === false && t.parsedAt !== undefined && !launchCacheOff())
          kept = keepFleet(ctx, state.stateDir, fleet, t.parsedAt, t.ahead?.baseEnv);
        if (
          cached === undefined &&
          !offline &&
          !t.fork &&
          t.ahead &&
          t.parsedAt !== undefined &&
          !launchCacheOff()
        ) {
          cached = keepLaunch(
            ctx,
            state.stateDir,
            fleet,
            t.parsedAt,
            t.agent,
            t.schedule,
            t.ahead,
            containers,
          );
        }
        if (!t.stream || ctx.json) return;
        const lines = renderMessage(message, ctx.out);
        if (lines.length === 0) return;
        spinner.pause();
        for (const line of lines) ctx.print(line);
        spinner.start("working");
      },
      onNotice: (text) => {
        if (t.stream && !ctx.json) {
          spinner.pause();
          ctx.stderr.write(`${ctx.err.dim(`· ${visible(text)}`)}\n`);
        }
      },
    });
    spinner.stop();
    if (t.ahead?.pid !== undefined && ctx.options.verbose)
      ctx.stderr.write(
        ctx.err.dim(
          `· the claude started ahead (pid ${t.ahead.pid}) was ${job.pid === t.ahead.pid ? "used" : "not used: the job's claude differs"}\n`,
        ),
      );
    const aheadId = await t.containers?.ahead;
    if (aheadId !== undefined && ctx.options.verbose)
      ctx.stderr.write(
        ctx.err.dim(
          `· the container started ahead (${aheadId.slice(0, 12)}) was ${job.containerId === aheadId ? "used" : "not used: the job's container differs"}\n`,
        ),
      );
    if (ctx.json) ctx.printJson(offline ? { ...job, offline: true } : job);
    else if (t.quiet) printQuietly(ctx, job);
    else for (const line of renderJobEnd(job, ctx.out)) ctx.print(line);
    // Written while the job ran; the trigger ends only once they are (the process may exit at once).
    await cached;
    await kept;
    return job;
  } finally {
    spinner.stop();
    process.off("SIGINT", onSigint);
    process.off("SIGTERM", onSigint);
    // The job's record is final (or was never made): nothing of this member is left to reap.
    member?.leave();
    state.close();
    await offline?.standin.close();
  }
}

/** A Docker agent's containers (in-process-containers.ts): the trigger's, if it started one ahead. Loaded only for a Docker agent. */
async function containersFor(
  ctx: CommandContext,
  t: TriggerRequest,
): Promise<InProcessContainers | undefined> {
  if (t.agent.docker?.enabled !== true) return undefined;
  if (t.containers) return t.containers;
  const { InProcessContainers } = await import("./in-process-containers.js");
  return new InProcessContainers(ctx);
}

/**
 * On PostgreSQL, this process is a member of the fleet while it runs the job (its record names
 * it), so that a reaper ends the job if this process dies with it (cluster/in-process-member.ts).
 * Loaded only there: a SQLite fleet's trigger loads nothing for it.
 */
async function joinFleet(ctx: CommandContext, state: StateManager): Promise<InProcessMember | undefined> {
  const jobs = state.clusterJobs;
  if (state.backend.kind !== "postgres" || jobs === undefined) return undefined;
  const { joinAsInProcessMember } = await import("@herdctl/core/internal/cluster/in-process-member");
  return joinAsInProcessMember(jobs, { version: VERSION, warn: (m) => ctx.warn(m) });
}

/** Writes the launch cache; a failure costs only the next trigger's head start (said with -v). */
function keepLaunch(
  ctx: CommandContext,
  stateDir: string,
  fleet: LoadedFleet,
  parsedAt: number,
  agent: ResolvedAgent,
  schedule: string | undefined,
  ahead: SpeculativeClaude,
  containers: InProcessContainers | undefined,
): Promise<void> {
  return import("./launch-cache-write.js")
    .then(({ writeLaunchCache }) =>
      writeLaunchCache(
        stateDir,
        fleet,
        parsedAt,
        launchKey(agent.name, schedule),
        ahead.pool.spec(agent.name),
        ahead.baseEnv,
        containers?.lastLaunch(agent.name),
      ),
    )
    .catch((error: Error) => {
      if (ctx.options.verbose) ctx.warn(`launch cache: ${error.message}`);
    });
}

/** Keeps the parsed fleet (fleet-cache-write.ts); a failure costs only the next trigger's parse (said with -v). */
function keepFleet(
  ctx: CommandContext,
  stateDir: string,
  fleet: LoadedFleet,
  parsedAt: number,
  env: NodeJS.ProcessEnv | undefined,
): Promise<void> {
  return import("./fleet-cache-write.js")
    .then(({ writeFleetCache }) => {
      writeFleetCache(stateDir, fleet, parsedAt, env);
    })
    .catch((error: Error) => {
      if (ctx.options.verbose) ctx.warn(`fleet cache: ${error.message}`);
    });
}

/** A job this process runs itself is in the audit trail like one a daemon runs; a failed write only warns. */
function recordInProcessTrigger(
  state: StateManager,
  job: JobRecord,
  ctx: CommandContext,
  forced: boolean,
): void {
  try {
    state.audit.append({
      action: "job.trigger",
      ...localUserActor(),
      target: job.id,
      detail: {
        agent: job.agent,
        trigger: job.triggerType,
        inProcess: true,
        ...(forced ? { forcedOverBudget: true } : {}),
      },
    });
  } catch (error) {
    ctx.warn(`audit: could not record job ${job.id}: ${(error as Error).message}`);
  }
}
