import { z } from "zod";
import { NAME_PATTERN, SESSION_MODES } from "../config/schema.js";

const text = (max: number) => z.string().min(1).max(max);

/**
 * What a caller may write into `schedules.<name>`. Only timing and prompt keys: a schedule can
 * start jobs, never change how they run. Webhook schedules (a new way in from the network) and
 * their secrets stay something the operator writes by hand. Values are checked again, with file
 * positions, by the loader before anything is written.
 */
export const ScheduleInputSchema = z.strictObject({
  type: z.enum(["interval", "cron"]),
  interval: text(100).optional(),
  cron: text(200).optional(),
  timezone: text(100).optional(),
  prompt: text(100_000).optional(),
  enabled: z.boolean().optional(),
  resume_session: z.boolean().optional(),
  // The short form only: max_context_tokens is a cost decision the operator writes by hand.
  session: z.enum(SESSION_MODES).optional(),
  overlap: z.enum(["skip", "queue", "replace"]).optional(),
  start_delay: text(100).optional(),
  jitter: text(100).optional(),
});

/** An interval or cron schedule as `addSchedule` takes it (durations as strings, e.g. "10m"). */
export type ScheduleInput = z.infer<typeof ScheduleInputSchema>;

export const ScheduleNameSchema = z
  .string()
  .max(100)
  .regex(NAME_PATTERN, "use letters, digits, _ and - (starting with a letter or digit)")
  .refine((name) => !["__proto__", "constructor", "prototype"].includes(name), "is a reserved name");

/** One edit of one schedule of one agent: what the API and the CLI ask for. */
export type ScheduleEditRequest =
  | { kind: "add"; agent: string; name: string; schedule: ScheduleInput; replace?: boolean }
  | { kind: "remove"; agent: string; name: string }
  | { kind: "enabled"; agent: string; name: string; enabled: boolean };
