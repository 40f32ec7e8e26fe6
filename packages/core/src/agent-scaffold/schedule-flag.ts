import { Cron } from "croner";
import { parseDuration } from "../config/duration.js";
import type { AgentTemplate } from "./template.js";

/**
 * `--schedule` as people say it: "every 1h", "1h" or "30m" for an interval, five cron fields
 * ("0 9 * * 1-5") for a cron schedule. Returns an error message naming what was wrong otherwise.
 */
export function parseScheduleFlag(text: string): AgentTemplate["schedule"] | { error: string } {
  const value = text.trim();
  const words = value.split(/\s+/);
  if (words.length === 1 || (words.length === 2 && words[0]!.toLowerCase() === "every")) {
    const interval = words.at(-1)!;
    try {
      parseDuration(interval);
      return { type: "interval", interval };
    } catch {
      // Not a duration: said below.
    }
  }
  if (words.length === 5) {
    try {
      new Cron(value, { paused: true }).stop();
      return { type: "cron", cron: value };
    } catch (error) {
      return { error: `"${text}" is not a valid cron expression: ${(error as Error).message}` };
    }
  }
  return {
    error: `"${text}" is not a schedule; write an interval ("every 1h", "30m") or five cron fields ("0 9 * * 1-5")`,
  };
}
