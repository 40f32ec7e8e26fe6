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

/** Levenshtein-nearest names for "did you mean" hints. */
export function nearestNames(name: string, candidates: readonly string[], max = 3): string[] {
  const distance = (a: string, b: string): number => {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let prev = row[0]!;
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const next = row[j]!;
        row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = next;
      }
    }
    return row[b.length]!;
  };
  return candidates
    .map((c) => ({ c, d: distance(name.toLowerCase(), c.toLowerCase()) }))
    .filter((x) => x.d <= Math.max(2, Math.floor(name.length / 2)))
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c))
    .slice(0, max)
    .map((x) => x.c);
}
