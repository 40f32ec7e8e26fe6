import type { ScheduleStatus } from "@herdctl/core";
import { relativeTime } from "./format.js";

/**
 * When a schedule first fires in this run of the fleet, absolute and relative, for the summary
 * `herdctl start` prints. An interval schedule without start_delay fires during start-up, usually
 * before the summary is printed: then its first fire is the one that already happened.
 */
export function firstFire(schedule: ScheduleStatus, fleetStartedAt: string | null, now = Date.now()): string {
  if (!schedule.enabled) return "disabled";
  if (schedule.type === "webhook") return "runs on each signed request";
  const firedSinceStart =
    schedule.lastRunAt !== null &&
    fleetStartedAt !== null &&
    Date.parse(schedule.lastRunAt) >= Date.parse(fleetStartedAt);
  const at = firedSinceStart ? schedule.lastRunAt : schedule.nextRunAt;
  if (at === null) return "waiting";
  return `first run ${utcTime(at)} (${relativeTime(at, now)})`;
}

/** 2025-06-02 09:00:00 UTC: unambiguous on a server, whatever its zone. */
export function utcTime(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}
