import type { ResolvedAgent } from "../config/index.js";
import type { StateManager, WakeRecord } from "../state/index.js";
import type { WakeCapture } from "./capture.js";
import { claudeTimezone, cronWakeProblem, nextCronFire } from "./plan.js";

export const DEFAULT_WAKES = {
  enabled: true,
  expire_after: 7 * 86_400_000,
  max_pending: 20,
  min_interval: 60_000,
} as const;

/** A wake's prompt is the agent's own text; past this it is refused rather than stored. */
export const MAX_WAKE_PROMPT_CHARS = 8_000;

export interface WakeRecordContext {
  readonly state: StateManager;
  readonly agent: ResolvedAgent;
  readonly jobId: string;
  readonly now: Date;
  /** Told, in one line for the job's output, what happened to the capture. */
  readonly notice: (text: string) => void;
}

/**
 * Turns one capture into state. The wake's agent and session are the job's own, never anything the
 * agent wrote: a wake can only continue the conversation that made it, under the agent's config.
 */
export function recordWake(capture: WakeCapture, ctx: WakeRecordContext): WakeRecord | undefined {
  const { state, agent, now, notice } = ctx;
  const policy = { ...DEFAULT_WAKES, ...agent.wakes };
  if (capture.kind === "delete") {
    const wake = state.wakes.byClaudeId(agent.name, capture.claudeId);
    if (wake && state.wakes.end(wake.id, "cancelled"))
      notice(`wake ${wake.id} cancelled by the agent (CronDelete)`);
    return undefined;
  }
  if (capture.kind === "stop") {
    for (const wake of state.wakes.pending({ agent: agent.name })) {
      if (
        wake.kind === "once" &&
        wake.sessionId === capture.sessionId &&
        state.wakes.end(wake.id, "cancelled")
      )
        notice(`wake ${wake.id} cancelled by the agent (ScheduleWakeup stop)`);
    }
    return undefined;
  }
  const refuse = (why: string) => {
    notice(`wake refused: ${why}`);
    return undefined;
  };
  if (!policy.enabled) return refuse(`wakes are off for agent ${agent.name} (wakes.enabled: false)`);
  if (capture.prompt.length > MAX_WAKE_PROMPT_CHARS)
    return refuse(
      `its prompt is ${capture.prompt.length} characters; the most a wake keeps is ${MAX_WAKE_PROMPT_CHARS}`,
    );
  const pending = state.wakes.countPending(agent.name);
  if (pending >= policy.max_pending)
    return refuse(
      `agent ${agent.name} already has ${pending} pending wakes (wakes.max_pending: ${policy.max_pending}); cancel one with herdctl wakes cancel <id>`,
    );
  const base = { agent: agent.name, jobId: ctx.jobId, sessionId: capture.sessionId, prompt: capture.prompt };
  let wake: WakeRecord;
  if (capture.kind === "once") {
    const delay = Math.max(capture.delayMs, policy.min_interval);
    wake = state.wakes.create({ ...base, kind: "once", nextFireAt: new Date(now.getTime() + delay) });
  } else {
    const timezone = claudeTimezone(agent);
    const problem = cronWakeProblem(capture.cron, timezone, now, capture.recurring ? policy.min_interval : 0);
    if (problem !== undefined) return refuse(problem);
    const earliest = new Date(now.getTime() + policy.min_interval - 1);
    const next = nextCronFire(capture.cron, timezone, earliest)!;
    wake = capture.recurring
      ? state.wakes.create({
          ...base,
          kind: "cron",
          cron: capture.cron,
          timezone,
          claudeId: capture.claudeId,
          nextFireAt: next,
          expiresAt: new Date(now.getTime() + policy.expire_after),
        })
      : state.wakes.create({ ...base, kind: "once", claudeId: capture.claudeId, nextFireAt: next });
  }
  notice(
    `wake ${wake.id} kept: resumes session ${wake.sessionId} at ${wake.nextFireAt}${wake.cron ? ` (cron "${wake.cron}" ${wake.timezone}, until ${wake.expiresAt})` : ""}`,
  );
  return wake;
}
