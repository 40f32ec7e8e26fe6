import type { BudgetStatus } from "../spend/budget.js";
import { describeExceeded } from "../spend/describe.js";
import { nearestNames } from "../util/nearest.js";

/** Why FleetManager refused (FleetError.code). */
export type FleetErrorCode =
  | "FLEET_AGENT_NOT_FOUND"
  | "FLEET_APPROVAL_NOT_FOUND"
  | "FLEET_APPROVAL_DECIDED"
  | "FLEET_APPROVAL_REFUSED"
  | "CHAT_NOT_FOUND"
  | "CHAT_BAD_REQUEST"
  | "CHAT_WAITING_APPROVAL"
  | "FLEET_AT_CAPACITY"
  | "FLEET_BAD_TRIGGER"
  | "FLEET_JOB_NOT_ACTIVE"
  | "FLEET_STOPPING"
  | "FLEET_NO_PROMPT"
  | "FLEET_NOT_CLUSTER"
  | "FLEET_NOT_REMOVABLE"
  | "FLEET_OVER_BUDGET"
  | "FLEET_PRUNE_RUNNING"
  | "FLEET_QUEUE_FULL"
  | "FLEET_SCHEDULE_NOT_FOUND"
  | "FLEET_USAGE_LIMITED"
  | "FLEET_WAKE_NOT_FOUND";

/** What FleetManager refuses, with a `code` to branch on and a message that says what to do. */
export class FleetError extends Error {
  constructor(
    readonly code: FleetErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "FleetError";
  }
}

export function agentNotFound(name: string, available: string[], nearest: string[]): FleetError {
  const near = nearest.length ? ` Did you mean: ${nearest.join(", ")}?` : "";
  const all = available.length ? ` Available agents: ${available.join(", ")}` : " The fleet has no agents.";
  return new FleetError("FLEET_AGENT_NOT_FOUND", `Agent "${name}" not found.${near}${all}`);
}

export function atCapacity(
  agent: string,
  running: number,
  limit: number,
  scope: "agent" | "fleet",
): FleetError {
  const what =
    scope === "agent"
      ? `agent ${agent} is at capacity (${running} of ${limit} running)`
      : `the fleet is at capacity (${running} of ${limit} jobs running)`;
  return new FleetError(
    "FLEET_AT_CAPACITY",
    `${what}; try again later, or trigger without --no-queue to wait in line`,
  );
}

/** A lane (a chat's turns) already has a job in flight; only a `noQueue` submit sees this. */
export function laneBusy(agent: string): FleetError {
  return new FleetError(
    "FLEET_AT_CAPACITY",
    `a turn of this chat with ${agent} is still running; wait for it, or send without noQueue to wait in line`,
  );
}

export function queueFull(agent: string, waiting: number, limit: number): FleetError {
  return new FleetError(
    "FLEET_QUEUE_FULL",
    `agent ${agent} already has ${waiting} job${waiting === 1 ? "" : "s"} waiting (instances.max_queued: ${limit}); ` +
      "this trigger was refused: wait for queued jobs to start, cancel some, or raise instances.max_queued",
  );
}

export function scheduleNotFound(agent: string, name: string, available: string[]): FleetError {
  const near = nearestAgentNames(name, available);
  const hint = near.length ? ` Did you mean: ${near.join(", ")}?` : "";
  const all = available.length ? ` Its schedules: ${available.join(", ")}` : " It has no schedules.";
  return new FleetError("FLEET_SCHEDULE_NOT_FOUND", `Agent ${agent} has no schedule "${name}".${hint}${all}`);
}

/** Close names only: a far-off guess in an error message is noise. */
export function nearestAgentNames(name: string, candidates: readonly string[]): string[] {
  return nearestNames(name, candidates, { within: Math.max(2, Math.floor(name.length / 2)) });
}

/** A trigger refused because a budget is spent; the message says which, until when, and the way around. */
export function overBudget(budget: BudgetStatus, timezone: string | undefined): FleetError {
  return new FleetError(
    "FLEET_OVER_BUDGET",
    `${describeExceeded(budget, timezone)}; scheduled runs are skipped until then. Trigger with --force (API: "force": true) to run anyway`,
  );
}

/** A second prune while one runs: both would plan the same records. */
export function pruneRunning(
  running: { startedAt: Date; progress?: { phase: string; records: number; planned: number } },
  actor: { via: string; who: string },
): FleetError {
  const p = running.progress;
  const where = !p
    ? "starting"
    : p.phase === "plan"
      ? `planning, ${p.records} records found so far`
      : `${p.records} of ${p.planned} records removed`;
  return new FleetError(
    "FLEET_PRUNE_RUNNING",
    `a prune is already running (started ${running.startedAt.toISOString()} by ${actor.via} ${actor.who}; ${where}); wait for it to finish, then run herdctl prune again if needed`,
  );
}
