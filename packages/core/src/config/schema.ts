import { isAbsolute } from "node:path";
import { Cron } from "croner";
import { z } from "zod";
import { validateWhen } from "../hooks/when.js";
import { parseEgressRule } from "../proxy/egress-allowlist.js";
import { PORT_FORMS, parsePortSpec } from "../runner/runtime/docker-config-fields.js";
import { pgUrlProblem } from "../state/pg/url.js";
import { AgentChatSchema, slackChannelId, snowflake, tokenEnv } from "./chat-schema.js";
import { AGENT_DOCKER_KEYS, FLEET_ONLY_DOCKER_KEYS } from "./docker-keys.js";
import { DurationError, parseDuration } from "./duration.js";
import { MEMORY_DEFAULT_MAX_BYTES, MEMORY_MAX_BYTES_LIMIT } from "./memory-limits.js";

export { AGENT_DOCKER_KEYS, FLEET_ONLY_DOCKER_KEYS, MEMORY_DEFAULT_MAX_BYTES, MEMORY_MAX_BYTES_LIMIT };

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

/** The URL is a secret (it holds a password): no message repeats it. */
const pgUrl = z.string().superRefine((value, ctx) => {
  const problem = pgUrlProblem(value);
  if (problem) custom(ctx, problem.message, problem.hint);
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

export const RetrySchema = z.strictObject({
  attempts: z
    .number()
    .int()
    .min(1)
    .max(10)
    .describe(
      "Most runs in all, the first included (1 never retries); only API errors (overloaded, rate limited, server or connection errors) and timeouts are retried",
    ),
  backoff: duration({ positive: true })
    .default(30_000)
    .describe("Wait before the second attempt; each later wait doubles"),
  max_backoff: duration({ positive: true }).default(600_000).describe("The longest wait between attempts"),
});

export const WakesSchema = z.strictObject({
  enabled: z
    .boolean()
    .default(true)
    .describe(
      "Keep the wakes the agent schedules with claude's ScheduleWakeup and CronCreate, and fire them after claude has exited; false ignores them",
    ),
  expire_after: duration({ positive: true })
    .default(7 * 86_400_000)
    .describe("A recurring (CronCreate) wake ends this long after the agent made it"),
  max_pending: z
    .number()
    .int()
    .min(1)
    .max(100)
    .default(20)
    .describe("Most wakes the agent may have pending; a wake beyond it is refused and the job says so"),
  min_interval: duration({ positive: true })
    .default(60_000)
    .refine((ms) => ms >= 60_000, {
      message: "must be 60s or longer",
      params: { hint: "write 60s or more, e.g. 5m" },
    })
    .describe(
      "Shortest time from a wake's creation to its fire, and between two fires of a recurring one (60s or more)",
    ),
});

/** The most a gate's output may add to the prompt; the default keeps a turn small. */
export const GATE_OUTPUT_MAX = 256 * 1024;

const GateObjectSchema = z.strictObject({
  run: z
    .string()
    .min(1)
    .describe(
      "Command run with /bin/sh -c where the agent's commands run (its container for Docker agents) before each fire: exit 0 runs the job with the command's output added to the prompt, exit 1 skips it, anything else fails it",
    ),
  timeout: duration({ positive: true })
    .default(60_000)
    .describe("Kill the gate after this long; the job fails (60s when unset)"),
  max_output: z
    .number()
    .int()
    .min(0)
    .max(GATE_OUTPUT_MAX)
    .default(16 * 1024)
    .describe(
      `Bytes of the gate's output added to the prompt (16384 when unset, at most ${GATE_OUTPUT_MAX}); beyond it the output is cut and the prompt says so`,
    ),
});

/** `gate: "command"` is short for `gate: { run: "command" }`. */
export const GateSchema = z.preprocess(
  (value) => (typeof value === "string" ? { run: value } : value),
  GateObjectSchema,
);

export const SESSION_MODES = ["continue", "fresh"] as const;

const ScheduleSessionObjectSchema = z.strictObject({
  mode: z
    .enum(SESSION_MODES)
    .optional()
    .describe(
      "continue resumes the agent's saved session on each fire; fresh starts a new one (resume_session decides when unset; fresh when neither is set)",
    ),
  max_context_tokens: positiveInt
    .optional()
    .describe(
      "With mode continue: once the saved session's last job sent more input tokens than this (cache reads and writes included), the next fire starts a new session (with memory on, the notes carry over)",
    ),
});

/** `session: continue` is short for `session: { mode: continue }`. */
export const ScheduleSessionSchema = z.preprocess(
  (value) => (typeof value === "string" ? { mode: value } : value),
  ScheduleSessionObjectSchema,
);

export const ScheduleSchema = z
  .strictObject({
    type: z
      .enum(["interval", "cron", "webhook"])
      .describe(
        "What fires the schedule: a fixed interval, a cron expression, or a signed POST to the dashboard's /hooks/<agent>/<schedule>",
      ),
    interval: duration({ positive: true })
      .optional()
      .describe("Time from the end of one run to the next fire (interval schedules), e.g. 15m"),
    cron: cronExpression
      .optional()
      .describe('Five-field cron expression (cron schedules only), e.g. "0 9 * * 1-5"'),
    timezone: timezone
      .optional()
      .describe("IANA time zone the cron expression is read in; the host's zone when unset"),
    prompt: z
      .string()
      .optional()
      .describe("Prompt for jobs this schedule starts; the agent's default_prompt when unset"),
    enabled: z.boolean().default(true).describe("false keeps the schedule defined but never fires it"),
    resume_session: z
      .boolean()
      .optional()
      .describe(
        "Continue the agent's last session instead of starting a new one for each fire (false when unset); the older spelling of session: continue",
      ),
    session: ScheduleSessionSchema.optional().describe(
      "Session policy of each fire: continue | fresh, or { mode, max_context_tokens } to start over once the session has grown too big",
    ),
    start_delay: duration()
      .optional()
      .describe(
        "Wait this long after the fleet starts before the first fire; without it an interval schedule fires at once",
      ),
    catch_up: z
      .enum(["latest", "none"])
      .optional()
      .describe("After downtime: latest runs the most recent missed fire once; none skips missed fires"),
    catch_up_window: duration({ positive: true })
      .optional()
      .describe("Only catch up a missed fire that is at most this old"),
    overlap: z
      .enum(["skip", "queue", "replace"])
      .optional()
      .describe(
        "When the previous run is still going: skip this fire, queue it, or cancel the running job and start anew",
      ),
    jitter: duration().optional().describe("Random extra delay, from 0 up to this, added to each fire"),
    retry: RetrySchema.optional().describe(
      "Retries of this schedule's failed jobs; replaces the agent's retry for them",
    ),
    secret_env: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Webhook schedules: name of the environment variable holding the HMAC secret callers sign with",
      ),
    outputToFile: z
      .boolean()
      .optional()
      .describe(
        "Also write this schedule's jobs' output as plain text to .herdctl/jobs/<job-id>/output.log (the reference herdctl's key and file)",
      ),
    gate: GateSchema.optional().describe(
      "Decide whether the model runs at all: a cheap command that exits 0 when there is work (its output joins the prompt) and 1 when there is none (the job is recorded as skipped, with no model call)",
    ),
    signature: z
      .enum(["herdctl", "github"])
      .optional()
      .describe(
        "Webhook schedules: herdctl (default) checks X-Herdctl-Signature over timestamp and body; github checks X-Hub-Signature-256 and refuses a repeated X-GitHub-Delivery",
      ),
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
      const mode = schedule.session?.mode;
      if (mode !== undefined && schedule.resume_session !== undefined) {
        const implied = schedule.resume_session ? "continue" : "fresh";
        if (implied !== mode)
          ctx.addIssue({
            code: "custom",
            path: ["session"],
            message: `session: ${mode} disagrees with resume_session: ${schedule.resume_session}`,
            params: { hint: "keep one of them; session replaces resume_session" },
          });
      }
      const resolved = mode ?? (schedule.resume_session ? "continue" : "fresh");
      if (schedule.session?.max_context_tokens !== undefined && resolved === "fresh")
        ctx.addIssue({
          code: "custom",
          path: ["session", "max_context_tokens"],
          message:
            "max_context_tokens only applies to a continued session; every fire of this schedule starts fresh",
          params: {
            hint: "set session: { mode: continue, max_context_tokens: ... }, or remove max_context_tokens",
          },
        });
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
  timeout: duration({ positive: true })
    .default(DAY_MS)
    .describe("A saved session unused for longer than this is not continued; a new session starts"),
  max_turns: positiveInt
    .optional()
    .describe("Turn limit for each job when the agent sets no max_turns of its own"),
});

/** The same shape `herdctl worker --labels` accepts (cluster/worker-registry.ts checks both). */
const PLACEMENT_LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}(=[A-Za-z0-9][A-Za-z0-9._:/-]{0,127})?$/;

export const PlacementSchema = z.strictObject({
  labels: z
    .array(
      matching(
        PLACEMENT_LABEL,
        (v) => `"${v}" is not a valid label`,
        "use a name (docker) or name=value (region=eu) of letters, digits, '.', '_' or '-'",
      ),
    )
    .default([])
    .describe("Labels a worker must have to run this agent's jobs, e.g. [docker, region=eu]"),
});

export const InstancesSchema = z.strictObject({
  max_concurrent: positiveInt
    .default(1)
    .describe("How many jobs of this agent may run at once; more wait in the queue"),
  max_queued: z
    .number()
    .int()
    .min(0)
    .default(20)
    .describe(
      "How many jobs of this agent may wait in the queue; further triggers are refused (429 over HTTP) until one starts",
    ),
});

const hookCommon = {
  name: z.string().optional().describe("Label used in logs and hook errors"),
  /** `timeout` is the reference format's spelling of `timed_out`. */
  on_events: z
    .array(z.enum(["completed", "failed", "timed_out", "timeout", "cancelled", "interrupted"]))
    .optional()
    .describe(
      "Run only when the job ends with one of these statuses (timeout is an alias of timed_out); every status when unset",
    ),
  /** A filter on the job context, e.g. `status == "failed" && cost_usd > 0.5` (see hooks/when.ts). */
  when: z
    .string()
    .superRefine((expr, ctx) => {
      const problem = validateWhen(expr);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .optional()
    .describe(
      'Filter on the hook context, e.g. status == "failed" && cost_usd > 0.5, or metadata.shouldNotify',
    ),
  continue_on_error: z
    .boolean()
    .optional()
    .describe(
      "false stops the remaining hooks of this list when this one fails; hook failures never change the job's status",
    ),
};

export const ShellHookSchema = z.strictObject({
  type: z.literal("shell").describe("Runs a command on the host"),
  command: z
    .string()
    .min(1)
    .describe(
      "Run with /bin/sh -c in the agent's working directory, on the host; the job context arrives as JSON on stdin and as HERDCTL_* variables",
    ),
  timeout: hookTimeout
    .optional()
    .describe("Kill the command (and its process group) after this long; milliseconds or a duration"),
  ...hookCommon,
});

export const WebhookHookSchema = z.strictObject({
  type: z.literal("webhook").describe("Sends the job context to a URL"),
  url: httpUrl.describe("http(s) URL that receives the job context as a JSON body"),
  method: z.enum(["POST", "PUT"]).optional().describe("HTTP method; POST when unset"),
  headers: stringRecord.optional().describe("Extra request headers"),
  timeout: hookTimeout
    .optional()
    .describe("Give up on one attempt after this long; milliseconds or a duration"),
  retries: z.number().int().min(0).optional().describe("How many times to retry a failed delivery"),
  /** Name of the environment variable holding the HMAC signing secret. */
  secret_env: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Name of the environment variable holding the signing secret; each request then carries X-Herdctl-Timestamp and X-Herdctl-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">',
    ),
  ...hookCommon,
});

export const DiscordHookSchema = z.strictObject({
  type: z.literal("discord").describe("Posts the job's result to a Discord channel as a bot"),
  channel_id: snowflake.describe("The channel's id (quoted)"),
  bot_token_env: tokenEnv.describe("Environment variable (or .env entry) holding the bot's token"),
  dashboard_url: httpUrl
    .optional()
    .describe(
      "The dashboard's address as the channel's readers reach it; the message links to the job there",
    ),
  timeout: hookTimeout
    .optional()
    .describe("Give up on one attempt after this long; milliseconds or a duration"),
  retries: z.number().int().min(0).optional().describe("How many times to retry a failed post"),
  ...hookCommon,
});

export const SlackHookSchema = z.strictObject({
  type: z.literal("slack").describe("Posts the job's outcome to a Slack channel"),
  channel_id: slackChannelId.describe("Channel to post in (C…); the bot must be a member"),
  bot_token_env: tokenEnv
    .default("SLACK_BOT_TOKEN")
    .describe(
      "Environment variable (or .env entry) holding the bot token (xoxb-…) with the chat:write scope",
    ),
  dashboard_url: httpUrl
    .optional()
    .describe(
      "The dashboard's address as the channel's readers reach it; the message links to the job there",
    ),
  timeout: hookTimeout
    .optional()
    .describe("Give up on one attempt after this long; milliseconds or a duration"),
  retries: z.number().int().min(0).optional().describe("How many times to retry a failed delivery"),
  ...hookCommon,
});

export const HookSchema = z.discriminatedUnion("type", [
  ShellHookSchema,
  WebhookHookSchema,
  DiscordHookSchema,
  SlackHookSchema,
]);
export const HooksSchema = z.strictObject({
  after_run: z.array(HookSchema).optional().describe("Hooks run after every job, in order"),
  on_error: z
    .array(HookSchema)
    .optional()
    .describe(
      "Hooks run after a job that failed, timed out or was interrupted (not after a cancel), following after_run",
    ),
  budget_exceeded: z
    .array(HookSchema)
    .optional()
    .describe(
      "Hooks run once per day or month when the agent's or the fleet's budget is reached, with the job that reached it and the budget in the payload",
    ),
  usage_limited: z
    .array(HookSchema)
    .optional()
    .describe(
      "Hooks run once when the agent's credential is paused for a usage limit (and again when the probe after the reset meets it still), with the job that met it and the reset time in the payload",
    ),
  approval_requested: z
    .array(HookSchema)
    .optional()
    .describe(
      "Hooks run when one of the agent's tool calls waits for a person (approvals), with the job and the request in the payload",
    ),
  approval_decided: z
    .array(HookSchema)
    .optional()
    .describe(
      "Hooks run when a person or the timeout decided such a request, with the decision in the payload",
    ),
});

const dollars = z.number().positive().max(1_000_000);

export const BudgetSchema = z.strictObject({
  daily_usd: dollars
    .optional()
    .describe("Spend per calendar day, in US dollars, summed over jobs and chat turns"),
  monthly_usd: dollars.optional().describe("Spend per calendar month, in US dollars"),
  hard: z
    .boolean()
    .default(false)
    .describe(
      "true: a running job is also cut off when the budget runs out (its max_budget_usd is what is left); false: running jobs finish",
    ),
});

export const RetentionSchema = z.strictObject({
  jobs: duration({ positive: true })
    .optional()
    .describe("Job records (and their output) older than this are pruned, e.g. 90d; kept forever when unset"),
  max_jobs_per_agent: positiveInt
    .optional()
    .describe("Each agent keeps at most this many newest job records; older ones are pruned"),
  output: duration({ positive: true })
    .optional()
    .describe("Output files of jobs older than this are pruned while their records stay, e.g. 30d"),
  audit: duration({ positive: true })
    .optional()
    .describe(
      "Audit entries older than this are pruned, e.g. 400d; kept forever when unset. The job limits never touch them; verify starts from the newest pruned",
    ),
});

export const FleetBudgetSchema = BudgetSchema.extend({
  timezone: timezone
    .optional()
    .describe("IANA time zone the budgets' days and months follow; the host's zone when unset"),
});

/** claude ignores a per-server tool-call timeout under one second, so a shorter one is refused. */
const MCP_MIN_TIMEOUT_MS = 1000;
const mcpTimeout = hookTimeout.superRefine((ms, ctx) => {
  if (ms < MCP_MIN_TIMEOUT_MS)
    custom(
      ctx,
      `${ms} ms is shorter than claude accepts (at least ${MCP_MIN_TIMEOUT_MS} ms); claude would ignore it`,
      "write 1000 or more milliseconds, or a duration such as 30s",
    );
});

// Keys every transport shares, as the Agent SDK names them (camelCase alwaysLoad included), so a
// server block copied from an SDK or .mcp.json config works unchanged.
const mcpCommon = {
  timeout: mcpTimeout
    .optional()
    .describe("Limit on each tool call to this server, milliseconds or a duration (1s or more)"),
  alwaysLoad: z
    .boolean()
    .optional()
    .describe(
      "true: the server's tools are always in the prompt, never deferred behind tool search (claude waits up to 5 s for the server at start); false: always deferred",
    ),
};

// Mirrors the Agent SDK's McpStdioServerConfig / McpSSEServerConfig / McpHttpServerConfig.
export const McpServerSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z
      .literal("stdio")
      .optional()
      .describe("stdio (may be left out): claude starts the server as a child process"),
    command: z.string().min(1).describe("Program to start"),
    args: z.array(z.string()).optional().describe("Its arguments"),
    env: stringRecord.optional().describe("Extra environment for the server"),
    ...mcpCommon,
  }),
  z.strictObject({
    type: z.literal("sse").describe("A server reached over Server-Sent Events"),
    url: httpUrl.describe("The server's URL"),
    headers: stringRecord.optional().describe("Request headers, e.g. Authorization"),
    ...mcpCommon,
  }),
  z.strictObject({
    type: z.literal("http").describe("A server reached over streamable HTTP"),
    url: httpUrl.describe("The server's URL"),
    headers: stringRecord.optional().describe("Request headers, e.g. Authorization"),
    ...mcpCommon,
  }),
]);

/** One `plugins` entry written as a mapping; the Agent SDK's SdkPluginConfig, in its own spelling. */
export const PluginEntrySchema = z.strictObject({
  type: z
    .literal("local")
    .default("local")
    .describe("Where the plugin comes from; local (a folder on this machine) is the only kind"),
  path: z
    .string()
    .min(1)
    .describe(
      "The plugin's folder (the one holding .claude-plugin/plugin.json); relative to the file that sets it, ~ allowed",
    ),
  skipMcpDiscovery: z
    .boolean()
    .optional()
    .describe("Load the plugin's commands, skills, agents and hooks but not its MCP servers"),
});

/** A Claude Code plugin: a folder path, or a mapping (the reference format accepts both). */
export const PluginSchema = z.preprocess(
  (value) => (typeof value === "string" ? { path: value } : value),
  PluginEntrySchema,
);

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
  enabled: z
    .boolean()
    .optional()
    .describe("Run the agent's jobs in a container; false (the default) runs claude on the host"),
  ephemeral: z
    .boolean()
    .optional()
    .describe(
      "true (default): a fresh container per job, removed afterwards; false: one long-lived container per agent, reused while its settings are unchanged",
    ),
  memory: memory.optional().describe("Memory limit, swap included, e.g. 2g (default 2g)"),
  cpus: z.number().positive().optional().describe("CPU limit in cores, e.g. 1.5; unlimited when unset"),
  cpu_shares: positiveInt.optional().describe("Relative CPU weight against other containers"),
  cpu_period: positiveInt
    .optional()
    .describe("CFS scheduler period in microseconds (with cpu_quota); cpus is simpler"),
  cpu_quota: positiveInt.optional().describe("CPU time in microseconds the container may use per cpu_period"),
  pids_limit: positiveInt
    .optional()
    .describe("Most processes the container may hold (default 512); stops fork bombs"),
  tmpfs: z
    .array(matching(/^\//, (v) => `"${v}" is not a tmpfs mount`, 'write "/path" or "/path:options"'))
    .optional()
    .describe('Extra tmpfs mounts, "/path" or "/path:options"'),
  workspace_mode: z
    .enum(["rw", "ro"])
    .optional()
    .describe("Mount the working directory at /workspace read-write (default) or read-only"),
  max_containers: positiveInt
    .optional()
    .describe("Most running containers for this agent at once (default 5)"),
  labels: stringRecord
    .optional()
    .describe("Extra container labels; names starting with herdctl. are reserved"),
  read_only: z
    .boolean()
    .optional()
    .describe("Read-only root filesystem; /tmp and the home directory become tmpfs"),
  image: z
    .string()
    .min(1)
    .optional()
    .describe(
      "Image to run (default herdctl/runtime:latest; herdctl/runtime:dev adds Node, Python and build tools); it needs the claude binary and a uid 1000 user",
    ),
  network: z
    .enum(["none", "bridge", "host", "proxy-only"])
    .optional()
    .describe(
      "Container network (default bridge); proxy-only: none at all but herdctl's credential proxy (implies credentials: proxy); none cuts it off; host shares the host's network",
    ),
  user: matching(/^\d+(:\d+)?$/, (v) => `"${v}" is not a user`, 'write numeric "uid:gid", e.g. "1000:1000"')
    .optional()
    .describe('Numeric uid:gid the agent runs as (default: herdctl\'s own user, never root unless "0:0")'),
  volumes: z.array(volume).optional().describe('Extra bind mounts, "host-path:/container-path[:ro|rw]"'),
  env: stringRecord
    .optional()
    .describe(
      "Environment for the container; names that look like credentials are passed per job, never stored in the container",
    ),
  ports: z
    .array(
      z.string().superRefine((value, ctx) => {
        if (!parsePortSpec(value)) custom(ctx, `"${value}" is not a port binding`, `write ${PORT_FORMS}`);
      }),
    )
    .optional()
    .describe(
      'Published ports, "[host-ip:]host-port:container-port" (bridge network only); without a host address they are published on every interface',
    ),
  credentials: z
    .enum(["env", "proxy"])
    .optional()
    .describe(
      "How claude in the container gets the model credential: proxy (default) keeps it on the host and gives the container a per-job token for herdctl's credential proxy; env passes the real credential into each exec",
    ),
  egress: z
    .strictObject({
      allow: z
        .array(
          z.string().superRefine((value, ctx) => {
            const rule = parseEgressRule(value);
            if ("error" in rule) custom(ctx, rule.error, 'write "host", "*.domain" or "host:port"');
          }),
        )
        .optional()
        .describe(
          'Hosts a proxy-only container may reach through herdctl\'s proxy: "github.com", "*.example.com" (subdomains), "host:port"; without a port 443 and 80',
        ),
    })
    .optional()
    .describe(
      "network proxy-only: what the container may reach besides the model API; everything else is refused and recorded",
    ),
  host_config: z
    .record(z.string(), z.unknown())
    .optional()
    .describe(
      "Raw Docker HostConfig keys applied last (they win over herdctl's hardening; risky ones are warned about)",
    ),
});

const RuntimeSchema = z.enum(["sdk", "cli"]);

// The object form reads like the Agent SDK's { type: "preset", preset: "claude_code", append }, so
// SDK users can copy theirs; type and preset may be left out since there is only one preset.
const SystemPromptSchema = z.union([
  z.string(),
  z.strictObject({
    type: z.literal("preset").optional().describe("preset (may be left out)"),
    preset: z.literal("claude_code").optional().describe("claude_code (may be left out)"),
    append: z.string().optional().describe("Text added to the end of Claude Code's system prompt"),
  }),
]);
/**
 * The installed Agent SDK's PermissionMode, plus `manual`, which claude --help lists among its
 * choices (an alias of `default`; the SDK maps it the same way). A test reads both lists from the
 * installed SDK and claude, so an upgrade that adds a mode fails until it is added here.
 */
export const PERMISSION_MODES = [
  "default",
  "acceptEdits",
  "bypassPermissions",
  "plan",
  "dontAsk",
  "auto",
  "manual",
] as const;
const PermissionModeSchema = z.enum(PERMISSION_MODES);

/** The reference herdctl's default, and ours: edits in the working directory need no prompt. */
export const DEFAULT_PERMISSION_MODE = "acceptEdits" satisfies (typeof PERMISSION_MODES)[number];

const MemoryObjectSchema = z.strictObject({
  enabled: z.boolean().default(true).describe("false turns memory off (true when the object is given)"),
  max_bytes: z
    .number()
    .int()
    .min(256)
    .max(MEMORY_MAX_BYTES_LIMIT)
    .default(MEMORY_DEFAULT_MAX_BYTES)
    .describe(
      `Most bytes of notes kept (${MEMORY_DEFAULT_MAX_BYTES} when unset, 256 to ${MEMORY_MAX_BYTES_LIMIT}); longer notes are cut and the job says so`,
    ),
});

/** `memory: true` is short for `memory: { enabled: true }`. */
export const MemorySchema = z.preprocess(
  (value) => (typeof value === "boolean" ? { enabled: value } : value),
  MemoryObjectSchema,
);

/** claude's own permission-rule syntax: a tool name, optionally with its content in parentheses. */
const PERMISSION_RULE = /^[A-Za-z_][\w-]*(?:\(.+\))?$/s;

export const APPROVAL_DEFAULT_TIMEOUT_MS = 60 * 60 * 1000;

export const ApprovalsSchema = z.strictObject({
  tools: z
    .array(
      matching(
        PERMISSION_RULE,
        (v) => `"${v}" is not a claude permission rule`,
        'write a tool name with an optional pattern in parentheses, e.g. "Bash(git push:*)" or "Write(/etc/**)"',
      ),
    )
    .min(1)
    .describe(
      'Tool calls a person must approve, in claude\'s permission-rule syntax, e.g. "Bash(git push:*)", "Write(/etc/**)"; they win over allowed_tools and the permission mode',
    ),
  timeout: duration({ positive: true })
    .default(APPROVAL_DEFAULT_TIMEOUT_MS)
    .describe("How long a request waits for a person (1h when unset); then on_timeout decides"),
  on_timeout: z
    .enum(["deny", "allow"])
    .default("deny")
    .describe("What a request nobody answered in time becomes (deny when unset)"),
});

// Durations in the agent are converted to milliseconds by the schema itself.
const agentFields = {
  description: z.string().optional().describe("Free text shown in status and the dashboard"),
  working_directory: z
    .string()
    .min(1)
    .optional()
    .describe(
      "Where claude runs (mounted at /workspace in Docker); relative to the file that sets it, ~ allowed; the agent file's folder when unset",
    ),
  system_prompt: SystemPromptSchema.optional().describe(
    "A string replaces Claude Code's system prompt; { append: text } adds text to the end of it; Claude Code's own prompt when unset",
  ),
  default_prompt: z.string().optional().describe("Prompt for triggers and schedules that bring none"),
  schedules: z
    .record(z.string().min(1), ScheduleSchema)
    .optional()
    .describe("Named schedules that start jobs"),
  model: z.string().min(1).optional().describe("Model name passed to claude, e.g. claude-sonnet-4-5"),
  max_turns: positiveInt.optional().describe("Stop a job after this many agent turns"),
  max_budget_usd: z
    .number()
    .positive()
    .optional()
    .describe("Stop a job once it has cost this many US dollars"),
  timeout: duration({ positive: true })
    .optional()
    .describe("Hard limit on a job's run time; the job ends timed_out"),
  inactivity_timeout: duration({ positive: true })
    .optional()
    .describe("End a job that produces no output for this long (timed_out)"),
  tools: z.array(z.string()).optional().describe("The built-in tools claude may use at all; [] for none"),
  allowed_tools: z
    .array(z.string())
    .optional()
    .describe("Tools allowed without asking, e.g. Read, Bash(git:*)"),
  denied_tools: z.array(z.string()).optional().describe("Tools never allowed"),
  mcp_servers: z
    .record(z.string().min(1), McpServerSchema)
    .optional()
    .describe("MCP servers claude connects to, by name"),
  plugins: z
    .array(PluginSchema)
    .optional()
    .describe(
      "Claude Code plugins (commands, skills, agents, hooks, MCP servers) loaded for every job; a list replaces the defaults' list",
    ),
  setting_sources: z
    .array(z.enum(["user", "project", "local"]))
    .optional()
    .describe(
      "Which claude settings files (and CLAUDE.md, with project) to load; [project] when working_directory is set, [] otherwise",
    ),
  hooks: HooksSchema.optional().describe("Commands and webhooks run when a job ends"),
  chat: AgentChatSchema.optional().describe("Chat platforms the agent answers on as a bot (docs/chat.md)"),
  metadata_file: z
    .string()
    .min(1)
    .refine((v) => !isAbsolute(v) && !v.split(/[\\/]/).includes(".."), {
      message: "must be a path inside the working directory",
      params: { hint: "write a relative path without .., e.g. metadata.json" },
    })
    .optional()
    .describe(
      "JSON file the agent writes in its working directory about its run, attached to the job and the hook payload as metadata; metadata.json when the agent has hooks",
    ),
  memory: MemorySchema.optional().describe(
    "Notes the agent keeps between jobs: herdctl writes them to HERDCTL_MEMORY.md in the working directory and to the system prompt before each job, and stores what the agent leaves there as a new version; true, or { max_bytes } (16384 by default)",
  ),
  approvals: ApprovalsSchema.optional().describe(
    "Tool calls that wait for a person's approval (herdctl approvals, approve, deny; POST /api/approvals/<id>/approve|deny); docs/agents.md#approvals",
  ),
  env: stringRecord.optional().describe("Extra environment for claude"),
  on_interrupt: z
    .enum(["resume", "none"])
    .optional()
    .describe(
      "After a crash: resume runs an interrupted job again on its session; none (default) leaves it interrupted. A job interrupted while it waited for an approval is resumed either way (docs/agents.md#approvals)",
    ),
  docker: DockerSchema.optional().describe("Run the agent in a container"),
  placement: PlacementSchema.optional().describe(
    "Where the agent's jobs may run on a PostgreSQL fleet: only on a worker (herdctl worker --labels, herdctl start --labels) that has every label listed; ignored on SQLite, where one daemon runs everything",
  ),
  retry: RetrySchema.optional().describe(
    "Run a job again, as a new job, after an API error or a timeout; never after a cancel",
  ),
  wakes: WakesSchema.optional().describe(
    "Wakes the agent schedules for itself (claude's ScheduleWakeup, CronCreate): kept, listed and fired by herdctl",
  ),
  budget: BudgetSchema.optional().describe(
    "What this agent may spend per day or month; once reached, its scheduled runs are skipped and manual triggers refused (--force overrides)",
  ),
};

/** A merged agent (fleet defaults + agent file + overrides); defaults are applied here, once. */
export const AgentSchema = z.strictObject({
  name: matching(NAME_PATTERN, (v) => `"${v}" is not a valid agent name`, NAME_HINT).describe(
    "Unique within the fleet; letters, digits, _ and -; sub-fleet agents are addressed as <sub-fleet>.<name>",
  ),
  ...agentFields,
  session: SessionSchema.prefault({}).describe("How a saved session is continued"),
  instances: InstancesSchema.prefault({}).describe("Concurrency of this agent's jobs"),
  runtime: RuntimeSchema.default("sdk").describe(
    "How claude is driven: sdk (the Agent SDK) or cli (the claude command line)",
  ),
  permission_mode: PermissionModeSchema.default(DEFAULT_PERMISSION_MODE).describe(
    "claude's permission mode: acceptEdits edits files unattended; default (or manual) refuses what no rule allows, since nobody is there to ask",
  ),
});

export const DefaultsSchema = z.strictObject({
  ...agentFields,
  session: SessionSchema.optional().describe("How a saved session is continued"),
  instances: InstancesSchema.optional().describe("Concurrency of each agent's jobs"),
  runtime: RuntimeSchema.optional().describe("How claude is driven: sdk or cli"),
  permission_mode: PermissionModeSchema.optional().describe("claude's permission mode"),
  max_concurrent_jobs: positiveInt
    .optional()
    .describe("Fleet-wide limit on running jobs; unlimited when unset"),
  claude_path: z
    .string()
    .min(1)
    .optional()
    .describe(
      "The claude binary to run on the host (a path, or a command name looked up on PATH); when unset, claude on PATH, else the one installed with herdctl",
    ),
});

/** Keys of `defaults` that configure the fleet rather than being inherited by agents. */
export const FLEET_ONLY_DEFAULT_KEYS = ["max_concurrent_jobs", "claude_path"] as const;

const port = z.number().int().min(1).max(65_535);

export const WebSchema = z.strictObject({
  enabled: z
    .boolean()
    .default(false)
    .describe("Serve the dashboard with herdctl start (herdctl start --web also turns it on)"),
  host: z
    .string()
    .min(1)
    .default("127.0.0.1")
    .describe(
      "Address to listen on; every address needs a login, and any but 127.0.0.1, localhost or ::1 belongs behind a TLS proxy (its session cookie is Secure)",
    ),
  port: port.default(3232).describe("Port to listen on"),
  /** Name of the environment variable holding the dashboard's bearer token. */
  auth_token_env: z
    .string()
    .min(1)
    .optional()
    .describe(
      "Name of the environment variable holding the login token (16+ characters); when unset the token is kept in .herdctl/web-token, generated if absent",
    ),
  session_expiry_hours: z
    .number()
    .positive()
    .default(24)
    .describe(
      "Hours a chat may sit idle before its claude session expires; the next message then starts a fresh session and says so",
    ),
  tool_results: z
    .boolean()
    .default(true)
    .describe("Show the results of the agent's tool calls in the dashboard's chat"),
  message_grouping: z
    .enum(["separate", "grouped"])
    .default("separate")
    .describe("Dashboard chat: one bubble per assistant message (separate) or one per turn (grouped)"),
});

export const WebhooksSchema = z.strictObject({
  enabled: z
    .boolean()
    .default(false)
    .describe("Serve webhook schedules at start even without web.enabled (the same server as the dashboard)"),
  host: z
    .string()
    .min(1)
    .optional()
    .describe("Address for that server when web is not enabled; web.host when unset"),
  port: port.optional().describe("Port for that server when web is not enabled; web.port when unset"),
  secret_env: z
    .string()
    .min(1)
    .optional()
    .describe(
      "Environment variable with the HMAC secret for webhook schedules that name no secret_env of their own",
    ),
});

const overrides = z.record(z.string(), z.unknown());

export const FleetSchema = z.strictObject({
  version: z.literal(1).default(1).describe("Configuration format version"),
  fleet: z
    .strictObject({
      name: z
        .string()
        .min(1)
        .optional()
        .describe("Fleet name, used in container names and labels; the fleet file's folder name when unset"),
      description: z.string().optional().describe("Free text"),
    })
    .optional()
    .describe("Who this fleet is"),
  defaults: DefaultsSchema.optional().describe("Settings every agent inherits, plus fleet-wide ones"),
  agents: z
    .array(
      z.strictObject({
        path: z.string().min(1).describe("Agent file, relative to this file"),
        overrides: overrides
          .optional()
          .describe("Agent keys that win over the agent file (Docker keys of any tier allowed)"),
      }),
    )
    .default([])
    .describe("The agents of this fleet"),
  fleets: z
    .array(
      z.strictObject({
        path: z.string().min(1).describe("Sub-fleet file, relative to this file"),
        name: matching(NAME_PATTERN, (v) => `"${v}" is not a valid sub-fleet name`, NAME_HINT)
          .optional()
          .describe("Prefix for its agents' names; the sub-fleet's fleet.name, else its folder name"),
        overrides: overrides
          .optional()
          .describe("Keys merged over the sub-fleet file's own, e.g. { defaults: { model: ... } }"),
      }),
    )
    .default([])
    .describe("Other fleet files whose agents join this fleet"),
  web: WebSchema.prefault({}).describe("The dashboard, its API and inbound webhooks"),
  webhooks: WebhooksSchema.prefault({}).describe("Inbound webhook triggers (POST /hooks/<agent>/<schedule>)"),
  state: z
    .strictObject({
      retention: RetentionSchema.optional().describe(
        "What a daily pass (and herdctl prune) removes; never running or queued jobs, nor any job of a session something will continue",
      ),
      backend: z
        .enum(["sqlite", "postgres"])
        .optional()
        .describe(
          "Where jobs, sessions, schedules and events are kept: sqlite (default, .herdctl/herdctl.db) or postgres (state.url; see docs/scaling.md for what runs there)",
        ),
      url: pgUrl.optional().describe(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the fleet file's ${VAR} syntax, shown to users
        "postgres://user:password@host:5432/database for backend postgres, usually ${DATABASE_URL}; a secret, never shown",
      ),
    })
    .superRefine((state, ctx) => {
      if (state.backend === "postgres" && state.url === undefined)
        ctx.addIssue({
          code: "custom",
          path: ["url"],
          message: "backend postgres needs a url",
          params: {
            // biome-ignore lint/suspicious/noTemplateCurlyInString: the fleet file's ${VAR} syntax, shown to users
            hint: "add url: ${DATABASE_URL} and set DATABASE_URL=postgres://user:password@host:5432/database",
          },
        });
      if (state.backend !== "postgres" && state.url !== undefined)
        ctx.addIssue({
          code: "custom",
          path: ["backend"],
          message: "a url is set but the backend is sqlite",
          params: { hint: "add backend: postgres, or remove url" },
        });
    })
    .optional()
    .describe("Where the fleet's state is kept, and its upkeep"),
  budget: FleetBudgetSchema.optional().describe(
    "What the whole fleet may spend per day or month; once reached, every agent's scheduled runs are skipped and manual triggers refused (--force overrides)",
  ),
});

export type AgentDockerConfig = z.output<typeof DockerSchema>;
/** Interval, start_delay, catch_up_window and jitter are milliseconds. */
export type Schedule = z.output<typeof ScheduleSchema>;
/** `timeout` is milliseconds. */
export type HookConfig = z.output<typeof HookSchema>;
export type ShellHookConfig = z.output<typeof ShellHookSchema>;
export type WebhookHookConfig = z.output<typeof WebhookHookSchema>;
export type SlackHookConfig = z.output<typeof SlackHookSchema>;
export type McpServerConfig = z.output<typeof McpServerSchema>;
export type PluginConfig = z.output<typeof PluginSchema>;
export type PermissionMode = z.output<typeof PermissionModeSchema>;
export type SystemPromptConfig = z.output<typeof SystemPromptSchema>;
export type SettingSource = NonNullable<AgentConfig["setting_sources"]>[number];
export type WebConfig = z.output<typeof WebSchema>;
/** `backoff` and `max_backoff` are milliseconds. */
export type RetryConfig = z.output<typeof RetrySchema>;
export type WakesConfig = z.output<typeof WakesSchema>;
export type ApprovalsConfig = z.output<typeof ApprovalsSchema>;
export type WebhooksConfig = z.output<typeof WebhooksSchema>;
export type BudgetConfig = z.output<typeof BudgetSchema>;
export type FleetBudgetConfig = z.output<typeof FleetBudgetSchema>;
/** `jobs` and `output` are milliseconds. */
export type RetentionConfig = z.output<typeof RetentionSchema>;
export type FleetDefaults = Omit<z.output<typeof DefaultsSchema>, (typeof FLEET_ONLY_DEFAULT_KEYS)[number]>;
/**
 * An agent after defaults. Duration fields keep their YAML key names but hold milliseconds:
 * `timeout`, `inactivity_timeout`, `session.timeout`, schedule `interval`/`start_delay`/
 * `catch_up_window`/`jitter`, and hook `timeout`.
 */
export type AgentConfig = z.output<typeof AgentSchema>;
