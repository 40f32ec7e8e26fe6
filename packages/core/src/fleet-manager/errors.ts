import { nearestNames } from "../util/nearest.js";

export type FleetErrorCode =
  | "FLEET_AGENT_NOT_FOUND"
  | "FLEET_AT_CAPACITY"
  | "FLEET_JOB_NOT_ACTIVE"
  | "FLEET_STOPPING"
  | "FLEET_NO_PROMPT"
  | "FLEET_SCHEDULE_NOT_FOUND";

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

/** Close names only: a far-off guess in an error message is noise. */
export function nearestAgentNames(name: string, candidates: readonly string[]): string[] {
  return nearestNames(name, candidates, { within: Math.max(2, Math.floor(name.length / 2)) });
}
