import { Cron } from "croner";

/**
 * The zone claude reads a cron text in: its process's local time. On the host that is the TZ the
 * agent gives claude, else the host's; in a container, the container's (UTC unless TZ is set).
 */
export function claudeTimezone(agent: {
  env?: Record<string, string>;
  docker?: { enabled?: boolean; env?: Record<string, string> };
}): string {
  const set = agent.docker?.enabled ? agent.docker.env?.["TZ"] : agent.env?.["TZ"];
  if (set && isTimezone(set)) return set;
  if (agent.docker?.enabled) return "UTC";
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

function isTimezone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function compile(cron: string, timezone: string): Cron {
  // No callback: croner computes dates only and starts no timer of its own.
  return new Cron(cron, { timezone });
}

/** The first occurrence strictly after `after`, or undefined when there is none. */
export function nextCronFire(cron: string, timezone: string, after: Date): Date | undefined {
  return compile(cron, timezone).nextRun(after) ?? undefined;
}

/**
 * Why a cron text cannot be a wake, or undefined when it can: it must parse, and no two of its next
 * occurrences may be closer than `minIntervalMs` (a seconds field or `* * * * *` under a 5 m floor).
 */
export function cronWakeProblem(
  cron: string,
  timezone: string,
  now: Date,
  minIntervalMs: number,
): string | undefined {
  let runs: Date[];
  try {
    runs = compile(cron, timezone).nextRuns(5, now);
  } catch (error) {
    return `"${cron}" is not a cron expression claude and herdctl agree on (${(error as Error).message})`;
  }
  if (runs.length === 0) return `"${cron}" never fires again`;
  for (let i = 1; i < runs.length; i++) {
    if (runs[i]!.getTime() - runs[i - 1]!.getTime() < minIntervalMs) {
      return `"${cron}" fires more often than every ${Math.round(minIntervalMs / 1000)} s (wakes.min_interval)`;
    }
  }
  return undefined;
}
