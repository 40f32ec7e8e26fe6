import type { UsagePause } from "../state/index.js";

/** "HH:MM" in the zone, with the date in front when the reset is not today there. */
export function resetClock(until: Date, timezone: string | undefined, now = new Date()): string {
  const day = (d: Date) => d.toLocaleDateString("sv-SE", { timeZone: timezone });
  const time = until.toLocaleTimeString("en-GB", { timeZone: timezone, hour: "2-digit", minute: "2-digit" });
  return day(until) === day(now) ? time : `${day(until)} ${time}`;
}

/** How a pause is said everywhere: "paused until 15:04 (usage limit)", or probing after the reset. */
export function describePause(
  pause: Pick<UsagePause, "until"> & { probeJobId?: string | null },
  timezone: string | undefined,
  now = new Date(),
): string {
  if (pause.probeJobId) return `paused (usage limit): probe job ${pause.probeJobId} checks whether it lifted`;
  return `paused until ${resetClock(new Date(pause.until), timezone, now)} (usage limit)`;
}
