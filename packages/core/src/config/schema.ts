import { Cron } from "croner";
import { z } from "zod";
import { validateWhen } from "../hooks/when.js";
import { DurationError, parseDuration } from "./duration.js";

// Shapes only: Docker defaults (image, memory...) are resolved by the runner, not here, so a
// fleet value is never shadowed by a default the user did not write.

export const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_-]*$/;
const NAME_HINT = "start with a letter or digit; then use only letters, digits, _ and -";
const DURATION_HINT = "a duration is a number followed by ms, s, m, h or d, e.g. 500ms, 30s, 15m, 2h, 1d";
const DAY_MS = 86_400_000;

function custom(ctx: z.RefinementCtx, message: string, hint?: string): void {
  ctx.addIssue({ code: "custom", message, params: hint ? { hint } : undefined });
}

function matching(pattern: RegExp, message: (value: string) => string, hint: string) {
  return z.string().superRefine((value, ctx) => {
    if (!pattern.test(value)) custom(ctx, message(value), hint);
  });
}

/** A duration written as text ("15m"); parsed to milliseconds. */
function duration(options: { positive?: boolean } = {}) {
  return z.unknown().transform((value, ctx): number => {
    if (typeof value !== "string") {
      const shown = typeof value === "number" ? String(value) : JSON.stringify(value);
      const fix = typeof value === "number" ? `; use ${value}s or ${value}m` : "";
      custom(ctx, `${shown} is not a duration${fix}`, DURATION_HINT);
      return z.NEVER;
    }
    try {
      const ms = parseDuration(value);
      if (options.positive && ms <= 0) {
        custom(ctx, `"${value}" must be longer than zero`, DURATION_HINT);
        return z.NEVER;
      }
      return ms;
    } catch (error) {
      if (!(error instanceof DurationError)) throw error;
      custom(ctx, error.message, DURATION_HINT);
      return z.NEVER;
    }
  });
}

/** Hook timeouts: milliseconds as a number (the reference format) or a duration string. */
const hookTimeout = z.unknown().transform((value, ctx): number => {
  if (typeof value === "number" && Number.isInteger(value) && value > 0) return value;
  if (typeof value === "string") {
    try {
      const ms = parseDuration(value);
      if (ms > 0) return ms;
    } catch {}
  }
  custom(ctx, `${JSON.stringify(value)} is not a timeout`, `use milliseconds (30000) or a duration (30s)`);
  return z.NEVER;
});

const httpUrl = z.string().superRefine((value, ctx) => {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {}
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    custom(ctx, `"${value}" is not an http(s) URL`, "write a full URL such as https://example.com/hook");
  }
});

const stringRecord = z.record(z.string(), z.string());
const positiveInt = z.number().int().positive();

const timezone = z.string().superRefine((value, ctx) => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: value });
  } catch {
    custom(
      ctx,
      `"${value}" is not a known time zone`,
      "use an IANA name such as UTC, Europe/Berlin or America/New_York",
    );
  }
});

const cronExpression = z.string().superRefine((value, ctx) => {
  try {
    new Cron(value, { paused: true }).stop();
  } catch (error) {
    custom(
      ctx,
      `"${value}" is not a valid cron expression: ${(error as Error).message}`,
      'use five fields "minute hour day-of-month month day-of-week", e.g. "0 9 * * 1-5"',
    );
  }
});

export const ScheduleSchema = z
  .strictObject({
    type: z.enum(["interval", "cron", "webhook"]),
    interval: duration({ positive: true }).optional(),
    cron: cronExpression.optional(),
    timezone: timezone.optional(),
    prompt: z.string().optional(),
    enabled: z.boolean().default(true),
    resume_session: z.boolean().default(false),
    start_delay: duration().optional(),
    catch_up: z.enum(["latest", "none"]).optional(),
    catch_up_window: duration({ positive: true }).optional(),
    overlap: z.enum(["skip", "queue", "replace"]).optional(),
    jitter: duration().optional(),
    secret_env: z.string().min(1).optional(),
  })
  .superRefine(
    (schedule, ctx) => {
      if (schedule.type === "interval" && schedule.interval === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["interval"],
          message: "an interval schedule needs an interval",
          params: { hint: "add interval: 15m (or another duration)" },
        });
      }
      if (schedule.type === "cron" && schedule.cron === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["cron"],
          message: "a cron schedule needs a cron expression",
          params: { hint: 'add cron: "0 9 * * 1-5" (or another expression)' },
        });
      }
      if (schedule.type !== "cron" && schedule.cron !== undefined && typeof schedule.type === "string") {
        ctx.addIssue({
          code: "custom",
          path: ["cron"],
          message: `only cron schedules use a cron expression; this schedule is type ${schedule.type}`,
          params: { hint: "set type: cron, or remove cron" },
        });
      }
    },
    { when: () => true },
  );

export const SessionSchema = z.strictObject({
  timeout: duration({ positive: true }).default(DAY_MS),
  max_turns: positiveInt.optional(),
});

export const InstancesSchema = z.strictObject({ max_concurrent: positiveInt.default(1) });

const hookCommon = {
  name: z.string().optional(),
  /** `timeout` is the reference format's spelling of `timed_out`. */
  on_events: z
    .array(z.enum(["completed", "failed", "timed_out", "timeout", "cancelled", "interrupted"]))
    .optional(),
  /** A filter on the job context, e.g. `status == "failed" && cost_usd > 0.5` (see hooks/when.ts). */
  when: z
    .string()
    .superRefine((expr, ctx) => {
      const problem = validateWhen(expr);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .optional(),
  continue_on_error: z.boolean().optional(),
};

export const ShellHookSchema = z.strictObject({
  type: z.literal("shell"),
  command: z.string().min(1),
  timeout: hookTimeout.optional(),
  ...hookCommon,
});

export const WebhookHookSchema = z.strictObject({
  type: z.literal("webhook"),
  url: httpUrl,
  method: z.enum(["POST", "PUT"]).optional(),
  headers: stringRecord.optional(),
  timeout: hookTimeout.optional(),
  retries: z.number().int().min(0).optional(),
  /** Name of the environment variable holding the HMAC signing secret. */
  secret_env: z.string().min(1).optional(),
  ...hookCommon,
});

export const HookSchema = z.discriminatedUnion("type", [ShellHookSchema, WebhookHookSchema]);
export const HooksSchema = z.strictObject({
  after_run: z.array(HookSchema).optional(),
  on_error: z.array(HookSchema).optional(),
});

// Mirrors the Agent SDK's McpStdioServerConfig / McpSSEServerConfig / McpHttpServerConfig.
export const McpServerSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("stdio").optional(),
    command: z.string().min(1),
    args: z.array(z.string()).optional(),
    env: stringRecord.optional(),
  }),
  z.strictObject({ type: z.literal("sse"), url: httpUrl, headers: stringRecord.optional() }),
  z.strictObject({ type: z.literal("http"), url: httpUrl, headers: stringRecord.optional() }),
]);

/** Docker keys an agent file may set: they limit the container, they cannot widen its reach. */
export const AGENT_DOCKER_KEYS = [
  "enabled",
  "ephemeral",
  "memory",
  "cpus",
  "cpu_shares",
  "cpu_period",
  "cpu_quota",
  "pids_limit",
  "tmpfs",
  "workspace_mode",
  "max_containers",
  "labels",
  "read_only",
] as const;

/** Docker keys only the fleet file may set: they decide what the container can reach. */
export const FLEET_ONLY_DOCKER_KEYS = [
  "image",
  "network",
  "user",
  "volumes",
  "env",
  "ports",
  "host_config",
] as const;

const memory = matching(
  /^\d+(\.\d+)?\s*([bkmgt]b?)?$/i,
  (v) => `"${v}" is not a memory size`,
  "use a number with a unit, e.g. 512m or 2g",
);
const volume = z.string().superRefine((value, ctx) => {
  const parts = value.split(":");
  const ok =
    (parts.length === 2 || parts.length === 3) &&
    parts[0] !== "" &&
    parts[1]!.startsWith("/") &&
    (parts.length === 2 || parts[2] === "ro" || parts[2] === "rw");
  if (!ok)
    custom(
      ctx,
      `"${value}" is not a volume`,
      'write "host-path:/container-path" with an optional ":ro" or ":rw"',
    );
});

export const DockerSchema = z.strictObject({
  enabled: z.boolean().optional(),
  ephemeral: z.boolean().optional(),
  memory: memory.optional(),
  cpus: z.number().positive().optional(),
  cpu_shares: positiveInt.optional(),
  cpu_period: positiveInt.optional(),
  cpu_quota: positiveInt.optional(),
  pids_limit: positiveInt.optional(),
  tmpfs: z
    .array(matching(/^\//, (v) => `"${v}" is not a tmpfs mount`, 'write "/path" or "/path:options"'))
    .optional(),
  workspace_mode: z.enum(["rw", "ro"]).optional(),
  max_containers: positiveInt.optional(),
  labels: stringRecord.optional(),
  read_only: z.boolean().optional(),
  image: z.string().min(1).optional(),
  network: z.enum(["none", "bridge", "host"]).optional(),
  user: matching(
    /^\d+(:\d+)?$/,
    (v) => `"${v}" is not a user`,
    'write numeric "uid:gid", e.g. "1000:1000"',
  ).optional(),
  volumes: z.array(volume).optional(),
  env: stringRecord.optional(),
  ports: z
    .array(
      matching(
        /^\d+(:\d+)?$/,
        (v) => `"${v}" is not a port binding`,
        'write "host-port:container-port", e.g. "8080:80"',
      ),
    )
    .optional(),
  host_config: z.record(z.string(), z.unknown()).optional(),
});

const RuntimeSchema = z.enum(["sdk", "cli"]);
// The Agent SDK's PermissionMode.
const PermissionModeSchema = z.enum([
  "default",
  "acceptEdits",
  "bypassPermissions",
  "plan",
  "dontAsk",
  "auto",
]);

// Durations in the agent are converted to milliseconds by the schema itself.
const agentFields = {
  description: z.string().optional(),
  working_directory: z.string().min(1).optional(),
  system_prompt: z.string().optional(),
  default_prompt: z.string().optional(),
  schedules: z.record(z.string().min(1), ScheduleSchema).optional(),
  model: z.string().min(1).optional(),
  max_turns: positiveInt.optional(),
  max_budget_usd: z.number().positive().optional(),
  timeout: duration({ positive: true }).optional(),
  inactivity_timeout: duration({ positive: true }).optional(),
  tools: z.array(z.string()).optional(),
  allowed_tools: z.array(z.string()).optional(),
  denied_tools: z.array(z.string()).optional(),
  mcp_servers: z.record(z.string().min(1), McpServerSchema).optional(),
  setting_sources: z.array(z.enum(["user", "project", "local"])).optional(),
  hooks: HooksSchema.optional(),
  metadata_file: z.string().min(1).optional(),
  env: stringRecord.optional(),
  on_interrupt: z.enum(["resume", "none"]).optional(),
  docker: DockerSchema.optional(),
};

/** A merged agent (fleet defaults + agent file + overrides); defaults are applied here, once. */
export const AgentSchema = z.strictObject({
  name: matching(NAME_PATTERN, (v) => `"${v}" is not a valid agent name`, NAME_HINT),
  ...agentFields,
  session: SessionSchema.prefault({}),
  instances: InstancesSchema.prefault({}),
  runtime: RuntimeSchema.default("sdk"),
  permission_mode: PermissionModeSchema.default("default"),
});

export const DefaultsSchema = z.strictObject({
  ...agentFields,
  session: SessionSchema.optional(),
  instances: InstancesSchema.optional(),
  runtime: RuntimeSchema.optional(),
  permission_mode: PermissionModeSchema.optional(),
  max_concurrent_jobs: positiveInt.optional(),
  claude_path: z.string().min(1).optional(),
});

/** Keys of `defaults` that configure the fleet rather than being inherited by agents. */
export const FLEET_ONLY_DEFAULT_KEYS = ["max_concurrent_jobs", "claude_path"] as const;

const port = z.number().int().min(1).max(65_535);

export const WebSchema = z.strictObject({
  enabled: z.boolean().default(false),
  host: z.string().min(1).default("127.0.0.1"),
  port: port.default(3232),
  /** Name of the environment variable holding the dashboard's bearer token. */
  auth_token_env: z.string().min(1).optional(),
  session_expiry_hours: positiveInt.optional(),
  open_browser: z.boolean().optional(),
  tool_results: z.boolean().optional(),
  message_grouping: z.enum(["separate", "grouped"]).optional(),
});

export const WebhooksSchema = z.strictObject({
  enabled: z.boolean().default(false),
  host: z.string().min(1).optional(),
  port: port.optional(),
  secret_env: z.string().min(1).optional(),
});

const overrides = z.record(z.string(), z.unknown());

export const FleetSchema = z.strictObject({
  version: z.literal(1).default(1),
  fleet: z
    .strictObject({ name: z.string().min(1).optional(), description: z.string().optional() })
    .optional(),
  defaults: DefaultsSchema.optional(),
  agents: z.array(z.strictObject({ path: z.string().min(1), overrides: overrides.optional() })).default([]),
  fleets: z
    .array(
      z.strictObject({
        path: z.string().min(1),
        name: matching(NAME_PATTERN, (v) => `"${v}" is not a valid sub-fleet name`, NAME_HINT).optional(),
        overrides: overrides.optional(),
      }),
    )
    .default([]),
  web: WebSchema.prefault({}),
  webhooks: WebhooksSchema.prefault({}),
});

export type AgentDockerConfig = z.output<typeof DockerSchema>;
/** Interval, start_delay, catch_up_window and jitter are milliseconds. */
export type Schedule = z.output<typeof ScheduleSchema>;
/** `timeout` is milliseconds. */
export type HookConfig = z.output<typeof HookSchema>;
export type ShellHookConfig = z.output<typeof ShellHookSchema>;
export type WebhookHookConfig = z.output<typeof WebhookHookSchema>;
export type McpServerConfig = z.output<typeof McpServerSchema>;
export type PermissionMode = z.output<typeof PermissionModeSchema>;
export type WebConfig = z.output<typeof WebSchema>;
export type WebhooksConfig = z.output<typeof WebhooksSchema>;
export type FleetDefaults = Omit<z.output<typeof DefaultsSchema>, (typeof FLEET_ONLY_DEFAULT_KEYS)[number]>;
/**
 * An agent after defaults. Duration fields keep their YAML key names but hold milliseconds:
 * `timeout`, `inactivity_timeout`, `session.timeout`, schedule `interval`/`start_delay`/
 * `catch_up_window`/`jitter`, and hook `timeout`.
 */
export type AgentConfig = z.output<typeof AgentSchema>;
